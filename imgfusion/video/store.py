"""The folder where ``video_style`` keeps its finished frames, so a rerun resumes.

Layout: ``frame_00001.png`` ... (16-bit PNG, written atomically as each frame
finishes), ``report.json`` (one row per frame and pass), ``state.json`` (the settings'
fingerprint and how far the run got) and, for multi-pass runs, ``content/`` (the
unstylised frames at the output size, and their masks, as .npy, read back in any
order).  A frame is first written into ``pending/`` and moved into place only once
``state.json`` counts it: a multi-pass run starts each frame from that frame's result
of the pass before, so an interruption must never leave the new result in place of
the old one while the state still asks for the frame to be redone.

A rerun with the same settings continues after the last finished frame; with other
settings it is refused unless ``overwrite`` is set (which clears the folder's frames).
A ``state.json`` or ``report.json`` that cannot be read (corrupt, cut short, edited)
is refused naming that file (:meth:`FrameStore._read`): the folder was written by
video_style, but its record of progress cannot be trusted.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..paths import atomic_write
from ..io.write import write_image
from ..io.read import read_image
from ..paths import move_written

STATE = "state.json"
REPORT = "report.json"
PENDING = "pending"


def fingerprint(settings: dict[str, Any], arrays=()) -> str:
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def quantised(image: np.ndarray) -> np.ndarray:
    """What a 16-bit PNG gives back: the stored frame, so that a resumed run continues
    from exactly the pixels an uninterrupted one would."""
    return (np.round(np.clip(image, 0, 1) * 65535) / 65535).astype(np.float32)


def _well_formed(name: str, value) -> bool:
    """Does ``value`` have the shape of the store's file ``name`` (state or report)?"""
    if name == REPORT:
        return isinstance(value, list) and all(isinstance(r, dict) for r in value)
    if not isinstance(value, dict):
        return False
    counts = [value.get("pass"), value.get("done"), value.get("pending", 0)]
    return all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)


def read_json(folder: Path, name: str, default):
    """The store's JSON file ``name`` in ``folder`` (``default`` when absent); one that
    cannot be read, or not of ``default``'s shape, is refused naming it."""
    path = folder / name
    if not path.is_file():
        return default
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from None
    if not _well_formed(name, value):
        raise _damaged(path, "its content is not what video_style and vae_style write")
    return value


def _damaged(path: Path, why: str) -> ParameterError:
    return ParameterError("frames_dir", f"the resume file {path} cannot be read ({why}), "
                                        "so the frames there cannot be resumed; set "
                                        "overwrite: true to start again, or choose another "
                                        "frames_dir")


def _foreign(folder: Path) -> str:
    return (f"{folder} is not empty and holds no frames of a video_style or vae_style run "
            "(no state.json); choose another frames_dir or set overwrite: true")


def store_folder_problem(folder: Path, overwrite: bool) -> str | None:
    """Validation's check of a frames_dir (the ``folder_checks`` trait): a folder holding
    files but no store state, or a damaged state, is refused unless ``overwrite``, as the
    run would refuse it after the recipe's earlier steps (whether the state's run had the
    same settings and inputs is the run's to tell)."""
    try:
        if overwrite or not folder.is_dir() or not any(folder.iterdir()):
            return None
    except OSError as exc:
        return f"{folder} cannot be read: {exc.strerror or exc}"
    try:
        return None if read_json(folder, STATE, None) is not None else _foreign(folder)
    except ParameterError as exc:
        return exc.message


class FrameStore:
    def __init__(self, folder: Path, key: str, *, overwrite: bool = False):
        self.folder = folder
        self.key = key
        state = self._state(overwrite)
        if state is not None and state.get("key") != key:
            if not overwrite:
                raise ParameterError("frames_dir", f"{folder} holds frames of a run with other "
                                                   "settings or inputs; set overwrite: true to "
                                                   "start again, or choose another frames_dir")
            self.clear()
            state = None
        elif state is None and folder.is_dir() and any(folder.iterdir()):
            if not overwrite:
                raise ParameterError("frames_dir", _foreign(folder))
            self.clear()
        folder.mkdir(parents=True, exist_ok=True)
        self.state = state or {"key": key, "pass": 0, "done": 0}
        self.report: list[dict] = self._read(REPORT, []) if state else []
        self._settle_pending()

    def _state(self, overwrite: bool) -> dict | None:
        """``state.json``, or None; a damaged one is refused unless ``overwrite``."""
        try:
            return self._read(STATE, None)
        except ParameterError:
            if not overwrite:
                raise
            return None

    def _settle_pending(self) -> None:
        """Finish the move of a frame the state counts; drop one it does not."""
        index = self.state.get("pending")
        pending = self.folder / PENDING
        if index is not None and (pending / self.frame_path(index).name).is_file():
            move_written(pending / self.frame_path(index).name, self.frame_path(index))
        if pending.is_dir():
            shutil.rmtree(pending)

    def _read(self, name: str, default):
        return read_json(self.folder, name, default)

    def _write_json(self, name: str, value) -> None:
        text = json.dumps(value, indent=1, default=float)
        atomic_write(self.folder / name, lambda fh: fh.write(text.encode()), overwrite=True)

    def clear(self) -> None:
        for f in list(self.folder.iterdir()) if self.folder.is_dir() else []:
            if f.is_dir() and f.name in ("content", PENDING):
                shutil.rmtree(f)
            elif f.name in (STATE, REPORT) or (f.suffix == ".png" and f.stem.startswith("frame_")):
                f.unlink()

    def frame_path(self, index: int) -> Path:
        return self.folder / f"frame_{index + 1:05d}.png"

    def finished(self, pass_index: int, position: int) -> bool:
        """Was the ``position``-th frame of pass ``pass_index`` finished in an earlier run?"""
        return (pass_index, position) < (self.state["pass"], self.state["done"])

    def read(self, index: int) -> np.ndarray:
        """A finished frame, bit for bit the array the run that wrote it went on with:
        re-quantised, since the reader's k / 65535 may differ from it in the last bit."""
        return quantised(read_image(self.frame_path(index)))

    def write(self, index: int, image: np.ndarray, row: dict, pass_index: int,
              position: int) -> None:
        """Frame (into ``pending/``), then the report, then the state, then the frame
        moved into place: a crash before the state is written redoes the frame from
        the same inputs, never skips it; one after it is settled by the next run."""
        final = self.frame_path(index)
        pending = self.folder / PENDING / final.name
        pending.parent.mkdir(exist_ok=True)
        write_image(pending, image, bits=16, overwrite=True)
        key = (row.get("pass"), row.get("frame"))
        self.report = [r for r in self.report if (r.get("pass"), r.get("frame")) != key]
        self.report.append(row)
        self._write_json(REPORT, self.report)
        self.state = {"key": self.key, "pass": pass_index, "done": position + 1,
                      "pending": index}
        self._write_json(STATE, self.state)
        move_written(pending, final)

    def next_pass(self, pass_index: int) -> None:
        self.state = {"key": self.key, "pass": pass_index, "done": 0}
        self._write_json(STATE, self.state)

    # -- unstylised frames (and masks) for multi-pass runs (random access) ---------------
    def put_content(self, index: int, frame: np.ndarray, what: str = "") -> None:
        path = self.folder / "content" / f"{what}{index:05d}.npy"
        if not path.is_file():
            path.parent.mkdir(exist_ok=True)
            atomic_write(path, lambda fh: np.save(fh, frame), overwrite=True)

    def content(self, index: int, what: str = "") -> np.ndarray:
        return np.load(self.folder / "content" / f"{what}{index:05d}.npy")
