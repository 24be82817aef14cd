
import pytest

from imgfusion.io.samples import sample_path
from imgfusion.io.read import read_image


@pytest.fixture(autouse=True, scope="module")
def _quiet_and_one_thread(quiet_one_torch_thread):
    """Every module here: one torch thread, no random-weights warning (tests/conftest.py)."""


@pytest.fixture(scope="session")
def astronaut():
    return read_image(sample_path("sample:astronaut"))


@pytest.fixture(scope="session")
def coffee():
    return read_image(sample_path("sample:coffee"))


@pytest.fixture(scope="session")
def hubble():
    return read_image(sample_path("sample:hubble_deep_field"))[:320, :320]
