"""The ``optical_flow`` operator: flow pictures and consistency masks of a clip, lazily.

Its outputs are videos of one frame per consecutive pair (N - 1 frames for N):

- ``forward``: the flow t -> t+1 on the colour wheel (hue: direction, saturation: speed);
- ``backward``: the flow t+1 -> t;
- ``consistency``: c of frame t+1 (1 where warped frame t can be trusted, 0 at
  disocclusions, motion boundaries and pixels that come from outside frame t);
- ``info``: per pair, the fraction of pixels with c = 0 and the largest motion in px.
"""
from __future__ import annotations

from typing import Annotated, Iterator, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..limits import COORD_MAX
from ..operators import Data, Device, Range, operator
from ..operators import Video as VideoKind
from .flow import check_method, consistency, dense_flow, flow_to_rgb
from ..values import PerFrame, Video
from .frames import as_video
from .limits import FlowMethod, FlowPreset


def _pairs(video: Video, method: str, preset: str, device: str) -> Iterator[tuple]:
    prev = None
    for frame in video:
        if prev is not None:
            fwd = dense_flow(prev, frame, method=method, preset=preset, device=device)
            bwd = dense_flow(frame, prev, method=method, preset=preset, device=device)
            yield fwd, bwd, consistency(bwd, fwd)
        prev = frame


class FlowOutputs(NamedTuple):
    """``optical_flow``'s outputs (returned as a dict of these names).

    Attributes
    ----------
    forward : flow t -> t+1 on the colour wheel
    backward : flow t+1 -> t on the colour wheel
    consistency : c of frame t+1: 0 at disocclusions, motion boundaries, out of frame
    info : per pair: fraction with c = 0, largest motion
    """

    forward: VideoKind
    backward: VideoKind
    consistency: VideoKind
    info: Data


def check_flow(params) -> None:
    """Validation's check: a RAFT method's weights are on disk (offline)."""
    check_method(params.get("method", "dis"), params.get("preset", "medium"))


def check_flow_options(params) -> None:
    """:func:`check_flow` for an operator whose flow options are ``flow_method`` and
    ``flow_preset`` (video_style, fast_video_style): the error names those fields."""
    try:
        check_method(params.get("flow_method", "dis"), params.get("flow_preset", "medium"))
    except ParameterError as exc:
        raise ParameterError(f"flow_{exc.field}", exc.message) from None


def check_pairs(frames: int | None, field: str = "video") -> None:
    """A clip of fewer than two frames has no pair to take the flow of."""
    if frames is not None and frames < 2:
        raise ParameterError(field, f"the video has {frames} frame(s); optical flow needs "
                                    "two or more (a pair per flow frame)")


def pairs_shape_check(params, inputs) -> None:
    """The ``shape_check`` of ``optical_flow``: the clip's frame count, where known."""
    check_pairs(getattr(inputs.get("video"), "frames", None))


@operator(check=check_flow, shape_check="imgfusion.video.flow_op:pairs_shape_check")
def optical_flow(video: VideoKind, *, method: FlowMethod = "dis", preset: FlowPreset = "medium",
                 max_motion: Annotated[float | None, Range(1e-3, COORD_MAX)] = None,
                 device: Device = "cpu") -> FlowOutputs:
    """Dense forward/backward flow between consecutive frames and Ruder's consistency masks.

    Forward and backward flow pictures, consistency masks and per-pair statistics,
    one frame per consecutive pair (N - 1 for N).  ``max_motion`` (px) fixes the
    colour wheel's saturation scale across frames (default: each picture's own
    largest motion).

    Parameters
    ----------
    video
        a video (load_video, or an operator run over one)
    method
        dis (OpenCV, no weights), farneback, or torchvision RAFT (local weights only)
    preset
        DIS preset
    max_motion
        px of full saturation in the flow pictures (default: per picture)
    """
    video = as_video(video, "video")
    check_method(method, preset)
    check_pairs(video.frames)
    n = None if video.frames is None else video.frames - 1
    dev = "cpu" if device == "auto" else device

    def series(pick) -> Iterator:
        return (pick(*p) for p in _pairs(video, method, preset, dev))

    def stats(fwd, bwd, c) -> dict:
        return {"occluded_fraction": float(1 - c.mean()),
                "max_motion_px": float(np.sqrt((fwd ** 2).sum(-1)).max())}

    common = dict(fps=video.fps, frames=n, size=video.size, source=f"flow of {video.source}")
    return {
        "forward": Video(lambda: series(lambda f, b, c: flow_to_rgb(f, max_motion)), **common),
        "backward": Video(lambda: series(lambda f, b, c: flow_to_rgb(b, max_motion)), **common),
        "consistency": Video(lambda: series(lambda f, b, c: c), kind="mask", **common),
        "info": PerFrame(lambda: series(stats), n),
    }
