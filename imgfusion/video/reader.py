"""``load_video``: a container (mp4, webm, mov, mkv, avi, gif) through PyAV, or a folder
of numbered frames, as a lazy :class:`~imgfusion.values.Video`.

:func:`probe_video` reads the headers only (the container's streams, or each frame
file's size) and decodes one frame, so that a missing or corrupt file, a video without
frames, an unreadable codec, a folder with gaps in its numbering or frames of mixed
sizes fail at validation, before anything runs.  Each error names the parameter.

Two promises on what a file declares: frames larger than the pixel limit
(:func:`imgfusion.io.headers.check_declared`, as for still images) are refused from the
container's header, before a frame is decoded; and a clip holding fewer frames than
its header declares (a truncated file) is an error, at validation when the packets are
missing and at run time when they do not decode, unless ``allow_short`` accepts the
shorter clip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Iterator

import numpy as np

from ..errors import ParameterError
from ..limits import SIDE_MAX
from ..operators import InputPath, Range, operator
from ..operators import Video as VideoKind
from ..values import Shape
from ..layout.geometry import target_size
from ..io.headers import check_declared
from ..io.read import CONTAINER_EXTENSIONS, READ_EXTENSIONS, probe_image, read_image
from ..values import Video
from .frames import check_frame
from .limits import FPS_MAX, FRAMES_MAX

_NUMBER = re.compile(r"(\d+)(?!.*\d)")


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` found (before any range or step is applied)."""

    path: str
    kind: str                   # container | folder
    frames: int
    fps: float
    size: tuple[int, int]
    codec: str
    audio: bool


def _path(path) -> Path:
    if not isinstance(path, (str, Path)) or not str(path):
        raise ParameterError("path", f"expected a video file or a folder of frames, got {path!r}")
    p = Path(path).expanduser()
    if not p.exists():
        raise ParameterError("path", f"no such file or folder: {p}")
    return p


# -- folders of numbered frames -----------------------------------------------------
def frame_files(folder: Path) -> list[Path]:
    """The numbered image files of ``folder`` in order; gaps are an error."""
    numbered = []
    for f in folder.iterdir():
        m = _NUMBER.search(f.stem)
        if f.is_file() and f.suffix.lower() in READ_EXTENSIONS and m:
            numbered.append((int(m.group(1)), f))
    if not numbered:
        raise ParameterError("path", f"{folder} holds no numbered frames "
                                     f"(frame_00001.png ...; {', '.join(READ_EXTENSIONS)})")
    numbered.sort()
    numbers = [n for n, _ in numbered]
    if len(set(numbers)) != len(numbers):
        dup = sorted({n for n in numbers if numbers.count(n) > 1})[:3]
        raise ParameterError("path", f"{folder}: frame number(s) {dup} appear twice")
    gaps = [a + 1 for a, b in zip(numbers, numbers[1:]) if b != a + 1]
    if gaps:
        raise ParameterError("path", f"{folder}: the frame numbering has gaps (first missing: "
                                     f"{gaps[0]}); frames must be numbered consecutively")
    return [f for _, f in numbered]


def _probe_folder(folder: Path) -> VideoInfo:
    files = frame_files(folder)
    first = probe_image(files[0])
    for f in files[1:]:
        info = probe_image(f)
        if (info.rows, info.cols) != (first.rows, first.cols):
            raise ParameterError("path", f"{folder}: frames of mixed sizes: {files[0].name} is "
                                         f"{first.rows} x {first.cols}, {f.name} is "
                                         f"{info.rows} x {info.cols}")
    return VideoInfo(str(folder), "folder", len(files), 25.0, (first.rows, first.cols),
                     first.format, False)


# -- containers (PyAV) ---------------------------------------------------------------
def _open(p: Path):
    import av

    try:
        return av.open(str(p))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise ParameterError("path", f"cannot read {p} as a video (corrupt, or not a video): "
                                     f"{exc}") from None


def _stream(container, p: Path):
    if not container.streams.video:
        raise ParameterError("path", f"{p} holds no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise ParameterError("path", f"{p}: no decoder for its video codec")
    return stream


def _count_frames(container, stream, p: Path, allow_short: bool) -> int:
    """The frames the file holds: its packets (demuxed, not decoded), checked against the
    count its header declares (a truncated clip is refused unless ``allow_short``)."""
    held = present = 0
    for packet in container.demux(stream):
        held += bool(packet.size)
        present += bool(packet.size) or packet.dts is not None  # an AVI's dropped frame too
    declared = int(stream.frames or 0)
    if declared > present and not allow_short:
        raise ParameterError("path", short_clip(p, declared, present, "holds"))
    return held


def short_clip(p: Path, declared: int, found: int, how: str) -> str:
    return (f"{p}: its header declares {declared} frames, the file {how} only {found} "
            "(truncated?); set allow_short: true to accept the shorter clip")


def _check_frame_size(stream, p: Path) -> None:
    ctx = stream.codec_context
    check_declared(p, f"{ctx.name} video stream", ctx.width, ctx.height, "path")


def _probe_container(p: Path, allow_short: bool = False) -> VideoInfo:
    import av

    with _open(p) as container:
        stream = _stream(container, p)
        _check_frame_size(stream, p)
        codec = stream.codec_context.name
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        try:
            frame = next(iter(container.decode(stream)), None)
        except av.error.FFmpegError as exc:
            raise ParameterError("path", f"{p}: cannot decode its {codec} video: {exc}") from None
        if frame is None:
            raise ParameterError("path", f"{p} has no frames")
    with _open(p) as container:
        stream = _stream(container, p)
        n = _count_frames(container, stream, p, allow_short)
        audio = bool(container.streams.audio)
    return VideoInfo(str(p), "container", n, fps, (frame.height, frame.width), codec, audio)


def probe_video(path, allow_short: bool = False) -> VideoInfo:
    """Check that ``path`` is a readable video or frame folder; return its headers
    (``allow_short``: a clip with fewer frames than its header declares is accepted)."""
    p = _path(path)
    if p.is_dir():
        return _probe_folder(p)
    if p.suffix.lower() not in CONTAINER_EXTENSIONS:
        raise ParameterError("path", f"unsupported video format '{p.suffix}'; imgfusion reads "
                                     f"{', '.join(CONTAINER_EXTENSIONS)} or a folder of frames")
    if p.stat().st_size == 0:
        raise ParameterError("path", f"{p} is empty (0 bytes)")
    return _probe_container(p, allow_short)


def _to_float(frame) -> np.ndarray:
    deep = any(c.bits > 8 for c in frame.format.components)
    if deep:
        return (frame.to_ndarray(format="rgb48le") / 65535.0).astype(np.float32)
    return (frame.to_ndarray(format="rgb24") / np.float32(255)).astype(np.float32)


def _container_frames(p: Path) -> Iterator[np.ndarray]:
    import av

    with _open(p) as container:
        stream = _stream(container, p)
        _check_frame_size(stream, p)
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                check_declared(p, "decoded frame", frame.width, frame.height, "path")
                yield _to_float(frame)
        except av.error.FFmpegError as exc:
            raise ParameterError("path", f"{p}: decoding failed: {exc}") from None


def _resized(frame: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    if frame.shape[:2] == tuple(hw):
        return frame
    import cv2

    shrink = hw[0] < frame.shape[0]
    out = cv2.resize(frame, (hw[1], hw[0]), interpolation=cv2.INTER_AREA if shrink
                     else cv2.INTER_LINEAR)
    return np.clip(out.reshape(*hw, frame.shape[2]), 0, 1).astype(np.float32)


def output_size(hw: tuple[int, int], size) -> tuple[int, int]:
    """``size``: None keeps ``hw``; an int is the longest side; (rows, cols) is exact."""
    if size is None:
        return tuple(hw)
    if isinstance(size, (tuple, list)):
        return target_size(hw, tuple(size), None, None)
    return target_size(hw, None, None, int(size))


def _selection(n: int, start: int, stop: int | None, step: int) -> range:
    if start < 0 or step < 1 or (stop is not None and stop < 0):
        raise ParameterError("start", f"start and stop must be >= 0 and step >= 1, got "
                                      f"{start}, {stop}, {step}")
    chosen = range(start, n if stop is None else min(stop, n), step)
    if not chosen:
        raise ParameterError("start", f"the range start={start}, stop={stop}, step={step} "
                                      f"selects no frame of a video with {n} frames")
    return chosen


@operator(check="imgfusion.video.reader:check_load_video",
          output_probe="imgfusion.video.reader:probe_output")
def load_video(*, path: InputPath, start: Annotated[int, Range(0, FRAMES_MAX)] = 0,
               stop: Annotated[int | None, Range(0, FRAMES_MAX)] = None,
               step: Annotated[int, Range(1, FRAMES_MAX)] = 1,
               size: Annotated[int | tuple[int, int] | None, Range(1, SIDE_MAX)] = None,
               fps: Annotated[float | None, Range(1e-3, FPS_MAX)] = None,
               allow_short: bool = False) -> VideoKind:
    """Open a video (mp4, webm, mov, mkv, gif) or a folder of numbered frames, lazily.

    A video file is read by PyAV (FFmpeg inside its wheel: mp4, m4v, webm, mov, mkv,
    avi, gif); a folder holds numbered image frames (consecutive numbers, one size).
    Frames ``start, start + step, ...`` before ``stop`` are taken; with ``step`` > 1
    the frame rate is divided by ``step`` so the clip keeps its duration.

    Parameters
    ----------
    path
        video file, or a folder of numbered image frames
    start
        first frame (0-based)
    stop
        stop before this frame (null: the end)
    step
        take every step-th frame
    size
        longest side in px, or [rows, cols]; null keeps the size
    fps
        frame rate (default: the file's, divided by step; a folder: 25)
    allow_short
        accept a clip with fewer frames than its header declares (truncated)
    """
    info = probe_video(path, bool(allow_short))
    chosen = _selection(info.frames, int(start), stop, int(step))
    hw = output_size(info.size, size)
    p = Path(info.path)
    rate = float(fps) if fps is not None else info.fps / int(step)
    audio = p if (info.audio and chosen.start == 0 and chosen.step == 1
                  and chosen.stop >= info.frames and rate == info.fps) else None

    def frames() -> Iterator[np.ndarray]:
        if info.kind == "folder":
            files = frame_files(p)
            source = (read_image(files[i]) for i in chosen)
            for k, frame in enumerate(source):
                yield _resized(check_frame(_rgb(frame), k, info.size, str(p)), hw)
            return
        yield from _chosen_frames(p, chosen, hw, None if allow_short else info.frames)

    return Video(frames, fps=rate, frames=len(chosen), size=hw, audio=audio, source=str(p))


def _chosen_frames(p: Path, chosen: range, hw, declared: int | None
                   ) -> Iterator[np.ndarray]:
    """The ``chosen`` frames of the container ``p``; the clip ending before the last of
    them is an error when the clip must hold its ``declared`` frames (None: accepted)."""
    wanted = iter(chosen)
    target, decoded = next(wanted), 0
    for decoded, frame in enumerate(_container_frames(p), 1):
        if decoded - 1 == target:
            yield _resized(frame, hw)
            target = next(wanted, None)
            if target is None:
                return
    if declared is not None:
        raise ParameterError("path", short_clip(p, declared, decoded, "decodes"))


def _rgb(frame: np.ndarray) -> np.ndarray:
    return np.repeat(frame, 3, -1) if frame.shape[2] == 1 else frame[..., :3]


def _probed(params) -> tuple[VideoInfo, range]:
    """The file's probe and the chosen frames, as ``load_video``'s parameters say."""
    info = probe_video(params["path"], bool(params.get("allow_short", False)))
    return info, _selection(info.frames, int(params.get("start", 0)), params.get("stop"),
                            int(params.get("step", 1)))


def check_load_video(params) -> None:
    """Operator check: probe the file and the frame range at validation."""
    _probed(params)


def probe_output(params, inputs) -> Shape:
    """The ``output_probe`` of ``load_video``: frame count and size of the selected range
    (a short clip that ``allow_short`` accepts keeps its shape known)."""
    info, chosen = _probed(params)
    return Shape(output_size(info.size, params.get("size")), len(chosen), True)
