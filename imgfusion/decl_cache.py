"""Operator declarations read from source, kept on disk between runs.

Listing (``imgfusion ops``, ``info``, validation) reads every built-in module's
declarations from source (:mod:`imgfusion.static_decl`); parsing and building them was
half of a listing's time.  The records are pickled under
``$IMGFUSION_CACHE/declarations`` (default ``~/.cache/imgfusion``), one file per module,
with the modification time and size of every file the reading followed (the module,
the modules it took names from, and the declaration code itself): a change to any of
them reads the source again.  A cache that cannot be read or written is only a miss.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Iterable

from .records import Operator

FORMAT = 1
CORE_FILES = ("markers.py", "records.py", "declare_build.py", "static_decl.py")


def cache_file(module: str, origin: str) -> Path:
    """Per module and source file: two checkouts of one module never share an entry."""
    base = os.environ.get("IMGFUSION_CACHE") or Path.home() / ".cache" / "imgfusion"
    where = hashlib.sha256(os.path.abspath(origin).encode()).hexdigest()[:16]
    return Path(base) / "declarations" / f"{module}-{where}.pickle"


def stamp(path: str) -> tuple[str, int, int]:
    info = os.stat(path)
    return path, info.st_mtime_ns, info.st_size


def cached_records(module: str, origin: str) -> list[Operator] | None:
    """The cached records of ``module`` (in ``origin``); None when absent or a file changed."""
    try:
        with open(cache_file(module, origin), "rb") as fh:
            version, files, records = pickle.load(fh)
        if version != FORMAT or any(stamp(f[0]) != tuple(f) for f in files):
            return None
        return [Operator(**fields) for fields in records]
    except Exception:  # noqa: BLE001 - a stale or broken cache is only a miss
        return None


def keep_records(module: str, origin: str, ops: list[Operator], files: Iterable[str]) -> None:
    """Keep ``ops`` (read from ``files``) for the next run; silently skipped on failure."""
    here = Path(__file__).parent
    paths = sorted({*files, *(str(here / name) for name in CORE_FILES)})
    records = [{f.name: getattr(op, f.name) for f in dataclasses.fields(op) if f.name != "check"}
               for op in ops]    # the check is rebuilt from the "check" trait
    target = cache_file(module, origin)
    partial = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=target.parent, delete=False) as fh:
            partial = fh.name
            pickle.dump((FORMAT, [stamp(p) for p in paths], records), fh)
        os.replace(partial, target)
    except Exception:  # noqa: BLE001 - no cache this time (read-only home, an odd trait)
        if partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(partial)
