import warnings

import numpy as np
import pytest
import torch

from imgfusion.io.samples import sample_path
from imgfusion.io.read import read_image
from imgfusion.style.weights import RandomWeightsWarning


@pytest.fixture(autouse=True, scope="module")
def _quiet_and_one_thread():
    """Module-scoped, so that the module-scoped runs (fixtures) get one thread too: a
    result compared across runs must come from the same summation order."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def astronaut():
    return read_image(sample_path("sample:astronaut"))


@pytest.fixture(scope="session")
def coffee():
    return read_image(sample_path("sample:coffee"))


@pytest.fixture(scope="session")
def hubble():
    return read_image(sample_path("sample:hubble_deep_field"))[:320, :320]
