"""Small images and fast neural-style settings shared by the mask-guided tests."""
import numpy as np

FAST = dict(weights="random", iterations=3, optimizer="adam", device="cpu", seed=0,
            style_layers=["relu1_1", "relu2_1", "relu3_1"], content_layers=["relu2_1"])


def smooth(shape, seed, channels=3):
    """A smooth random image in [0, 1]: bilinear upsampling of coarse noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((shape[0] // 8 + 2, shape[1] // 8 + 2, channels))
    rows = np.linspace(0, coarse.shape[0] - 1.001, shape[0])
    cols = np.linspace(0, coarse.shape[1] - 1.001, shape[1])
    r0, c0 = rows.astype(int), cols.astype(int)
    fr, fc = (rows - r0)[:, None, None], (cols - c0)[None, :, None]
    top = coarse[r0][:, c0] * (1 - fc) + coarse[r0][:, c0 + 1] * fc
    bottom = coarse[r0 + 1][:, c0] * (1 - fc) + coarse[r0 + 1][:, c0 + 1] * fc
    return (top * (1 - fr) + bottom * fr).astype(np.float32)


def box_mask(shape, top, left, bottom, right):
    m = np.zeros(shape, bool)
    m[top:bottom, left:right] = True
    return m
