import warnings

import pytest
import torch

from imgfusion.style.weights import RandomWeightsWarning


@pytest.fixture(autouse=True, scope="module")
def _quiet_and_one_thread():
    """One thread (tiny networks gain nothing from more on a shared 2-core machine, and
    a result compared across runs must come from the same summation order)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def random_vgg():
    from imgfusion.trained.vae_measures import vgg_encoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        return vgg_encoder("random", seed=0)
