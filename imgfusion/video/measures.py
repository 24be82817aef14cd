"""The temporal error of a stylised clip, and the ``temporal_error`` operator.

Temporal error of frame t (Ruder et al. 2016, Sec. 6): the mean, over the pixels
with c = 1, of ``(x_t - warp(x_{t-1}))²`` (over the channels too), where the flow
and c come from the *unstylised* frames t and t-1.  A clip that flickers has a high
error; one whose style sticks to the moving scene has a low one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..operators import Data, Device, Labels, OutputPath, Videos, WorkDir, operator
from ..operators import Video as VideoKind
from .flow import trusted_flow, warp
from .flow_op import check_flow, check_pairs
from ..values import Video
from .frames import as_video
from .limits import FlowMethod, FlowPreset


class FramePair(NamedTuple):
    """Flow from frame t back to t-1, its consistency map c, and frame t's index."""

    index: int
    backward: np.ndarray
    c: np.ndarray


def flow_pairs(content: Video, *, method: str = "dis", preset: str = "medium",
               device: str = "cpu") -> Iterator[FramePair]:
    """For t = 1, 2, ...: the flow t -> t-1 and its consistency map."""
    prev = None
    for t, frame in enumerate(content):
        if prev is not None:
            yield FramePair(t, *trusted_flow(frame, prev, method=method, preset=preset,
                                             device=device))
        prev = frame


def frame_error(current: np.ndarray, previous: np.ndarray, backward: np.ndarray,
                c: np.ndarray) -> float:
    """Mean over c = 1 of (current - warp(previous))² (NaN when c is 0 everywhere)."""
    diff = (current[..., :3] - warp(previous[..., :3], backward)) ** 2
    mask = c > 0.5
    return float(diff[mask].mean()) if mask.any() else float("nan")


def temporal_errors(styled: Video, content: Video, *, method: str = "dis",
                    preset: str = "medium", device: str = "cpu") -> list[float]:
    """One temporal error per frame t >= 1 of ``styled`` (flow and c from ``content``)."""
    styled, content = as_video(styled, "videos"), as_video(content, "content")
    check_pairs(content.frames, "content")
    out, prev = [], None
    pairs = flow_pairs(content, method=method, preset=preset, device=device)
    for t, frame in enumerate(styled):
        if prev is not None:
            pair = next(pairs, None)
            if pair is None:
                raise ParameterError("content", FEWER)
            frame_c = _fit(pair, frame.shape[:2])
            out.append(frame_error(frame, prev, frame_c.backward, frame_c.c))
        prev = frame
    return out


def _fit(pair: FramePair, hw) -> FramePair:
    """Resize a flow pair to a stylised frame's size (flow vectors scaled)."""
    if pair.c.shape == tuple(hw):
        return pair
    import cv2

    sy, sx = hw[0] / pair.c.shape[0], hw[1] / pair.c.shape[1]
    flow = cv2.resize(pair.backward, (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
    flow = flow * np.array([sy, sx], np.float32)
    c = cv2.resize(pair.c, (hw[1], hw[0]), interpolation=cv2.INTER_NEAREST)
    return FramePair(pair.index, flow, c)


FEWER = "the content video has fewer frames than the stylised one"


def frames_cover(params, inputs) -> None:
    """``temporal_error``'s shape check, where the frame counts are known: the content
    has two frames or more, and as many as each stylised clip."""
    n = getattr(inputs.get("content"), "frames", None)
    check_pairs(n, "content")
    videos = inputs.get("videos")
    for shape in videos if isinstance(videos, list) else [videos]:
        if n is not None and getattr(shape, "frames", None) is not None and shape.frames > n:
            raise ParameterError("content", f"{FEWER} ({n} against {shape.frames})")


@operator(check=check_flow, shape_check="imgfusion.video.measures:frames_cover",
          suffixes={"plot": (".png",)})
def temporal_error(videos: Videos, content: VideoKind, *, method: FlowMethod = "dis",
                   preset: FlowPreset = "medium", plot: OutputPath = None,
                   workdir: WorkDir = None, labels: Labels = None,
                   device: Device = "cpu") -> Data:
    """Per-frame temporal error of stylised clips (mean over c = 1 of the squared difference to the warped previous frame).

    Per-frame temporal errors of each stylised video against the content clip's flow,
    their means, and optionally a plot (PNG).

    Parameters
    ----------
    videos
        the stylised clips
    content
        the unstylised clip (flow and c come from it)
    method
        dis (OpenCV, no weights), farneback, or torchvision RAFT (local weights only)
    preset
        DIS preset
    plot
        PNG of the error per frame, one line per clip

    Returns
    -------
    errors : per_frame and mean errors, by clip
    """
    names = [_label(lab, i) for i, lab in enumerate(labels or [{}] * len(videos))]
    series = {n: temporal_errors(v, content, method=method, preset=preset, device=device)
              for n, v in zip(names, videos)}
    result = {"per_frame": series,
              "mean": {n: float(np.nanmean(s)) if s else float("nan") for n, s in series.items()}}
    if plot is not None:
        dest = Path(plot) if Path(plot).is_absolute() or workdir is None else Path(workdir) / plot
        plot_errors(series, dest)
        result["plot"] = str(dest)
    return result


def _label(labels: dict, i: int) -> str:
    return ", ".join(f"{v}" for v in labels.values()) if labels else f"video {i + 1}"


def plot_errors(series: dict[str, list[float]], dest: Path) -> None:
    """Temporal error against frame, one line per video (log scale), written atomically."""
    import io

    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..paths import atomic_write

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    for name, values in series.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=name)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("frame (against the one before)")
    ax.set_ylabel("temporal error (mean over c = 1)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write(dest, lambda fh: fh.write(buf.getvalue()), overwrite=True)
