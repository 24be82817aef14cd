"""Small clips shared by the video tests."""
import numpy as np


def noise_frames(n, hw=(20, 30), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((*hw, 3), dtype=np.float32) for _ in range(n)]
