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


@pytest.fixture
def content(smooth_image):
    return smooth_image((32, 40), 1)


@pytest.fixture
def style(smooth_image):
    rng = np.random.default_rng(2)
    base = smooth_image((36, 36), 2)
    return np.clip(base + 0.2 * rng.standard_normal(base.shape), 0, 1).astype(np.float32)
