import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Runs compared bit for bit must sum in the same order: one thread per module."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
