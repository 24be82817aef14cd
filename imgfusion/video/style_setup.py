"""``video_style``'s setup: the frames at the output size, the progress bar, the frames
folder, the ``frame_init`` it resolves and the resume fingerprint's style keys."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ParameterError
from ..paths import in_output_folder
from ..style import checks
from ..style.pipeline import StyleSettings
from ..values import Video
from .reader import _resized
from .store import FrameStore, fingerprint


def frames_at(video: Video, hw: tuple[int, int]) -> Iterator[np.ndarray]:
    """The clip's frames as RGB at the output size ``hw``."""
    for frame in video:
        rgb = checks.as_rgb(frame, "video")[0]
        yield _resized(rgb, hw)


def progress_bar(total: int | None):
    """Per-frame progress on stderr when no engine hands one in (off when not a terminal)."""
    import sys

    from tqdm import tqdm

    bar = tqdm(total=total, desc="video_style", unit="frame", file=sys.stderr, disable=None)

    def update(done: int, total: int | None = None, **info) -> None:
        bar.n = done
        bar.set_postfix({k: f"{v:.4g}" for k, v in info.items()}, refresh=True)

    update.close = bar.close
    return update


def frames_folder(frames_dir, workdir) -> Path:
    """Where the frames go (in the output folder)."""
    if frames_dir is None:
        raise ParameterError("frames_dir", "video_style needs a folder for its frames")
    return in_output_folder(frames_dir, workdir)


def resolved_frame_init(frame_init: str, temporal_weight: float) -> str:
    """``auto``: independent frames without the temporal loss, else the warped start."""
    if frame_init != "auto":
        return frame_init
    return "init" if temporal_weight == 0 else "prev_warped"


def style_key(s: StyleSettings, device: str, seed: int) -> dict:
    """The per-frame style options in the resume fingerprint (as the registration's flat
    keys name them)."""
    sched = s.schedule
    return {**asdict(s.losses), **asdict(s.color), "optimizer": sched.optimizer,
            "learning_rate": sched.learning_rate, "tolerance": sched.tolerance,
            "window": sched.window, "precision": s.speed.precision, "device": device,
            "seed": int(seed)}


def frame_store(folder: Path, settings: dict, arrays: list, overwrite: bool) -> FrameStore:
    """The frames folder, resumed when its fingerprint is the run's."""
    return FrameStore(folder, fingerprint(settings, arrays), overwrite=overwrite)
