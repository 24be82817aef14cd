"""Drive a batch on an executor: chunks out, results in, manifest, progress, Ctrl-C.

Items whose folder and manifest line are complete are skipped.  The rest go out
in chunks of paths.  A chunk whose task fails as a whole (its worker process
died, the cluster lost it) is rerun item by item, one at a time, so that the
one item that kills its worker is isolated (see ``_Queue``); an item lost
``MAX_DEATHS`` times that way is reported failed.  Items that fail inside the recipe were already
retried by the worker (``--retries``) and come back as failed records.
"""
from __future__ import annotations

import shutil
import sys
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from ..executors import Executor
from .job import PARTIAL, BatchJob, Item
from .manifest import Manifest, append_record, check_folder, item_key, write_summary
from .work import published_record, record, run_chunk

MAX_DEATHS = 3
MAX_CHUNK = 32      # items per task at most


@dataclass
class BatchResult:
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    not_run: int = 0
    interrupted: bool = False
    interruption: BaseException | None = None   # the KeyboardInterrupt (or SIGTERM's subclass)
    seconds: float = 0.0
    manifest: Path | None = None

    @property
    def exit_code(self) -> int:
        return 130 if self.interrupted else (1 if self.failed or self.not_run else 0)

    def summary(self) -> dict[str, Any]:
        """``incomplete``: not interrupted, yet items were not run (another run took the
        folder over, or the engine lost them): the rerun finishes them."""
        return {"status": "interrupted" if self.interrupted else
                ("failed" if self.failed else "incomplete" if self.not_run else "ok"),
                "done": len(self.done), "failed": len(self.failed),
                "skipped": len(self.skipped), "not_run": self.not_run,
                "seconds": round(self.seconds, 3),
                "failures": [{"input": r["input"], "error": r["error"]} for r in self.failed]}


SETTLE_S = 10.0  # the longest wait for cancelled tasks to stop writing after Ctrl-C


@dataclass
class Chunks:
    """The items still to hand out, a chunk at a time: ``fixed`` items (``--chunk``), or
    guided: the remaining items over twice the workers, at most ``MAX_CHUNK``, so that
    tasks are large while much is left (little per-task cost) and shrink to single
    items at the end (the workers finish together: no worker idles while another
    works through a long last chunk)."""

    items: deque
    workers: int
    fixed: int | None = None

    def __bool__(self) -> bool:
        return bool(self.items)

    def take(self) -> list[Item]:
        size = self.fixed or -(-len(self.items) // (2 * self.workers))
        return [self.items.popleft() for _ in range(min(size, MAX_CHUNK, len(self.items)))]


def run_batch(job: BatchJob, items: list[Item], executor: Executor, *, chunk: int | None = None,
              resume: bool = False, progress: bool | None = None) -> BatchResult:
    """Run every item that is not complete yet; the manifest is written on every exit."""
    out = Path(job.out)
    check_folder(out, job, resume)
    job = replace(job, run=uuid.uuid4().hex[:12])
    manifest = Manifest(out)
    result = BatchResult(manifest=manifest.path)
    result.skipped = skip_complete(job, items, manifest)
    skipped = {i.index for i in result.skipped}
    todo = [i for i in items if i.index not in skipped]
    if todo:
        executor.start()           # an unreachable cluster fails here, before anything is written
    bar = tqdm(total=len(items), initial=len(result.skipped), unit="item", desc="batch",
               file=sys.stderr, disable=None if progress is None else not progress,
               dynamic_ncols=True)
    t0 = time.perf_counter()
    try:
        write_summary(out, job, {**result.summary(), "status": "running"})
        workers = max(1, getattr(executor, "workers", None) or 2)
        _drive(job, Chunks(deque(todo), workers, chunk), executor, manifest, result, bar,
               stopping=lambda: write_summary(out, job, {**result.summary(),
                                                         "status": "stopping"}))
    except KeyboardInterrupt as exc:
        result.interrupted, result.interruption = True, exc
    finally:
        if todo:
            executor.close()
        bar.close()
        result.seconds = time.perf_counter() - t0
        # after an interrupt, tasks an engine could not stop (Dask) may still finish and
        # append their lines: let them settle before the count and the compacted manifest
        clear_work_folders(out / PARTIAL, settle=SETTLE_S if result.interrupted else 0.0)
        count_run(job, todo, manifest, result)
        manifest.compact(items)
        write_summary(out, job, {"executor": executor.describe(), **result.summary()})
    return result


def skip_complete(job: BatchJob, items: list[Item], manifest: Manifest) -> list[Item]:
    """The items whose folders this batch completed (their markers say so), whatever the
    manifest says; one that lacks its line (its run was stopped) gets it now."""
    skipped = []
    for item in items:
        rec = published_record(job, item)
        if rec is None:
            continue
        skipped.append(item)
        known = manifest.records.get(item_key(item.inputs), {})
        if (known.get("status"), known.get("sha"), known.get("folder")) != \
                ("done", job.sha, item.folder):
            manifest.append(rec)
    return skipped


def count_run(job: BatchJob, todo: list[Item], manifest: Manifest, result: BatchResult) -> None:
    """Count every item this run finished, from the manifest's lines: also those whose
    task never came back (a Ctrl-C stops a chunk whose first items are done), and a
    folder published by a worker stopped before it appended its line (that line is
    appended now)."""
    seen = {r["index"] for r in result.done + result.failed}
    lines = manifest.lines_of_run(job.run)
    for item in (i for i in todo if i.index not in seen):
        rec = lines.get(item_key(item.inputs))
        if rec is None and (rec := published_record(job, item)) is not None:
            manifest.append(rec)
        if rec is not None:
            (result.done if rec["status"] == "done" else result.failed).append(rec)
    result.not_run = len(todo) - len(result.done) - len(result.failed)


def clear_work_folders(folder: Path, *, settle: float) -> None:
    """Remove the items' work folders.  After an interrupt, a task that its engine could
    not stop (Dask does not kill a running task it cancels) may still write for a moment:
    keep clearing until the folder has stayed away for a second, ``settle`` s at most."""
    shutil.rmtree(folder, ignore_errors=True)
    start = quiet = time.monotonic()
    while time.monotonic() - start < settle and time.monotonic() - quiet < 1.0:
        time.sleep(0.1)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            quiet = time.monotonic()


@dataclass
class _Queue:
    """Chunks to submit, and suspects: items of lost chunks, rerun one at a time.

    A process pool loses every call in flight when one worker dies, so a lost
    chunk blames nobody: its items become suspects.  While there are suspects,
    no new chunk is submitted and one suspect runs at a time; a suspect lost
    again is the one that kills its worker, and after ``MAX_DEATHS`` losses it
    is reported failed.
    """

    chunks: Chunks
    suspects: deque = field(default_factory=deque)
    deaths: Counter = field(default_factory=Counter)
    inflight: dict = field(default_factory=dict)   # handle -> (items, is_suspect)

    def submit(self, job: BatchJob, executor: Executor) -> None:
        """Keep each worker busy with one task running and one waiting, no more: later
        chunks are sized when they are taken, and a Ctrl-C has little to cancel."""
        if self.suspects:
            if not any(suspect for _, suspect in self.inflight.values()):
                part = [self.suspects.popleft()]
                self.inflight[executor.submit(run_chunk, job, part)] = (part, True)
            return
        while self.chunks and len(self.inflight) < 2 * self.chunks.workers:
            part = self.chunks.take()
            self.inflight[executor.submit(run_chunk, job, part)] = (part, False)

    def lost(self, job: BatchJob, part: list[Item], suspect: bool,
             exc: Exception) -> list[dict[str, Any]]:
        if not suspect:
            self.suspects.extend(part)
            return []
        [item] = part
        self.deaths[item.index] += 1
        n = self.deaths[item.index]
        if n < MAX_DEATHS:
            self.suspects.appendleft(item)
            return []
        error = (f"its task was lost {n} times (its worker process died, or the executor "
                 f"failed): {type(exc).__name__}: {exc}")
        return [record(job, item, "failed", 0.0, [], error, n)]


def _drive(job: BatchJob, chunks: Chunks, executor: Executor, manifest: Manifest,
           result: BatchResult, bar, stopping: Callable[[], Any]) -> None:
    """Submit, collect and note until every item is done; on any exit before that (Ctrl-C,
    SIGTERM, an engine's error) ``stopping()`` first, so that tasks still running, or
    starting before the cancel reaches them, publish nothing, then cancel."""
    q = _Queue(chunks)
    try:
        while q.chunks or q.suspects or q.inflight:
            q.submit(job, executor)
            for handle in executor.wait(list(q.inflight), timeout=0.5):
                part, suspect = q.inflight.pop(handle)
                try:
                    records = executor.result(handle)
                except Exception as exc:  # noqa: BLE001 - the task as a whole was lost
                    records = q.lost(job, part, suspect, exc)
                    for rec in records:        # made here: no worker appended their lines
                        append_record(job.out, rec)
                for rec in records:
                    _note(rec, manifest, result, bar)
    except BaseException:
        try:
            stopping()
        finally:                       # a second Ctrl-C inside stopping() still cancels
            executor.cancel(list(q.inflight))
        raise


def _note(rec: dict[str, Any], manifest: Manifest, result: BatchResult, bar) -> None:
    manifest.note(rec)
    (result.done if rec["status"] == "done" else result.failed).append(rec)
    bar.update()
    if rec["status"] != "done":
        bar.write(f"imgfusion: item failed: {rec['input']} (errors at the end)", file=sys.stderr)
