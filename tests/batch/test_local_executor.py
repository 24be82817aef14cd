"""The built-in local executor (a process pool of 2) passes every executor check."""
import pytest

from imgfusion.batch import testing
from imgfusion.batch.executor import ExecutorOptions
from imgfusion.batch.local import LocalExecutor


def local():
    return LocalExecutor(ExecutorOptions(workers=2))


@pytest.mark.parametrize("check", testing.ALL_CHECKS, ids=lambda c: c.__name__)
def test_local_executor(check, tmp_path):
    check(local, tmp_path)
