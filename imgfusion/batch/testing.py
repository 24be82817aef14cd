"""Checks that any executor must pass, shared by imgfusion's tests and the executor plugins'.

Each ``check_*`` takes a factory that returns a fresh (not started)
:class:`~imgfusion.executors.Executor` and a scratch folder, runs a real
batch over ~20 tiny PNGs with a cheap recipe (load, resize, composite, save),
and asserts with plain ``assert``:

- :func:`check_identical`: every output byte-equal to a plain in-process
  ``run_recipe`` of the same recipe on the same input;
- :func:`check_corrupt_input`: a corrupt file is reported, the rest are done;
- :func:`check_worker_killed`: a worker that dies mid-item loses nothing;
- :func:`check_retries`: a flaky item succeeds within ``--retries``;
- :func:`check_resume_after_interrupt`: Ctrl-C in the driver writes the
  manifest, and a rerun redoes only the items that were not done.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from ..executors import Executor
from .job import PARTIAL, prepare
from .runner import run_batch

PLUGIN = Path(__file__).with_name("testing_plugin.py")
N_INPUTS = 20

RECIPE = """\
imgfusion: 1
plugins: [{plugin}]
steps:
  - {{id: photo, op: {load}}}
  - {{id: small, op: resize, size: [8, 8]}}
  - {{id: big, op: resize, image: $small, size: [16, 16]}}
  - {{id: mask, op: shape_mask, like: $photo, feather: 2}}
  - {{id: mix, op: composite, foreground: $big, background: $photo, mask: $mask}}
  - {{op: save, path: mixed.png}}
"""


def make_inputs(folder: Path, n: int = N_INPUTS, seed: int = 0) -> list[Path]:
    """``n`` random 16 x 16 RGB images in two subfolders; b/same.png and b/same.tif
    share a stem, so their output folders need the hash suffix."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = ["b/same.png", "b/same.tif", *(f"{'ab'[i % 2]}/img{i:02d}.png" for i in range(2, n))]
    paths = [folder / name for name in names[:n]]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(path)
    return paths


def write_recipe(folder: Path, load: str = "load") -> Path:
    """The cheap recipe; ``load`` may be a flow mapping body for test_load's faults."""
    path = folder / "recipe.yaml"
    path.write_text(RECIPE.format(plugin=json.dumps(str(PLUGIN)), load=load))
    return path


def test_load(log_dir: Path, **faults) -> str:
    """The ``op:`` text of a test_load step (see testing_plugin.py)."""
    extra = "".join(f", {k}: {json.dumps(v)}" for k, v in faults.items())
    return f"test_load, log_dir: {json.dumps(str(log_dir))}{extra}"


test_load.__test__ = False


def reference(recipe: Path, image: Path, scratch: Path) -> bytes:
    """The recipe's output for one input, run plainly in this process."""
    from ..engine import run_recipe
    from ..recipe import load_recipe

    r = load_recipe(recipe, overrides=[f"photo.path={json.dumps(str(image))}"], out_dir=scratch)
    run_recipe(r, progress=False, write_report=False)
    return (scratch / "mixed.png").read_bytes()


def batch(tmp: Path, make: Callable[[], Executor], recipe: Path, out: str = "out", **kw):
    job, items, _ = prepare(recipe, [f"photo.path={tmp / 'in'}/**/*.*"], tmp / out)
    return job, items, run_batch(job, items, make(), progress=False, **kw)


def runs(log_dir: Path) -> Counter:
    path = log_dir / "runs.log"
    return Counter(path.read_text().split()) if path.exists() else Counter()


def manifest_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def _published(out: Path, items) -> set[str]:
    return {i.folder for i in items if (out / i.folder).exists()}


def _assert_clean(out: Path) -> None:
    assert not (out / PARTIAL).exists(), "work folders left behind"


def check_identical(make: Callable[[], Executor], tmp: Path) -> None:
    inputs = make_inputs(tmp / "in")
    recipe = write_recipe(tmp)
    job, items, result = batch(tmp, make, recipe, chunk=3)
    assert result.exit_code == 0 and len(result.done) == N_INPUTS, result.summary()
    names = [i.folder for i in items]
    assert len(set(names)) == N_INPUTS and any("-" in n for n in names), names  # clash hashed
    by_input = {Path(i.inputs[0]): i.folder for i in items}
    for k, image in enumerate(inputs):
        expected = reference(recipe, image, tmp / "ref" / str(k))
        assert (tmp / "out" / by_input[image] / "mixed.png").read_bytes() == expected, image
    lines = manifest_lines(tmp / "out")
    assert [ln["status"] for ln in lines] == ["done"] * N_INPUTS
    assert all(f"{ln['folder']}/mixed.png" in ln["outputs"] for ln in lines)
    _assert_clean(tmp / "out")


def check_corrupt_input(make: Callable[[], Executor], tmp: Path) -> None:
    inputs = make_inputs(tmp / "in")
    inputs[5].write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    _, _, result = batch(tmp, make, write_recipe(tmp), chunk=4)
    assert result.exit_code == 1 and len(result.done) == N_INPUTS - 1
    [bad] = result.failed
    assert bad["input"] == str(inputs[5]) and "step photo" in bad["error"], bad
    assert not (tmp / "out" / bad["folder"]).exists()
    _assert_clean(tmp / "out")


def check_worker_killed(make: Callable[[], Executor], tmp: Path) -> None:
    inputs = make_inputs(tmp / "in")
    logs = tmp / "logs"
    logs.mkdir()
    victim = inputs[7].name
    _, items, result = batch(tmp, make, write_recipe(tmp, test_load(logs, kill=victim)), chunk=4)
    assert result.exit_code == 0 and len(result.done) == N_INPUTS, result.summary()
    assert (logs / f"killed-{victim}-0").exists(), "the worker was never killed"
    assert runs(logs)[victim] == 2
    assert all((tmp / "out" / i.folder / "mixed.png").is_file() for i in items)
    _assert_clean(tmp / "out")


def check_retries(make: Callable[[], Executor], tmp: Path) -> None:
    inputs = make_inputs(tmp / "in", n=6)
    logs = tmp / "logs"
    logs.mkdir()
    flaky = inputs[2].name
    recipe = write_recipe(tmp, test_load(logs, fail=flaky, times=2))
    job, items = prepare(recipe, [f"photo.path={tmp / 'in'}/**/*.*"], tmp / "out",
                         retries=1)[:2]
    first = run_batch(job, items, make(), progress=False)
    [bad] = first.failed
    assert bad["attempts"] == 2 and "flaky failure" in bad["error"], bad
    job, items = prepare(recipe, [f"photo.path={tmp / 'in'}/**/*.*"], tmp / "out",
                         retries=2)[:2]
    assert job.sha == first_sha(tmp / "out")   # retries do not change what is computed
    second = run_batch(job, items, make(), progress=False)
    assert second.exit_code == 0 and len(second.skipped) == 5 and len(second.done) == 1
    assert runs(logs)[flaky] == 3 and runs(logs)[inputs[0].name] == 1


def first_sha(out: Path) -> str:
    return json.loads((out / "batch.json").read_text())["sha"]


class InterruptAfter(Executor):
    """Wraps an executor; Ctrl-C reaches the driver while it collects the n-th result."""

    def __init__(self, inner: Executor, n: int):
        super().__init__(inner.options)
        self.inner, self.n, self.seen = inner, n, 0
        self.name, self.workers = inner.name, getattr(inner, "workers", None)

    def start(self):
        self.inner.start()

    def submit(self, fn, *args):
        return self.inner.submit(fn, *args)

    def wait(self, handles, timeout):
        return self.inner.wait(handles, timeout)

    def result(self, handle):
        self.seen += 1
        if self.seen == self.n:
            raise KeyboardInterrupt
        return self.inner.result(handle)

    def cancel(self, handles):
        self.inner.cancel(handles)

    def close(self):
        self.inner.close()


def check_resume_after_interrupt(make: Callable[[], Executor], tmp: Path) -> None:
    make_inputs(tmp / "in")
    logs = tmp / "logs"
    logs.mkdir()
    recipe = write_recipe(tmp, test_load(logs, sleep=0.05))
    _, items, first = batch(tmp, lambda: InterruptAfter(make(), 4), recipe, chunk=2)
    assert first.exit_code == 130 and 0 < len(first.done) < N_INPUTS, first.summary()
    _assert_clean(tmp / "out")
    done_before = {ln["input"] for ln in manifest_lines(tmp / "out") if ln["status"] == "done"}
    assert done_before == {r["input"] for r in first.done}
    # a task its engine could not stop (Dask) must not publish after the return; with this
    # cheap recipe (0.05 s items) a second covers what a task still running could do
    time.sleep(1.0)
    assert _published(tmp / "out", items) == {r["folder"] for r in first.done}
    assert len(manifest_lines(tmp / "out")) == len(first.done) + len(first.failed)
    _, _, second = batch(tmp, make, recipe, chunk=2)
    assert second.exit_code == 0 and len(second.skipped) == len(done_before)
    assert {r["input"] for r in second.done} == {i.inputs[0] for i in items} - done_before
    counts = runs(logs)
    assert all(counts[Path(p).name] == 1 for p in done_before), counts
    assert len(manifest_lines(tmp / "out")) == N_INPUTS


ALL_CHECKS = (check_identical, check_corrupt_input, check_worker_killed, check_retries,
              check_resume_after_interrupt)

__all__ = ["PLUGIN", "make_inputs", "write_recipe", "reference", "runs", "InterruptAfter",
           *(c.__name__ for c in ALL_CHECKS), "ALL_CHECKS"]
