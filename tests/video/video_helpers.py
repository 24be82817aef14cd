"""Small clips shared by the video tests."""
import numpy as np


def noise_frames(n, hw=(20, 30), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((*hw, 3), dtype=np.float32) for _ in range(n)]


# video_style at test size: tiny frames, shallow layers, a seeded random VGG19
FAST = dict(size=None, iterations=6, first_iterations=12, weights="random", device="cpu",
            content_layers=["relu2_1"], style_layers=["relu1_1", "relu2_1"], seed=3,
            flow_preset="fast")
