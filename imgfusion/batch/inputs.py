"""``--bind STEP.PARAM=GLOB``: which files, in which order, into which folders.

A bind's source is a glob (``photos/**/*.jpg``, recursive), a list file
(``@list.txt``: one path a line, relative to the list's folder, ``#`` comments),
or a video's frames (``frames:clip.mp4``, or a folder of numbered frames; see
:mod:`imgfusion.batch.frames`).
Several binds advance together, item by item (an image and its mask); a bind
that matches a single file is used for every item, as a still image is
broadcast over a video's frames.

Each item gets its own output folder named from its first varying input: the
path relative to the bind's base (the glob's folder before any wildcard, or the
list file's folder), as a slug (``photos/**/*.jpg`` matching
``photos/a/b/cat.jpg`` -> ``a__b__cat``).  Names are collision-free: inputs whose
slugs clash (``cat.jpg`` and ``cat.png``) each get a short hash of their relative
path (``cat-3f2a91c0``), except one whose folder an earlier batch in the same --out
already holds (a ``cat.png`` added beside a finished ``cat.jpg`` leaves ``cat`` to it).
So names are stable: adding or removing other files does not rename a finished item.
"""
from __future__ import annotations

import fnmatch
import glob
import hashlib
import itertools
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from .frames import frame_paths, is_frames_source

MANIFEST = "manifest.jsonl"   # what a batch writes at the top of --out
SUMMARY = "batch.json"

RESERVED = {"manifest", "batch"}   # the stems of the batch's own files in --out
MARKER = ".imgfusion-batch.json"   # in each finished item's folder (batch.work)


@dataclass(frozen=True)
class Bind:
    step: str
    param: str
    source: str
    paths: tuple[Path, ...] = ()
    base: Path = Path("/")    # folder names are relative to it

    @property
    def key(self) -> str:
        return f"{self.step}.{self.param}"


def parse_bind(text: str) -> Bind:
    key, sep, source = text.partition("=")
    step, dot, param = key.strip().rpartition(".")
    if not (sep and dot and step and param and source.strip()):
        raise UsageError(f"--bind {text!r}: expected STEP.PARAM=GLOB, STEP.PARAM=@LIST or "
                         "STEP.PARAM=frames:VIDEO (e.g. --bind photo.path='photos/*.jpg')")
    return Bind(step, param, source.strip())


def expand(bind: Bind) -> Bind:
    """The bind with its files: sorted glob matches, the list file's lines in order, or a
    video's frames in order."""
    if is_frames_source(bind.source):
        paths, base = frame_paths(bind.source, bind.key)
    elif bind.source.startswith("@"):
        paths = _list_file(bind)
        base = Path(os.path.expanduser(bind.source[1:])).resolve().parent
    else:
        pattern = os.path.expanduser(bind.source)
        matches = sorted(glob.glob(pattern, recursive=True))
        paths = [Path(m).resolve() for m in matches if os.path.isfile(m)]
        if not paths:
            raise UsageError(f"--bind {bind.key}: the glob {bind.source!r} matches no file")
        base = _glob_base(pattern)
    unique = list(dict.fromkeys(paths))
    return Bind(bind.step, bind.param, bind.source, tuple(unique), base)


def _glob_base(pattern: str) -> Path:
    """The folder of a glob before its first wildcard: ``a/b/**/*.png`` -> ``a/b``."""
    parts = Path(pattern).parts
    fixed = [p for p in itertools.takewhile(lambda p: not glob.has_magic(p), parts[:-1])]
    return Path(*fixed).resolve() if fixed else Path.cwd()


def _list_file(bind: Bind) -> list[Path]:
    listing = Path(os.path.expanduser(bind.source[1:])).resolve()
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"--bind {bind.key}: cannot read the list file {str(listing)!r}: "
                         f"{exc.strerror}") from None
    names = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    paths = [(listing.parent / os.path.expanduser(n)).resolve() for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UsageError(f"--bind {bind.key}: {listing.name} lists files that do not exist: "
                         f"{', '.join(missing[:3])}{more}")
    if not paths:
        raise UsageError(f"--bind {bind.key}: the list file {str(listing)!r} names no file")
    return paths


def zip_binds(binds: list[Bind]) -> list[tuple[Path, ...]]:
    """One tuple of paths per item; single-file binds are repeated for every item."""
    n = max(len(b.paths) for b in binds)
    for b in binds:
        if len(b.paths) not in (1, n):
            longest = next(o for o in binds if len(o.paths) == n)
            raise UsageError(f"--bind {b.key} matches {len(b.paths)} files but --bind "
                             f"{longest.key} matches {n}; binds advance together, item by "
                             "item (a bind matching one file is used for every item)")
    return [tuple(b.paths[i] if len(b.paths) > 1 else b.paths[0] for b in binds)
            for i in range(n)]


def primary(binds: list[Bind]) -> int:
    """Index of the bind that names the items: the first one that varies."""
    n = max(len(b.paths) for b in binds)
    return next(i for i, b in enumerate(binds) if len(b.paths) == n)


def folder_names(paths: list[Path], base: Path,
                 owner: Callable[[str], str | None] = lambda name: None) -> list[str]:
    """Stable, collision-free folder names for the items' (primary) inputs.  ``owner``
    gives the input an existing folder of that name holds (an earlier batch's): when a
    new input's slug clashes with it, the earlier input keeps its folder."""
    rels = [p.relative_to(base) if base in p.parents else Path(*p.parts[1:]) for p in paths]
    slugs = [_slug(r) for r in rels]
    clashes = Counter(s.lower() for s in slugs)

    def plain(slug: str, path: Path) -> bool:
        return slug.lower() not in RESERVED and (clashes[slug.lower()] == 1
                                                 or owner(slug) == str(path))
    return [s if plain(s, p) else f"{s}-{hashlib.sha1(r.as_posix().encode()).hexdigest()[:8]}"
            for s, r, p in zip(slugs, rels, paths)]


def read_marker(folder: Path) -> dict[str, Any]:
    """The marker of an item folder (batch.work writes it); {} when missing or unreadable."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _slug(rel: Path) -> str:
    parts = [*rel.parent.parts, rel.stem]
    text = "__".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p) for p in parts if p)
    return text.lstrip(".") or "item"


def check_out_folder(out: Path, binds: list[Bind]) -> None:
    """--out may not be a folder that holds inputs (nor contain them), nor lie where a
    bind's glob reads: a rerun would take the batch's own files for inputs."""
    for b in binds:
        for p in b.paths:
            if p.parent == out or out in p.parents:
                raise UsageError(f"--out {out} is an input folder (it holds {p}, bound by "
                                 f"--bind {b.key}); give the batch an output folder of its own")
        if _is_glob(b.source) and _reaches_below(_glob_parts(b.source), out.parts):
            raise UsageError(f"--out {out} lies inside the tree that the glob {b.source!r} "
                             f"of --bind {b.key} reads, so a rerun would take the batch's own "
                             "outputs for inputs; give --out a folder outside it")


def _is_glob(source: str) -> bool:
    return not (source.startswith("@") or is_frames_source(source))


def _glob_parts(source: str) -> tuple[str, ...]:
    """The glob's components, absolute: its fixed folder resolved (as --out is), then
    the rest as written."""
    pattern = os.path.expanduser(source)
    parts = Path(pattern).parts
    fixed = len(list(itertools.takewhile(lambda p: not glob.has_magic(p), parts[:-1])))
    return _glob_base(pattern).parts + parts[fixed:]


def _reaches_below(pattern: tuple[str, ...], folder: tuple[str, ...]) -> bool:
    """Whether a glob (its components) can match a file the batch writes in ``folder``."""
    if not pattern:
        return False
    if not folder:
        return _matches_own(pattern)
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return _reaches_below(rest, folder) or _reaches_below(pattern, folder[1:])
    return fnmatch.fnmatch(folder[0], head) and _reaches_below(rest, folder[1:])


def _matches_own(rest: tuple[str, ...]) -> bool:
    """Can the rest of a glob, below --out, match what the batch writes there: its own
    files at the top, any name deeper (the items' folders and outputs)?"""
    if len(rest) > 1 or rest[0] == "**":
        return True
    return any(fnmatch.fnmatch(name, rest[0]) for name in (MANIFEST, SUMMARY))
