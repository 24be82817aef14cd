"""The :class:`Video` value: a lazy, re-iterable sequence of frames with a frame rate.

A video never holds its frames: iterating it opens its source again (decodes the
file, reads the folder, or re-runs the operator mapped over another video), so a
long clip goes through a pipeline with one frame in memory per step.  Iterate it
twice and the work is done twice; a step that must keep its result (``video_style``)
writes the frames to a folder and returns a video reading that folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ..errors import ParameterError


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


def from_frames(frames: Iterable[np.ndarray], fps: float = 25.0, *,
                kind: str = "image") -> Video:
    """A video over an in-memory list of frames (tests, small clips)."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        raise ParameterError("video", "no frames")
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise ParameterError("video", f"frames of different shapes {sorted(shapes)}")
    return Video(lambda: iter(frames), fps=float(fps), frames=len(frames),
                 size=tuple(frames[0].shape[:2]), kind=kind, source="frames in memory")


def as_video(value: Any, field_name: str) -> Video:
    """``value`` if it is a video; a ParameterError naming the field otherwise."""
    if isinstance(value, Video):
        return value
    what = (f"a still image of shape {value.shape}" if isinstance(value, np.ndarray)
            else type(value).__name__)
    raise ParameterError(field_name, f"expected a video (from load_video or an operator run "
                                     f"over one), got {what}")


def check_frame(frame: np.ndarray, index: int, size: tuple[int, int] | None,
                source: str) -> np.ndarray:
    """A frame's size must not change within a video."""
    if size is not None and tuple(frame.shape[:2]) != tuple(size):
        raise ParameterError("video", f"{source}: frame {index} is {frame.shape[0]} x "
                                      f"{frame.shape[1]}, the first was {size[0]} x {size[1]}")
    return frame
