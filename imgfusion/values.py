"""The value types operators exchange besides arrays: the lazy :class:`Video`.

A video never holds its frames: iterating it opens its source again (decodes the
file, reads the folder, or re-runs the operator mapped over another video), so a
long clip goes through a pipeline with one frame in memory per step.  Iterate it
twice and the work is done twice; a step that must keep its result (``video_style``)
writes the frames to a folder and returns a video reading that folder.

A core type, as torchvision's ``tv_tensors`` are: the engine maps an image operator
over a video's frames by this type (:mod:`imgfusion.per_frame`), whichever family made it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .errors import ParameterError


@dataclass(frozen=True)
class Video:
    """Frames (float32 H x W x C in [0, 1], or H x W masks) produced on demand.

    Attributes
    ----------
    open : callable
        ``open()`` returns a fresh iterator over the frames.
    fps : float
        Frames per second (kept when the video is saved).
    frames : int or None
        The number of frames, when known without decoding them all.
    size : (rows, cols) or None
        Frame size, when known.
    kind : {"image", "mask"}
        What each frame is.
    audio : path or None
        A container whose audio stream ``save_video(audio=True)`` copies.
    """

    open: Callable[[], Iterator[np.ndarray]] = field(repr=False)
    fps: float = 25.0
    frames: int | None = None
    size: tuple[int, int] | None = None
    kind: str = "image"
    audio: Path | None = None
    source: str = ""

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.open())

    def __len__(self) -> int:
        if self.frames is None:
            raise TypeError("this video's frame count is not known before decoding it")
        return self.frames

    def with_(self, **changes: Any) -> "Video":
        return replace(self, **changes)

    def first(self) -> np.ndarray:
        """The first frame (decodes one frame only)."""
        for frame in self:
            return frame
        raise ParameterError("video", f"{self.source or 'the video'} has no frames")


@dataclass(frozen=True)
class PerFrame:
    """A lazy per-frame series of data (e.g. the ``info`` output of an operator mapped
    over a video): iterate it to get one value per frame."""

    open: Callable[[], Iterator[Any]] = field(repr=False)
    frames: int | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.open())

    def __str__(self) -> str:
        n = "?" if self.frames is None else self.frames
        return f"<per-frame series of {n} values>"


@dataclass(frozen=True)
class Shape:
    """What validation knows of a step's output before anything runs (None: unknown).

    Attributes
    ----------
    size : (rows, cols) or None
        The image's, mask's or each frame's size.
    frames : int or None
        A video's frame count.
    video : bool
        The value is a :class:`Video` (frames count or not).
    """

    size: tuple[int, int] | None = None
    frames: int | None = None
    video: bool = False
