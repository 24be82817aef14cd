"""A task that outlives its run publishes nothing.

Dask cannot stop a task that is already running when the driver is interrupted; it
used to finish its item and publish the folder after the driver had counted and
exited, so the next run skipped an item the first run never reported (a flaky
``check_resume_after_interrupt`` on Dask).  The driver now writes ``batch.json`` with
status ``stopping`` at once, and a worker publishes an item only while ``batch.json``
names its run as running.
"""
import json
from dataclasses import replace

import pytest

from imgfusion.batch import testing
from imgfusion.batch import work
from imgfusion.batch.executor import ExecutorOptions
from imgfusion.batch.job import PARTIAL, prepare
from imgfusion.batch.local import LocalExecutor
from imgfusion.batch.manifest import run_is_current, write_summary
from imgfusion.batch.runner import run_batch
from imgfusion.batch.work import run_chunk


@pytest.fixture
def job_items(tree):
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={tree / 'in'}/**/*.png"],
                            tree / "out")
    (tree / "out").mkdir()
    return replace(job, run="run-a"), items


def _status(out):
    return json.loads((out / "batch.json").read_text())["status"]


def test_a_running_run_publishes_its_items(job_items, tree):
    job, items = job_items
    write_summary(tree / "out", job, {"status": "running"})
    records = run_chunk(job, items[:2])
    assert [r["status"] for r in records] == ["done", "done"]
    assert all((tree / "out" / i.folder).is_dir() for i in items[:2])


@pytest.mark.parametrize("status, run", [("stopping", "run-a"), ("interrupted", "run-a"),
                                         ("running", "run-b")])
def test_a_task_of_a_stopped_or_replaced_run_writes_nothing(job_items, tree, status, run):
    job, items = job_items
    write_summary(tree / "out", replace(job, run=run), {"status": status})
    assert run_chunk(job, items[:2]) == []
    out = tree / "out"
    assert not any((out / i.folder).exists() for i in items[:2])
    assert not (out / "manifest.jsonl").exists()


def test_an_item_finishing_after_the_stop_is_not_published(job_items, tree, monkeypatch):
    """The run stops while the item computes: its finished folder is thrown away, its
    line is not written, and the chunk's later items are not started."""
    job, items = job_items
    write_summary(tree / "out", job, {"status": "running"})
    real = work.run_is_current
    answers = iter([True])         # current when the chunk starts, stopped at publishing
    monkeypatch.setattr(work, "run_is_current", lambda out, run: next(answers, False)
                        and real(out, run))
    assert run_chunk(job, items[:3]) == []
    out = tree / "out"
    assert not any((out / i.folder).exists() for i in items[:3])
    assert not (out / "manifest.jsonl").exists()
    assert not any((out / PARTIAL).glob("*")), "the finished work folder was left behind"


def test_without_a_run_id_a_task_always_publishes(tree):
    assert run_is_current(tree, "")


def test_without_batch_json_no_run_is_current(tree):
    assert not run_is_current(tree, "run-a")        # no batch.json: nobody is running it


class _Watch(testing.InterruptAfter):
    """Notes what batch.json says when tasks are submitted and when the executor closes."""

    def __init__(self, inner, n, out):
        super().__init__(inner, n)
        self.out, self.seen_status = out, []

    def submit(self, fn, *args):
        self.seen_status.append(("submit", _status(self.out)))
        return super().submit(fn, *args)

    def cancel(self, handles):
        self.seen_status.append(("cancel", _status(self.out)))
        super().cancel(handles)

    def close(self):
        self.seen_status.append(("close", _status(self.out)))
        super().close()


def test_the_driver_says_stopping_before_it_cancels_and_closes_the_executor(tree):
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={tree / 'in'}/**/*.*"],
                            tree / "out")
    watch = _Watch(LocalExecutor(ExecutorOptions(workers=2)), 3, tree / "out")
    result = run_batch(job, items, watch, chunk=2, progress=False)
    assert result.exit_code == 130
    assert {s for w, s in watch.seen_status if w == "submit"} == {"running"}
    assert watch.seen_status[-2:] == [("cancel", "stopping"), ("close", "stopping")]
    assert _status(tree / "out") == "interrupted"
    assert json.loads((tree / "out" / "batch.json").read_text())["run"] == result.done[0]["run"]


def test_a_stopped_run_does_not_retry_a_failing_item_nor_record_it(tree, monkeypatch):
    """The item fails, the run stops meanwhile: no second attempt, no "failed" line."""
    logs = tree / "logs"
    logs.mkdir()
    first = sorted((tree / "in").rglob("*.png"))[0]
    testing.write_recipe(tree, testing.test_load(logs, fail=first.name, times=3))
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={first}"], tree / "out",
                            retries=2)
    (tree / "out").mkdir()
    job = replace(job, run="run-a")
    write_summary(tree / "out", job, {"status": "running"})
    real = work.run_is_current
    answers = iter([True])         # current when the item starts, stopped after attempt 1
    monkeypatch.setattr(work, "run_is_current", lambda out, run: next(answers, False)
                        and real(out, run))
    assert run_chunk(job, items) == []
    assert testing.runs(logs)[first.name] == 1
    assert not (tree / "out" / "manifest.jsonl").exists()


class _TakenOver(LocalExecutor):
    """On its second submit another run of the same recipe takes the folder over."""

    def __init__(self, job, out):
        super().__init__(ExecutorOptions(workers=2))
        self.job, self.out, self.submits = job, out, 0

    def submit(self, fn, *args):
        self.submits += 1
        if self.submits == 2:
            write_summary(self.out, replace(self.job, run="newer"), {"status": "running"})
        return super().submit(fn, *args)


def test_a_run_whose_folder_was_taken_over_is_incomplete_not_ok(tree, capsys):
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={tree / 'in'}/**/*.*"],
                            tree / "out")
    result = run_batch(job, items, _TakenOver(job, tree / "out"), chunk=2, progress=False)
    assert result.not_run > 0 and result.exit_code == 1
    assert _status(tree / "out") == "incomplete"
    assert len(result.done) + result.not_run == len(items)
