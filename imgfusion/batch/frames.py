"""``--bind STEP.PARAM=frames:VIDEO``: a video's frames as the batch's inputs.

A folder of numbered frames is bound as it is.  A video file (mp4, webm, mov, gif,
...) is decoded once, streamed frame by frame into numbered PNGs (16-bit when the
video has more than 8 bits, else 8-bit: lossless either way) in a cache folder
outside ``--out``, keyed by the video's path, size and modification time:

- tasks still carry paths, never pixels, and any executor's workers read them;
- a rerun or ``--resume`` finds the same files (same names, same mtimes), so the
  manifest's completed items are skipped;
- the extraction is written into a temporary folder and renamed when complete, so an
  interrupted one is never taken for a finished one.

The cache is ``$IMGFUSION_CACHE/frames`` (default ``~/.cache/imgfusion/frames``);
delete it freely.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from ..errors import ParameterError, UsageError

PREFIX = "frames:"


def is_frames_source(source: str) -> bool:
    return source.startswith(PREFIX)


def cache_root() -> Path:
    base = os.environ.get("IMGFUSION_CACHE") or Path.home() / ".cache" / "imgfusion"
    return Path(base).expanduser() / "frames"


def frame_paths(source: str, key: str) -> tuple[list[Path], Path]:
    """The frame files of ``frames:VIDEO`` in order, and the folder their names are
    relative to.  Raises UsageError naming the bind for a missing or unreadable video."""
    from ..video.reader import frame_files, probe_video

    video = Path(os.path.expanduser(source[len(PREFIX):])).resolve()
    try:
        info = probe_video(video)
        folder = video if info.kind == "folder" else extracted(video, info.frames)
        return frame_files(folder), folder
    except ParameterError as exc:
        raise UsageError(f"--bind {key}: {exc.message}") from None


def extracted(video: Path, frames: int) -> Path:
    """The cache folder holding ``video``'s frames, decoding them if not there yet."""
    stat = video.stat()
    tag = hashlib.sha256(f"{video}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    folder = cache_root() / f"{video.stem}-{tag[:12]}"
    if folder.is_dir():
        return folder
    partial = folder.with_name(f"{folder.name}.part-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _decode_into(video, partial, frames)
        os.replace(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder


def _decode_into(video: Path, folder: Path, frames: int) -> None:
    import numpy as np

    from ..io.write import write_image
    from ..video.reader import load_video

    width = max(6, len(str(frames)))
    bar = tqdm(total=frames, desc=f"frames of {video.name}", unit="frame", file=sys.stderr,
               disable=None, leave=False)
    with bar:
        for i, frame in enumerate(load_video(path=str(video)), 1):
            bits = 16 if np.any(np.round(frame * 255) != frame * 255) else 8
            write_image(folder / f"frame_{i:0{width}d}.png", frame, bits=bits)
            bar.update()
