"""What the workbench wrote: the files it may replace without asking.

The workbench writes into the user's folder (its recipes, and by default its outputs).
It replaces a file there only when it wrote that file itself and nobody has changed it
since: each file it writes (a recipe it saves, every file a run writes) is recorded in
``FOLDER/.imgfusion-workbench.json`` with its size and modification time
(:func:`imgfusion.paths.file_stamp`); any other file that stands in the way is a problem
naming the step and field, as ``imgfusion run`` reports it, and a recipe name already
taken by the user's own file is refused.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from ..paths import atomic_write, file_stamp, stamps, unchanged

LEDGER = ".imgfusion-workbench.json"
_LOCK = threading.Lock()   # the server's request threads and its run thread


def _read(folder: Path) -> dict[str, list[int]]:
    """The ledger's well-formed entries (path -> [size, mtime_ns]); a damaged ledger
    counts as empty: the workbench then replaces nothing."""
    try:
        data = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {p: s for p, s in data.items() if "\0" not in p and isinstance(s, list)
            and len(s) == 2 and all(type(v) is int for v in s)}


def replaceable(folder: Path) -> frozenset[Path]:
    """The files the workbench wrote that are still as it left them."""
    return unchanged(_read(folder))


def record(folder: Path, paths) -> None:
    """Remember ``paths`` (just written by the workbench) as its own, and forget the
    files that are gone or changed."""
    with _LOCK:
        kept = {p: s for p, s in _read(folder).items() if file_stamp(p) == s}
        kept.update(stamps(Path(p) for p in paths))
        text = json.dumps(kept, indent=1).encode("utf-8")
        atomic_write(folder / LEDGER, lambda f: f.write(text), overwrite=True)


def own_or_free(folder: Path, path: Path) -> bool:
    """Whether the workbench may write ``path``: nothing is there, or its own file."""
    return not os.path.lexists(path) or path in replaceable(folder)
