"""What every test folder shares: the one smooth test image."""
import numpy as np
import pytest


def _smooth_image(shape, seed=0, channels=3, low=0.0, high=1.0):
    """A smooth random float32 image with values in [low, high]: coarse noise, linearly
    interpolated, plus a little fine noise, stretched to the range."""
    h, w = shape
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 4 + 2, w // 4 + 2, channels))
    rows = np.linspace(0, coarse.shape[0] - 1, h)
    cols = np.linspace(0, coarse.shape[1] - 1, w)
    img = np.empty((h, w, channels))
    for k in range(channels):
        tmp = np.array([np.interp(cols, np.arange(coarse.shape[1]), r) for r in coarse[:, :, k]])
        img[:, :, k] = np.array([np.interp(rows, np.arange(coarse.shape[0]), c)
                                 for c in tmp.T]).T
    img += 0.05 * rng.standard_normal(img.shape)
    img = (img - img.min()) / (img.max() - img.min())
    return (low + (high - low) * img).astype(np.float32)


@pytest.fixture(scope="session")
def smooth_image():
    """``smooth_image(shape, seed=0, channels=3, low=0.0, high=1.0)``: the test image every
    folder uses (test folders are not packages, so it comes as a fixture)."""
    return _smooth_image
