import warnings

import pytest

from imgfusion.style.weights import RandomWeightsWarning


@pytest.fixture(autouse=True, scope="module")
def _quiet_and_one_thread(quiet_one_torch_thread):
    """Every module here: one torch thread, no random-weights warning (tests/conftest.py)."""


@pytest.fixture(scope="session")
def random_vgg():
    from imgfusion.trained.vae_measures import vgg_encoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        return vgg_encoder("random", seed=0)
