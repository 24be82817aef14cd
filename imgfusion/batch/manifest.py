"""The batch's records in ``--out``: ``manifest.jsonl`` and ``batch.json``.

``manifest.jsonl`` holds one JSON object per item (input, inputs, folder,
status, seconds, outputs, error, attempts, sha, run).  Each item's line is
appended by the worker that finished it, at once (one ``write`` on an
``O_APPEND`` descriptor, then ``fsync``), so whatever stops the batch (Ctrl-C,
SIGTERM, a killed driver) the manifest already holds every finished item; a
torn last line is ignored on reading.  When the batch ends, the driver reads the
file back (its counts are the lines of this run), then rewrites it atomically with
the latest line per input, in input order.  ``batch.json`` says which recipe the
folder belongs to (its hash), which run holds it and how that run went
(``running``, ``stopping`` from a Ctrl-C until the count is done, then ``ok``,
``failed``, ``interrupted`` or ``incomplete``: items not run though nobody stopped
the run, e.g. a newer run took the folder over), and which items failed.  A worker
publishes an item only while ``batch.json`` names its run as running: a task its
engine could not stop (Dask) changes nothing after the driver has counted.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from ..errors import UsageError
from ..paths import atomic_write
from .inputs import MANIFEST, SUMMARY  # noqa: F401 - named here too
from .job import BatchJob, Item



def item_key(inputs: Iterable[str]) -> tuple[str, ...]:
    return tuple(inputs)


class Manifest:
    def __init__(self, out: Path):
        self.out = out
        self.path = out / MANIFEST
        self.records: dict[tuple[str, ...], dict[str, Any]] = read_manifest(self.path)

    def append(self, rec: dict[str, Any]) -> None:
        """Record ``rec`` and append its line (for records the driver makes itself)."""
        self.note(rec)
        append_record(self.out, rec)

    def note(self, rec: dict[str, Any]) -> None:
        """Record ``rec``, whose line its worker has already appended."""
        self.records[item_key(rec["inputs"].values())] = rec

    def lines_of_run(self, run: str) -> dict[tuple[str, ...], dict[str, Any]]:
        """Read the file back: the latest line per input, kept; those of ``run`` returned."""
        self.records.update(read_manifest(self.path))
        return {k: r for k, r in self.records.items() if r.get("run") == run}

    def compact(self, items: list[Item]) -> None:
        """Rewrite atomically: this batch's items in order, then older records kept."""
        keys = [item_key(i.inputs) for i in items]
        order = [k for k in keys if k in self.records]
        order += [k for k in self.records if k not in set(keys)]
        text = "".join(json.dumps(self.records[k]) + "\n" for k in order)
        atomic_write(self.path, lambda fh: fh.write(text.encode("utf-8")), overwrite=True)


def append_record(out: str | os.PathLike, rec: dict[str, Any]) -> None:
    """Append ``rec`` to ``out``'s manifest durably: one write on an O_APPEND descriptor
    (lines of concurrent writers never interleave on a local file system), then fsync."""
    fd = os.open(Path(out) / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(rec) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(path: Path) -> dict[tuple[str, ...], dict[str, Any]]:
    records: dict[tuple[str, ...], dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        try:
            rec = json.loads(line)
            records[item_key(rec["inputs"].values())] = rec
        except (ValueError, KeyError, AttributeError, TypeError):
            continue          # a line torn by a killed driver
    return records


def check_folder(out: Path, job: BatchJob, resume: bool) -> None:
    """--out is new, or holds a batch of this very recipe (bad input otherwise)."""
    summary = out / SUMMARY
    if summary.is_file():
        try:
            sha = json.loads(summary.read_text(encoding="utf-8")).get("sha")
        except ValueError:
            sha = None
        if sha != job.sha:
            raise UsageError(f"--out {out} holds the batch of another recipe, other binds or "
                             "other --set values; give this batch a folder of its own")
    elif resume:
        raise UsageError(f"--resume: {out} holds no batch to resume (no {SUMMARY})")
    elif out.is_dir() and any(p.name != ".partial" for p in out.iterdir()):
        raise UsageError(f"--out {out} is not empty and holds no imgfusion batch; "
                         "give the batch an empty or new folder")


def write_summary(out: Path, job: BatchJob, info: dict[str, Any]) -> Path:
    body = {"sha": job.sha, "binds": job.bind_keys, "run": job.run, "finished": time.strftime(
        "%Y-%m-%dT%H:%M:%S%z"), **info}
    path = out / SUMMARY
    text = json.dumps(body, indent=2) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), overwrite=True)
    return path


def run_is_current(out: Path, run: str) -> bool:
    """Whether ``batch.json`` still names ``run`` as running: a task that outlived its
    driver's Ctrl-C (Dask cannot stop a running task), or whose folder a newer run took
    over, must not publish or record anything.  A job without a run id is always current."""
    if not run:
        return True
    try:
        body = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and body.get("run") == run and body.get("status") == "running"
