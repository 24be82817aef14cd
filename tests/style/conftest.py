import warnings

import numpy as np
import pytest
import torch

from imgfusion.style.weights import RandomWeightsWarning


@pytest.fixture(autouse=True)
def _quiet_random_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        yield


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny images gain nothing from threads, and on a shared 2-core machine two
    spinning OpenMP threads per process make the run several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def smooth_image(shape, seed, channels=3):
    """A smooth random colour image in [0, 1] (sums of low-frequency sines)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]] / max(shape)
    out = np.zeros((*shape, channels))
    for c in range(channels):
        for _ in range(4):
            fr, fc, ph = rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, 6.3)
            out[..., c] += np.sin(2 * np.pi * (fr * rows + fc * cols) + ph)
    out = (out - out.min()) / (out.max() - out.min())
    return out.astype(np.float32)


@pytest.fixture
def content():
    return smooth_image((32, 40), 1)


@pytest.fixture
def style():
    rng = np.random.default_rng(2)
    base = smooth_image((36, 36), 2)
    return np.clip(base + 0.2 * rng.standard_normal(base.shape), 0, 1).astype(np.float32)


@pytest.fixture
def make_image():
    """smooth_image(shape, seed, channels=3) as a fixture (test folders are not packages)."""
    return smooth_image
