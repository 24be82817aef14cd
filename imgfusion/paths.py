"""Where a run may write: inside its output folder, never over an input or ``run.json``.

One check, :func:`confine`, serves both lines of defence:

* at validation, :func:`imgfusion.plan.output_path` resolves every ``OutputPath`` parameter of a
  recipe (and every sweep variant of it) and refuses, with the reason, a path that
  is absolute, climbs out with ``..``, holds a NUL byte, has a name longer than
  :data:`MAX_NAME_BYTES` or a total length over :data:`MAX_PATH_BYTES`, leads out
  of the folder through a symbolic link, or names a run record (``run.json``,
  ``run-<time>.json``) or a recipe input;
* at run time, :func:`atomic_write` (here, for every family) asks :func:`check_destination`
  about every file it is about to publish, while the engine holds a
  :func:`write_session` open, and records what it wrote (side files such as style
  snapshots and loss plots included).

The run record itself never replaces a file (:func:`next_record`): ``run.json`` is the
latest run's record; the record it replaces is first kept as ``run-<its time>.json``,
and a ``run.json`` that is not a run record (a recipe of that name, a user's file) is
left alone, the record then going to ``run-<now>.json``.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import ParameterError

RUN_RECORD = "run.json"
SAMPLE_PREFIX = "sample:"  # an input path naming an image bundled with scikit-image
_EARLIER_RECORD = re.compile(r"run-\d{8}T\d{6}Z(-\d+)?\.json")
RECORD_KEYS = ("status", "versions", "steps")   # what every run record holds
RECORD_MAX_BYTES = 256 * 2**20
# A file is written as ".NAME.XXXXXXXX.part" first, 15 bytes more than NAME: 255 - 15.
MAX_NAME_BYTES = 240
MAX_PATH_BYTES = 4000


def is_sample(path) -> bool:
    """``sample:NAME``, an input path the I/O family resolves to a bundled image."""
    return isinstance(path, str) and path.startswith(SAMPLE_PREFIX)


class UnsafePath(ValueError):
    """An output path that would leave the output folder or replace what it must not."""


def _real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.fspath(path))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def lies_inside(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Does ``path`` resolve (links followed) to ``root`` or a place below it?"""
    return _inside(_real(path), _real(root))


def confine(path: str | os.PathLike, root: str | os.PathLike,
            protect: Iterable[str | os.PathLike] = ()) -> str:
    """The real path of ``path`` (absolute, or relative to ``root``) if it may be written.

    Raises :class:`UnsafePath` when it contains a NUL byte or an over-long name,
    resolves (links followed) outside ``root``, or is ``root/run.json`` or one of
    ``protect``.
    """
    text = os.fspath(path)
    if "\0" in text:
        raise UnsafePath("the path contains a NUL byte")
    for part in Path(text).parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise UnsafePath(f"the name {part[:40]!r}... is {len(part.encode())} bytes long; "
                             f"file names are limited to {MAX_NAME_BYTES} bytes")
    full = os.path.join(os.fspath(root), text)
    if len(full.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise UnsafePath(f"the path is {len(full.encode())} bytes long; the limit is "
                         f"{MAX_PATH_BYTES}")
    real, real_root = _real(full), _real(root)
    if not _inside(real, real_root):
        raise UnsafePath(f"{text!r} resolves to {real}, outside the output folder {real_root}")
    if os.path.dirname(real) == real_root and is_record_name(os.path.basename(real)):
        raise UnsafePath(f"{os.path.basename(real)} is the run's own record (records are "
                         f"{RUN_RECORD} and run-<time>.json); choose another name")
    if real in {_real(p) for p in protect}:
        raise UnsafePath(f"{real} is an input of this recipe; imgfusion never overwrites its "
                         "inputs")
    return real


# -- the run-time guard ------------------------------------------------------------
@dataclass
class WriteSession:
    """What a running recipe may write (inside ``root``, not ``protect``) and wrote."""

    root: str
    protect: frozenset[str]
    written: list[str] = field(default_factory=list)

    def record(self, path: str | os.PathLike) -> None:
        path = os.path.abspath(os.fspath(path))
        if path not in self.written:
            self.written.append(path)

    def moved(self, source: str | os.PathLike, dest: str | os.PathLike) -> None:
        """A recorded file, or a folder of recorded files, was renamed: the record names
        where they are now (a temporary name is never what a run reports)."""
        source = os.path.abspath(os.fspath(source))
        dest = os.path.abspath(os.fspath(dest))
        inside = [p for p in self.written if _inside(p, source)]
        self.written = [p for p in self.written if not _inside(p, source)]
        for p in inside or [source]:
            self.record(dest + p[len(source):])


_SESSION: ContextVar[WriteSession | None] = ContextVar("imgfusion_write_session", default=None)


@contextlib.contextmanager
def write_session(root: str | os.PathLike,
                  protect: Iterable[str | os.PathLike] = ()) -> Iterator[WriteSession]:
    """While open, every :func:`atomic_write` must land inside ``root`` and is recorded."""
    items = [p for p in protect if not is_sample(str(p))]
    session = WriteSession(_real(root), frozenset(_real(p) for p in items))
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


def in_output_folder(path: str | os.PathLike | None,
                     workdir: str | os.PathLike | None) -> Path | None:
    """An output path as the run means it: ``~`` expanded, and a relative one inside the
    run's output folder ``workdir`` (None stays None)."""
    if path is None:
        return None
    p = Path(os.path.expanduser(os.fspath(path)))
    return p if p.is_absolute() or workdir is None else Path(workdir) / p


def move_written(source: str | os.PathLike, dest: str | os.PathLike) -> None:
    """``os.replace(source, dest)``, and the open session's record follows the file (or
    the files of the folder)."""
    os.replace(source, dest)
    session = _SESSION.get()
    if session is not None:
        session.moved(source, dest)


def check_destination(dest: str | os.PathLike) -> WriteSession | None:
    """Refuse (UnsafePath) a destination the open session forbids; return the session."""
    session = _SESSION.get()
    if session is not None:
        confine(os.path.abspath(os.fspath(dest)), session.root, session.protect)
    return session


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- the atomic file dance ----------------------------------------------------
def protected_by(dest: Path, protect: Iterable) -> str | None:
    real = os.path.realpath(dest)
    for item in protect:
        if not isinstance(item, (str, os.PathLike)) or is_sample(item):
            continue
        if os.path.realpath(item) == real:
            return str(item)
        with contextlib.suppress(OSError):
            if os.path.samefile(item, dest):
                return str(item)
    return None


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(tmp: str, dest: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, dest)
        return
    try:  # a hard link fails if dest appeared meanwhile: no silent clobbering
        os.link(tmp, dest)
    except FileExistsError:
        raise ParameterError("path", f"{dest} already exists; set overwrite: true to "
                                     "replace it") from None
    except OSError:  # file system without hard links
        if dest.exists():
            raise ParameterError("path", f"{dest} already exists; set overwrite: true to "
                                         "replace it") from None
        os.replace(tmp, dest)
        return
    os.unlink(tmp)


def atomic_write(dest: Path, write: Callable, *, overwrite: bool = False,
                 suffix: str = ".part") -> None:
    """Call ``write(binary_file)`` on a temporary file (``.NAME.XXXXXXXX`` + ``suffix``),
    then move it to ``dest``.

    While a run's :func:`~imgfusion.paths.write_session` is open, ``dest`` must lie
    inside its output folder and not be a protected file (a recipe input, run.json):
    the second line of defence behind validation.  The file written is recorded.
    """
    dest = Path(dest)
    try:
        session = check_destination(dest)
    except UnsafePath as exc:
        raise ParameterError("path", f"refusing to write {dest}: {exc}") from None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=suffix)
    except OSError as exc:
        raise ParameterError("path", f"cannot write {dest}: {exc.strerror or exc}") from None
    try:
        os.close(fd)
        with open(tmp, "wb") as f:  # a named file: tifffile wants f.name to be a path
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        _publish(tmp, dest, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(dest.parent)
    if session is not None:
        session.record(dest)
# -- the run record -------------------------------------------------------------------
def is_record_name(name: str) -> bool:
    """``run.json`` or ``run-<time>.json``: names the run records keep for themselves."""
    return name == RUN_RECORD or _EARLIER_RECORD.fullmatch(name) is not None


def is_run_record(path: Path) -> bool:
    """Does ``path`` hold a run record (a JSON object with a record's keys)?"""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > RECORD_MAX_BYTES:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and all(k in data for k in RECORD_KEYS)


def _free_record_name(folder: Path, seconds: float) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))
    path, n = folder / f"run-{stamp}.json", 1
    while os.path.lexists(path):
        n += 1
        path = folder / f"run-{stamp}-{n}.json"
    return path


def next_record(folder: str | os.PathLike) -> Path:
    """Where this run's record goes, never over a file: ``folder/run.json``, once the
    earlier run's ``run.json`` is kept as ``run-<its time>.json``; a ``run.json`` that
    is not a run record stays untouched and the record goes to ``run-<now>.json``."""
    folder = Path(folder)
    latest = folder / RUN_RECORD
    if not os.path.lexists(latest):
        return latest
    if not is_run_record(latest):
        return _free_record_name(folder, time.time())
    os.rename(latest, _free_record_name(folder, latest.stat().st_mtime))
    return latest


def file_stamp(path: str | os.PathLike) -> list[int] | None:
    """``[size, mtime_ns]`` of a file (None when there is none): enough to tell that
    nobody has written it since."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):   # ValueError: a NUL in the name
        return None
    return [st.st_size, st.st_mtime_ns]


def stamps(paths) -> dict[str, list[int]]:
    """``{path: file_stamp}`` of the ``paths`` that exist, each stat'ed once."""
    found = {str(p): file_stamp(p) for p in paths}
    return {p: stamp for p, stamp in found.items() if stamp is not None}


def unchanged(recorded: dict) -> frozenset[Path]:
    """The paths of ``recorded`` (path -> stamp) whose file still has that stamp."""
    return frozenset(Path(p) for p, stamp in recorded.items() if file_stamp(p) == stamp)


def unchanged_partial_writes(folder: str | os.PathLike,
                             recipe_path: str | os.PathLike | None) -> frozenset[Path]:
    """The files the folder's last run wrote when it stopped early (``--until``) and that
    nobody has changed since (their stamps in ``run.json``): running the rest of the
    same recipe (``recipe_path``; a recipe given as a mapping has none) may write them
    again, as the run that stopped would have."""
    record = Path(folder) / RUN_RECORD
    if recipe_path is None or not is_run_record(record):
        return frozenset()
    data = json.loads(record.read_text(encoding="utf-8"))
    recorded = data.get("stamps")
    if (not data.get("until") or data.get("status") != "ok" or not isinstance(recorded, dict)
            or data.get("recipe_path") != str(recipe_path)):
        return frozenset()
    return unchanged(recorded)


def names_not_matching(folder: Path, pattern: str) -> list[str]:
    """The sorted names in ``folder`` that ``pattern`` does not match whole: the files an
    operator that replaces the folder did not write (a frame folder's)."""
    return sorted(p.name for p in folder.iterdir() if not re.fullmatch(pattern, p.name))


def first_names(names, shown: int = 3) -> str:
    """``names`` for a message: the first ``shown``, then how many more."""
    names = list(names)
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def file_in_the_way(path: str | os.PathLike) -> Path | None:
    """The existing file (not a folder) that ``path`` or one of its parents is, if any:
    where a folder is to be made or written into (``--out``, a file's folder)."""
    for p in (Path(path).absolute(), *Path(path).absolute().parents):
        try:
            if p.exists():
                return None if p.is_dir() else p
        except OSError:   # a folder that cannot be read: writing there says why
            return None
    return None


def check_out_folder(out: str | os.PathLike | None) -> None:
    """``--out`` names a folder (made when missing): a UsageError when a file is in the
    way (it failed later, as an internal error, in batch and serve)."""
    from .errors import UsageError

    blocked = None if out is None else file_in_the_way(out)
    if blocked is not None:
        raise UsageError(f"--out {out}: {blocked} is a file; --out names a folder")
