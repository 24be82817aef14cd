"""Where a run may write: inside its output folder, never over an input or ``run.json``.

One check, :func:`confine`, serves both lines of defence:

* at validation, :func:`output_path` resolves every ``OutputPath`` parameter of a
  recipe (and every sweep variant of it) and refuses, with the reason, a path that
  is absolute, climbs out with ``..``, holds a NUL byte, has a name longer than
  :data:`MAX_NAME_BYTES` or a total length over :data:`MAX_PATH_BYTES`, leads out
  of the folder through a symbolic link, or names ``run.json`` or a recipe input;
* at run time, :func:`image_write.atomic_write` asks :func:`check_destination`
  about every file it is about to publish, while the engine holds a
  :func:`write_session` open, and records what it wrote (side files such as style
  snapshots and loss plots included).
"""
from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

RUN_RECORD = "run.json"
# A file is written as ".NAME.XXXXXXXX.part" first, 15 bytes more than NAME: 255 - 15.
MAX_NAME_BYTES = 240
MAX_PATH_BYTES = 4000


class UnsafePath(ValueError):
    """An output path that would leave the output folder or replace what it must not."""


def _real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.fspath(path))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


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
    if real == os.path.join(real_root, RUN_RECORD):
        raise UnsafePath(f"{RUN_RECORD} is the run's own record; choose another name")
    if real in {_real(p) for p in protect}:
        raise UnsafePath(f"{real} is an input of this recipe; imgfusion never overwrites its "
                         "inputs")
    return real


def output_path(value: str, out_dir: Path, protect: Iterable[str | os.PathLike] = ()) -> Path:
    """A recipe's output path -> the path under ``out_dir``; UnsafePath says why not.

    Absolute paths, ``~`` and ``..`` components are refused outright, before
    :func:`confine` checks names, lengths, links and protected files.
    """
    text = str(value)
    if "\0" in text:
        raise UnsafePath("the path contains a NUL byte")
    if os.path.isabs(text) or text.startswith("~"):
        raise UnsafePath(f"{text!r} is an absolute path; outputs are written inside the output "
                         f"folder ({out_dir}), so give a path relative to it")
    if ".." in Path(text).parts:
        raise UnsafePath(f"{text!r} climbs out of the output folder with '..'")
    confine(text, out_dir, protect)
    return Path(os.path.normpath(out_dir / text))


def check_writes(step, written: dict[Path, str], out_dir: Path, protect: Iterable,
                 overwrite: bool, error: Callable[..., None]) -> None:
    """Check every file a validated step will write, for each of its sweep variants.

    ``written`` maps the paths claimed by earlier steps to their step id; ``error``
    is called as ``error(step_id, field, message)``.
    """
    from .operators import OutputPath
    from .sweeps import variant_path

    for p in step.op.params:
        value = step.params.get(p.name)
        if p.type is not OutputPath or value is None:
            continue
        for labels in step.variants:
            path = Path(variant_path(value, labels))
            try:
                output_path(path.relative_to(out_dir), out_dir, protect)
            except (UnsafePath, ValueError) as exc:
                error(step.id, p.name, str(exc))
                return
            if path in written:
                error(step.id, p.name, f"{path} is also written by step '{written[path]}'")
            elif path.is_file() and not overwrite:
                error(step.id, p.name, f"{path} exists; set 'overwrite: true' on this step (or "
                                       "run with --overwrite) to replace it")
            written[path] = step.id


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


_SESSION: ContextVar[WriteSession | None] = ContextVar("imgfusion_write_session", default=None)


@contextlib.contextmanager
def write_session(root: str | os.PathLike,
                  protect: Iterable[str | os.PathLike] = ()) -> Iterator[WriteSession]:
    """While open, every :func:`atomic_write` must land inside ``root`` and is recorded."""
    items = [p for p in protect if not str(p).startswith("sample:")]
    session = WriteSession(_real(root), frozenset(_real(p) for p in items))
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


def check_destination(dest: str | os.PathLike) -> WriteSession | None:
    """Refuse (UnsafePath) a destination the open session forbids; return the session."""
    session = _SESSION.get()
    if session is not None:
        confine(os.path.abspath(os.fspath(dest)), session.root, session.protect)
    return session
