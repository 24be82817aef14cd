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
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..executors import Executor
from .job import PARTIAL, BatchJob, Item
from .manifest import Manifest, check_folder, write_summary
from .work import record, run_chunk

MAX_DEATHS = 3


@dataclass
class BatchResult:
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    not_run: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    manifest: Path | None = None

    @property
    def exit_code(self) -> int:
        return 130 if self.interrupted else (1 if self.failed else 0)

    def summary(self) -> dict[str, Any]:
        return {"status": "interrupted" if self.interrupted else
                ("failed" if self.failed else "ok"),
                "done": len(self.done), "failed": len(self.failed),
                "skipped": len(self.skipped), "not_run": self.not_run,
                "seconds": round(self.seconds, 3),
                "failures": [{"input": r["input"], "error": r["error"]} for r in self.failed]}


SETTLE_S = 10.0  # the longest wait for cancelled tasks to stop writing after Ctrl-C


def chunked(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def auto_chunk(n_items: int, workers: int) -> int:
    """About four chunks per worker, at most 32 items each."""
    return max(1, min(32, -(-n_items // (4 * max(1, workers)))))


def run_batch(job: BatchJob, items: list[Item], executor: Executor, *, chunk: int | None = None,
              resume: bool = False, progress: bool | None = None) -> BatchResult:
    """Run every item that is not complete yet; the manifest is written on every exit."""
    out = Path(job.out)
    check_folder(out, job, resume)
    manifest = Manifest(out)
    result = BatchResult(manifest=manifest.path)
    todo = [i for i in items if not manifest.is_complete(job, i)]
    pending = set(todo)
    result.skipped = [i for i in items if i not in pending]
    if todo:
        executor.start()           # an unreachable cluster fails here, before anything is written
    bar = tqdm(total=len(items), initial=len(result.skipped), unit="item", desc="batch",
               file=sys.stderr, disable=None if progress is None else not progress,
               dynamic_ncols=True)
    t0 = time.perf_counter()
    try:
        write_summary(out, job, {"status": "running", **result.summary()})
        size = chunk or auto_chunk(len(todo), getattr(executor, "workers", None) or 2)
        _drive(job, chunked(todo, size), executor, manifest, result, bar)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if todo:
            executor.close()
        bar.close()
        result.seconds = time.perf_counter() - t0
        finished = {r["index"] for r in result.done + result.failed}
        result.not_run = sum(1 for i in todo if i.index not in finished)
        manifest.compact(items)
        write_summary(out, job, {"executor": executor.describe(), **result.summary()})
        clear_work_folders(out / PARTIAL, settle=SETTLE_S if result.interrupted else 0.0)
    return result


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

    chunks: deque
    suspects: deque = field(default_factory=deque)
    deaths: Counter = field(default_factory=Counter)
    inflight: dict = field(default_factory=dict)   # handle -> (items, is_suspect)

    def submit(self, job: BatchJob, executor: Executor) -> None:
        if self.suspects:
            if not any(suspect for _, suspect in self.inflight.values()):
                part = [self.suspects.popleft()]
                self.inflight[executor.submit(run_chunk, job, part)] = (part, True)
            return
        while self.chunks:
            part = self.chunks.popleft()
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


def _drive(job: BatchJob, chunks: list[list[Item]], executor: Executor, manifest: Manifest,
           result: BatchResult, bar) -> None:
    q = _Queue(deque(chunks))
    try:
        while q.chunks or q.suspects or q.inflight:
            q.submit(job, executor)
            for handle in executor.wait(list(q.inflight), timeout=0.5):
                part, suspect = q.inflight.pop(handle)
                try:
                    records = executor.result(handle)
                except Exception as exc:  # noqa: BLE001 - the task as a whole was lost
                    records = q.lost(job, part, suspect, exc)
                for rec in records:
                    _note(rec, manifest, result, bar)
    except BaseException:
        executor.cancel(list(q.inflight))
        raise


def _note(rec: dict[str, Any], manifest: Manifest, result: BatchResult, bar) -> None:
    manifest.append(rec)
    (result.done if rec["status"] == "done" else result.failed).append(rec)
    bar.update()
    if rec["status"] != "done":
        bar.write(f"imgfusion: item failed: {rec['input']} (errors at the end)", file=sys.stderr)
