"""The batch's records in ``--out``: ``manifest.jsonl`` and ``batch.json``.

``manifest.jsonl`` holds one JSON object per item (input, inputs, folder,
status, seconds, outputs, error, attempts, sha).  While a batch runs, each
finished item is appended and flushed, so a killed driver loses at most the
line it was writing (a torn last line is ignored on reading).  When the batch
ends, normally or by Ctrl-C, the file is rewritten atomically with the latest
line per input, in input order.  ``batch.json`` says which recipe the folder
belongs to (its hash), how the last run went, and which items failed.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterable

from ..errors import UsageError
from ..paths import atomic_write
from .job import BatchJob, Item
from .work import stamps

MANIFEST = "manifest.jsonl"
SUMMARY = "batch.json"


def item_key(inputs: Iterable[str]) -> tuple[str, ...]:
    return tuple(inputs)


class Manifest:
    def __init__(self, out: Path):
        self.out = out
        self.path = out / MANIFEST
        self.records: dict[tuple[str, ...], dict[str, Any]] = read_manifest(self.path)
        self._fh = None

    def is_complete(self, job: BatchJob, item: Item) -> bool:
        """Done by this recipe into this folder from the inputs as they are now, with
        every output still there."""
        rec = self.records.get(item_key(item.inputs))
        return (rec is not None and rec.get("status") == "done" and rec.get("sha") == job.sha
                and rec.get("folder") == item.folder
                and rec.get("stamps") == stamps(item.inputs)
                and all((self.out / o).is_file() for o in rec.get("outputs", ())))

    def append(self, rec: dict[str, Any]) -> None:
        self.records[item_key(rec["inputs"].values())] = rec
        if self._fh is None:
            self.out.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(rec) + "\n")
        self._fh.flush()

    def compact(self, items: list[Item]) -> None:
        """Rewrite atomically: this batch's items in order, then older records kept."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        keys = [item_key(i.inputs) for i in items]
        order = [k for k in keys if k in self.records]
        order += [k for k in self.records if k not in set(keys)]
        text = "".join(json.dumps(self.records[k]) + "\n" for k in order)
        atomic_write(self.path, lambda fh: fh.write(text.encode("utf-8")), overwrite=True)


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
    body = {"sha": job.sha, "binds": job.bind_keys, "finished": time.strftime(
        "%Y-%m-%dT%H:%M:%S%z"), **info}
    path = out / SUMMARY
    text = json.dumps(body, indent=2) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), overwrite=True)
    return path
