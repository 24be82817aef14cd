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


def test_an_input_that_kills_every_worker_is_reported_and_the_rest_done(tmp_path):
    inputs = testing.make_inputs(tmp_path / "in", n=6)
    logs = tmp_path / "logs"
    logs.mkdir()
    recipe = testing.write_recipe(tmp_path, testing.test_load(logs, kill=inputs[3].name, times=9))
    _, _, result = testing.batch(tmp_path, local, recipe, chunk=2)
    assert result.exit_code == 1 and len(result.done) == 5
    [bad] = result.failed
    assert bad["input"] == str(inputs[3]) and "lost 3 times" in bad["error"]
    assert testing.runs(logs)[inputs[3].name] == 4   # in its chunk, then 3 times alone
