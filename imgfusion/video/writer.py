"""``save_video``: mp4 (H.264), webm (VP9), gif, or a folder of numbered PNG frames.

Frames are encoded as they arrive (one frame in memory; a GIF is the exception:
Pillow keeps its frames to compute their palettes and deltas, so keep GIFs short).
Everything is written to a temporary file (or folder) next to the destination and
renamed when the last frame is in, so an error or Ctrl-C leaves no half-written
video.  H.264 and VP9 need even sizes: an odd last row or column is repeated.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Annotated, Callable, Iterable

import numpy as np

from ..errors import ParameterError
from ..operators import Data, OutputPath, Progress, Protect, Range, WorkDir, operator
from ..operators import Video as VideoKind
from ..paths import first_names, in_output_folder, move_written, names_not_matching
from ..values import Video
from .frames import as_video
from .limits import FPS_MAX

CODECS = {".mp4": ("mp4", "libx264"), ".m4v": ("mp4", "libx264"), ".mov": ("mov", "libx264"),
          ".mkv": ("matroska", "libx264"), ".webm": ("webm", "libvpx-vp9")}
AUDIO_OK = {"mp4": ("aac", "mp3", "alac"), "mov": ("aac", "mp3", "alac", "pcm_s16le"),
            "matroska": None, "webm": ("opus", "vorbis")}   # None: any codec


def output_kind(path) -> str:
    """``container``, ``gif`` or ``folder`` (a path without an extension)."""
    suffix = Path(str(path)).suffix.lower()
    if suffix in CODECS:
        return "container"
    if suffix == ".gif":
        return "gif"
    if suffix == "":
        return "folder"
    raise ParameterError("path", f"unsupported video format '{suffix}'; use "
                                 f"{', '.join([*CODECS, '.gif'])} or a folder name (no "
                                 "extension) for numbered PNG frames")


def check_save_video(params) -> None:
    """Operator check: the format, and audio only where it can go."""
    kind = output_kind(params.get("path", ""))
    if params.get("audio") and kind != "container":
        raise ParameterError("audio", f"a {kind} has no audio track; save as .mp4, .mov, "
                                      ".mkv or .webm to keep the sound")


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    a = np.asarray(frame, dtype=np.float32)
    if a.ndim == 2:
        a = a[..., None]
    a = np.repeat(a, 3, -1) if a.shape[2] == 1 else a[..., :3]
    return np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)


def _even(a: np.ndarray) -> np.ndarray:
    pad = ((0, a.shape[0] % 2), (0, a.shape[1] % 2), (0, 0))
    return np.pad(a, pad, mode="edge") if any(p[1] for p in pad) else a


def _copy_audio(source: Path, out, fmt: str) -> Callable[[], None]:
    """Add the source's first audio stream to ``out``; return the function that muxes it."""
    import av

    inp = av.open(str(source))
    audio_in = inp.streams.audio[0]
    allowed = AUDIO_OK.get(fmt)
    if allowed is not None and audio_in.codec_context.name not in allowed:
        inp.close()
        raise ParameterError("audio", f"{audio_in.codec_context.name} audio cannot be copied "
                                      f"into {fmt}; save as .mkv (takes any audio)")
    audio_out = out.add_stream_from_template(audio_in)

    def mux() -> None:
        try:
            for packet in inp.demux(audio_in):
                if packet.dts is None:
                    continue
                packet.stream = audio_out
                out.mux(packet)
        finally:
            inp.close()
    return mux


def _write_container(frames: Iterable[np.ndarray], tmp: str, suffix: str, fps: float,
                     crf: int, audio: Path | None, tick) -> None:
    import av
    from fractions import Fraction

    fmt, codec = CODECS[suffix]
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(tmp, "w", format=fmt) as out:
        stream = None
        mux_audio = _copy_audio(audio, out, fmt) if audio is not None else None
        for frame in frames:
            pixels = _even(_to_uint8(frame))
            if stream is None:
                _warn_if_padded(frame.shape[:2], pixels.shape[:2], suffix)
                stream = out.add_stream(codec, rate=rate, options={"crf": str(crf)})
                stream.height, stream.width = pixels.shape[:2]
                stream.pix_fmt = "yuv420p"
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
            tick()
        if stream is None:
            raise ParameterError("video", "the video has no frames")
        for packet in stream.encode():
            out.mux(packet)
        if mux_audio is not None:
            mux_audio()


FRAME_PATTERN = r"frame_\d{5,}\.png"   # what save_video writes into a frame folder


class EvenSizeWarning(UserWarning):
    """An odd frame size was padded to the even one H.264 and VP9 need."""


def _warn_if_padded(size, written, suffix: str) -> None:
    if tuple(size) != tuple(written):
        warnings.warn(f"save_video: {suffix} (H.264/VP9) needs even sides, so the "
                      f"{size[0]} x {size[1]} frames are written {written[0]} x {written[1]} "
                      "(the last row or column repeated); .gif and a frame folder keep the "
                      "size", EvenSizeWarning, stacklevel=2)


class GifFramesWarning(UserWarning):
    """Identical neighbouring frames were stored as one GIF frame shown longer."""


def _write_gif(frames: Iterable[np.ndarray], tmp: str, fps: float, tick) -> None:
    from PIL import Image

    repeats, last = [0], [None]

    def images():
        for frame in frames:
            tick()
            pixels = _to_uint8(frame)
            repeats[0] += last[0] is not None and np.array_equal(pixels, last[0])
            last[0] = pixels
            yield Image.fromarray(pixels)

    it = images()
    first = next(it, None)
    if first is None:
        raise ParameterError("video", "the video has no frames")
    first.save(tmp, format="GIF", save_all=True, append_images=it,
               duration=max(20, round(1000 / fps)), loop=0, optimize=False)
    if repeats[0]:
        warnings.warn(f"save_video: {repeats[0]} frame(s) repeat the one before; a GIF stores "
                      "each such run as one frame shown longer, so it plays the same but reads "
                      f"back as {repeats[0]} frame(s) fewer (.mp4 or a frame folder keep every "
                      "frame)", GifFramesWarning, stacklevel=2)


def _write_folder(frames: Iterable[np.ndarray], tmp: Path, tick) -> None:
    from ..io.write import write_image

    n = 0
    for n, frame in enumerate(frames, 1):
        write_image(tmp / f"frame_{n:05d}.png", frame)
        tick()
    if n == 0:
        raise ParameterError("video", "the video has no frames")


def _destination(path, workdir, overwrite: bool, protect) -> Path:
    dest = in_output_folder(path, workdir).absolute()
    real = os.path.realpath(dest)
    if any(os.path.realpath(p) == real for p in protect):
        raise ParameterError("path", f"refusing to overwrite {dest}: it is an input of this run")
    if dest.exists() and not overwrite:
        raise ParameterError("path", f"{dest} already exists; set overwrite: true on this step "
                                     "(or run with --overwrite) to replace it")
    if dest.is_dir():
        _check_frames_only(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _check_frames_only(folder: Path) -> None:
    """A frame folder is replaced whole, so only one that holds nothing but frames
    (``frame_NNNNN.png``, what save_video writes) may be: never a folder of the user's
    files, the run's inputs or what an earlier step saved there (the plan refuses it at
    validation the same way: the ``replaces_folder`` trait)."""
    others = names_not_matching(folder, FRAME_PATTERN)
    if others:
        raise ParameterError("path", f"{folder} holds files that are not save_video's frames "
                                     f"({first_names(others)}); a frame folder is replaced "
                                     "whole, so name a new or empty folder")


def _publish(tmp: Path, dest: Path, overwrite: bool) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~umask)
    if dest.exists():
        if not overwrite:
            raise ParameterError("path", f"{dest} appeared meanwhile; not replacing it")
        if dest.is_dir():
            _check_frames_only(dest)
            shutil.rmtree(dest)
    move_written(tmp, dest)   # the run records the frames' final paths, not temporary ones


@operator(check="imgfusion.video.writer:check_save_video",
          replaces_folder={"path": FRAME_PATTERN})
def save_video(video: VideoKind, *, path: OutputPath,
               fps: Annotated[float | None, Range(1e-3, FPS_MAX)] = None,
               crf: Annotated[int, Range(0, 51)] = 18, audio: bool = False,
               overwrite: bool = False, workdir: WorkDir = None, protect: Protect = (),
               progress: Progress = None) -> Data:
    """Write a video (mp4/H.264, webm, gif, or a folder of PNG frames), atomically.

    .mp4/.m4v/.mov/.mkv are H.264, .webm VP9; a name without an extension is a folder
    of ``frame_00001.png`` ... (relative to the run's folder).  ``crf`` 18 is visually
    lossless; H.264 and VP9 need even sides, so an odd size gains a repeated last row or
    column there (with a warning; .gif and frame folders keep it).  A GIF stores each
    frame's time in hundredths of a second, so its rate is rounded (12 fps: 8/100 s, read
    back as 12.5), and it keeps a run of identical frames as one frame shown longer (with a
    warning: it reads back with fewer frames).  ``audio`` copies the
    audio stream of the video's source file (a whole
    clip, loaded without a range or step).  ``overwrite`` works as for ``save``: an
    existing file is replaced only with overwrite, an input never, and a frame folder
    only when it holds nothing but frames.

    Parameters
    ----------
    video
        a video (load_video, or an operator run over one)
    path
        .mp4 .mov .mkv .webm .gif, or a folder name (no extension) for numbered PNG frames
    fps
        frame rate (default: the video's)
    crf
        H.264/VP9 quality (lower: better)
    audio
        copy the source file's audio stream
    overwrite
        replace an existing file (never an input)

    Returns
    -------
    path : the path written
    """
    video = as_video(video, "video")
    kind = output_kind(path)
    check_save_video({"path": str(path), "audio": audio})
    if audio and video.audio is None:
        raise ParameterError("audio", "the video has no audio to copy (its source has no "
                                      "audio stream, or it was loaded with a range, a step "
                                      "or another fps)")
    if audio and fps is not None and float(fps) != float(video.fps):
        raise ParameterError("fps", f"fps {fps:g} changes the video's length (its rate is "
                                    f"{video.fps:g}) but not its sound's, so they would drift "
                                    "apart; drop fps, or audio")
    dest = _destination(path, workdir, overwrite, protect)
    rate = float(fps or video.fps)
    count = [0]

    def tick():
        count[0] += 1
        if progress is not None:
            progress(count[0], video.frames)

    if kind == "folder":
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"))
    else:
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        os.close(fd)
        tmp = Path(name)
    try:
        if kind == "folder":
            _write_folder(video, tmp, tick)
        elif kind == "gif":
            _write_gif(video, str(tmp), rate, tick)
        else:
            _write_container(video, str(tmp), dest.suffix.lower(), rate, int(crf),
                             video.audio if audio else None, tick)
        _publish(tmp, dest, overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
        raise
    return str(dest)
