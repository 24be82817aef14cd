"""What runs in a worker: one chunk of items, each into a folder that appears complete.

An item's recipe runs into ``OUT/.partial/<folder>.<pid>.<random>``; when it has
finished, a marker (``.imgfusion-batch.json``: recipe hash, inputs, outputs,
seconds) is written there and the folder is renamed to ``OUT/<folder>``.  A
worker killed mid-item leaves only its ``.partial`` folder (the runner clears
it); an item rerun after its folder was published (a chunk retried after a
worker death) finds the marker and is not computed twice.

The operator registry is built once per worker process and kept; model weights
are cached per process by :mod:`imgfusion.style.weights` (``lru_cache``), so a
long-lived worker loads VGG19 once for all its items.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import traceback
import uuid
from itertools import takewhile
from pathlib import Path
from typing import Any

from ..errors import ParameterError, RecipeError, StepFailed
from ..plugins import Registry, load_registry
from .inputs import MARKER, read_marker
from .job import PARTIAL, BatchJob, Item
from .manifest import append_record, run_is_current

_REGISTRIES: dict[tuple[str, ...], Registry] = {}


def registry_for(plugin_files: tuple[str, ...]) -> Registry:
    """This process's registry for these plugin files, built on first use."""
    reg = _REGISTRIES.get(plugin_files)
    if reg is None:
        reg = _REGISTRIES[plugin_files] = load_registry(plugin_files)
    return reg


class RunStopped(Exception):
    """This task's run is no longer the folder's running one (its driver was stopped, or a
    newer run took the folder over): the task publishes and records nothing more."""


def still_current(job: BatchJob) -> None:
    """Raise :class:`RunStopped` once ``batch.json`` no longer names this job's run as
    running."""
    if not run_is_current(Path(job.out), job.run):
        raise RunStopped(job.run)


def run_chunk(job: BatchJob, items: list[Item]) -> list[dict[str, Any]]:
    """Run each item of a chunk; item failures are reported, not raised.  Once the run is
    no longer current the chunk ends, its remaining items left for the next run."""
    return list(takewhile(lambda rec: rec is not None, (run_item(job, i) for i in items)))


def run_item(job: BatchJob, item: Item) -> dict[str, Any] | None:
    """Run one item (unless its folder is already complete) and append its manifest line;
    None if the run stopped before the item was published."""
    try:
        still_current(job)
        rec = published_record(job, item) or _compute(job, item)
    except RunStopped:
        return None
    append_record(job.out, rec)
    return rec


def published_record(job: BatchJob, item: Item) -> dict[str, Any] | None:
    """The "done" record of an item whose folder this batch completed, else None."""
    marker = complete_marker(Path(job.out) / item.folder, job, item)
    if marker is None:
        return None
    return record(job, item, "done", marker["seconds"], marker["outputs"], None, 0,
                  marker["stamps"])


def _compute(job: BatchJob, item: Item) -> dict[str, Any]:
    final = Path(job.out) / item.folder
    t0 = time.perf_counter()
    before = stamps(item.inputs)
    error, attempts = None, 0
    while attempts <= job.retries:
        if attempts:
            still_current(job)             # no retry, and no failed line, for a stopped run
        attempts += 1
        try:
            outputs = _attempt(job, item, final, t0)
            return record(job, item, "done", time.perf_counter() - t0, outputs, None, attempts,
                          before)
        except RunStopped:
            raise
        except Exception as exc:  # noqa: BLE001 - reported in the manifest; KeyboardInterrupt passes
            error = _describe(exc)
            if _deterministic(exc):
                break
    still_current(job)
    return record(job, item, "failed", time.perf_counter() - t0, [], error, attempts)


def _attempt(job: BatchJob, item: Item, final: Path, t0: float) -> list[str]:
    from ..engine import run_recipe
    from ..recipe import load_recipe

    tmp = Path(job.out) / PARTIAL / f"{item.folder}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        recipe = load_recipe(job.recipe_for(item), out_dir=tmp, base_dir=job.base_dir or None,
                             registry=registry_for(job.plugin_files))
        run_recipe(recipe, progress=False)
        outputs = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        marker = {"sha": job.sha, "inputs": list(item.inputs), "stamps": stamps(item.inputs),
                  "outputs": outputs, "seconds": round(time.perf_counter() - t0, 4)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        still_current(job)
        _publish(tmp, final, job, item)
        return outputs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp: Path, final: Path, job: BatchJob, item: Item) -> None:
    """Rename the finished folder into place, replacing a stale copy of this batch's."""
    if final.exists():
        if read_marker(final).get("sha") != job.sha:
            raise FileExistsError(f"{final} exists and was not written by this batch; "
                                  "imgfusion does not replace it")
        trash = final.parent / PARTIAL / f"{final.name}.old.{uuid.uuid4().hex[:8]}"
        os.rename(final, trash)
        shutil.rmtree(trash, ignore_errors=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if complete_marker(final, job, item) is None:   # not another attempt's twin: a real error
            raise


def complete_marker(folder: Path, job: BatchJob, item: Item) -> dict[str, Any] | None:
    """The folder's marker if this batch wrote it for this item, from inputs as they are
    now, and every output is there."""
    marker = read_marker(folder)
    if marker.get("sha") != job.sha or marker.get("inputs") != list(item.inputs):
        return None
    if marker.get("stamps") != stamps(item.inputs):
        return None
    if not all((folder / o).is_file() for o in marker.get("outputs", [])):
        return None
    return marker


def stamps(paths) -> list[list[int] | None]:
    """Size and modification time of each input: an input that changed is redone."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append([st.st_size, st.st_mtime_ns])
        except OSError:
            out.append(None)
    return out


def record(job: BatchJob, item: Item, status: str, seconds: float, outputs: list[str],
           error: str | None, attempts: int, stamped=None) -> dict[str, Any]:
    """One manifest line."""
    return {"input": item.inputs[job.primary],
            "inputs": dict(zip(job.bind_keys, item.inputs)),
            "folder": item.folder, "status": status, "seconds": round(seconds, 4),
            "outputs": [f"{item.folder}/{o}" for o in outputs], "error": error,
            "attempts": attempts, "sha": job.sha, "index": item.index, "stamps": stamped,
            "run": job.run}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (RecipeError, StepFailed, ParameterError)):
        return str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1:] or [None]
    where = f" (at {Path(frame[0].filename).name}:{frame[0].lineno})" if frame[0] else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _deterministic(exc: BaseException) -> bool:
    """Bad input: retrying cannot help (a corrupt file, a parameter out of range)."""
    return (isinstance(exc, (RecipeError, ParameterError, FileExistsError))
            or getattr(exc, "exit_code", 1) == 2)
