"""Building and checking :class:`~imgfusion.values.Video` values (the type is the core's)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..errors import ParameterError
from ..values import Video


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
    what = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
            else repr(value) if isinstance(value, str) else type(value).__name__)
    raise ParameterError(field_name, f"expected a video (from load_video or an operator run "
                                     f"over one), got {what}; frames in memory (a list, or "
                                     f"a T x H x W x C array) become one with "
                                     f"imgfusion.video.frames.from_frames(frames, fps)")


def check_frame(frame: np.ndarray, index: int, size: tuple[int, int] | None,
                source: str) -> np.ndarray:
    """A frame's size must not change within a video."""
    if size is not None and tuple(frame.shape[:2]) != tuple(size):
        raise ParameterError("video", f"{source}: frame {index} is {frame.shape[0]} x "
                                      f"{frame.shape[1]}, the first was {size[0]} x {size[1]}")
    return frame
