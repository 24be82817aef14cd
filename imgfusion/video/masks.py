"""Where ``video_style`` stylises: a still mask for every frame, or a mask video in lockstep.

A mask is checked the way the masked family checks a still one (bool, or float in
[0, 1]: anything else is refused, never clipped) against the clip's frame size, then
optionally thresholded (``mask_threshold``: a mask clip decoded from H.264 is never
exactly 0 or 1), resized with the frames to the output size and feathered
(:func:`imgfusion.masked.region_masks.feathered`).  A mask video's frames may be
masks (H x W) or pictures (their luminance is the mask, as ``load_mask`` reads a
picture).

Everything that can be known before the first frame is stylised is checked then: a
mask video whose frame count (when known) or frame size differs from the clip's, a
still mask of another size, an empty still mask.  A mask video of unknown length that
ends early (or goes on) is refused when that shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..checks import check_mask, luminance
from ..errors import ParameterError
from ..layout.geometry import resize
from ..masked.region_masks import feathered
from ..values import Video
from .style_checks import guided_masks


@dataclass(frozen=True)
class MaskSettings:
    """How each mask frame is prepared (checked, thresholded, resized, feathered)."""

    clip_hw: tuple[int, int]
    out_hw: tuple[int, int]
    threshold: float | None = None
    feather: float = 0.0

    def prepare(self, frame: Any, where: str = "") -> np.ndarray:
        """float32 H x W alpha at the output size (``where``: which mask frame)."""
        alpha = check_mask(_plane(frame), self.clip_hw, "mask", f"the clip's frame{where}")
        if self.threshold is not None:
            alpha = alpha > self.threshold
        if tuple(alpha.shape) != tuple(self.out_hw):
            alpha = resize(alpha, size=self.out_hw)
        return feathered(alpha.astype(np.float32), self.feather)


def _plane(frame: Any) -> Any:
    """H x W mask of a mask frame; the luminance of a picture (H x W x 3 or 4)."""
    arr = np.asarray(frame) if isinstance(frame, np.ndarray) else frame
    if isinstance(arr, np.ndarray) and arr.ndim == 3 and arr.shape[2] in (3, 4) \
            and np.issubdtype(arr.dtype, np.floating):
        if (arr[..., 1:3] == arr[..., :1]).all():
            return arr[..., 0]                 # grey: white is exactly 1
        return np.clip(luminance(arr), 0, 1)   # a picture in [0, 1]: rounding only
    return arr


@dataclass(frozen=True)
class FrameMasks:
    """A prepared still mask, or a mask video and how to prepare its frames."""

    settings: MaskSettings
    still: np.ndarray | None = None
    video: Video | None = None
    first: np.ndarray | None = None      # the mask video's first prepared frame

    def key(self) -> tuple[dict, list[np.ndarray]]:
        """What the resume fingerprint must cover: settings, and the pixels known."""
        s = self.settings
        info = {"threshold": s.threshold, "feather": s.feather,
                "video": None if self.video is None else [self.video.source,
                                                          self.video.frames]}
        return info, [self.still if self.still is not None else self.first]

    def frames(self) -> Iterator[np.ndarray]:
        """The prepared masks: a still one for ever, or each frame of the mask video."""
        if self.still is not None:
            while True:
                yield self.still
        for k, frame in enumerate(self.video):   # frame 0 was prepared for the check
            yield self.first if k == 0 else self.settings.prepare(frame, f" (mask frame {k})")


def frame_masks(mask: Any, clip: Video, settings: MaskSettings) -> FrameMasks | None:
    """Check ``mask`` against the clip before anything runs; None for no mask."""
    if mask is None:
        return None
    if isinstance(mask, Video):
        if None not in (mask.frames, clip.frames) and mask.frames != clip.frames:
            raise ParameterError("mask", f"the mask video has {mask.frames} frames but the "
                                         f"clip has {clip.frames}; a mask video runs in "
                                         f"lockstep with the clip, frame for frame")
        return FrameMasks(settings, video=mask,
                          first=settings.prepare(mask.first(), " (mask frame 0)"))
    still = settings.prepare(mask)
    if not (still > 0).any():
        raise ParameterError("mask", "the mask is empty (no pixel above 0): there is no "
                                     "region to stylise")
    return FrameMasks(settings, still=still)


def with_masks(frames: Iterator[np.ndarray], masks: FrameMasks | None, clip_frames: int | None
               ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """(content, mask or None) per frame; a mask video longer than the clip is refused
    once the clip has ended."""
    if masks is None:
        yield from ((f, None) for f in frames)
        return
    source = masks.frames()
    n = 0
    for n, frame in enumerate(frames):
        mask = next(source, None)
        if mask is None:
            raise ParameterError("mask", f"the mask video ended after {n} frames while the "
                                         f"clip went on; it runs in lockstep with the clip")
        yield frame, mask
    # bool(Video) would ask for a length an undecoded video does not know: test for None
    known = masks.video is None or None not in (clip_frames, masks.video.frames)
    if not known and next(source, None) is not None:
        raise ParameterError("mask", f"the mask video goes on after the clip's {n + 1} "
                                     f"frames; it runs in lockstep with the clip")


def guide_arrays(style_guides) -> list[np.ndarray]:
    """The style guide masks as arrays (for the resume fingerprint)."""
    sg = style_guides
    return [np.asarray(g) for g in (sg if isinstance(sg, list) else [sg]) if g is not None]


def mask_plan(mask, video: Video, hw, clip_hw, styles, *, method, threshold, feather,
              style_guides) -> tuple[FrameMasks | None, bool]:
    """The checked masks, and whether they guide the style loss (``mask_method: guided``)."""
    guided = method == "guided"
    guided_masks(mask, styles, guided=guided, style_guides=style_guides)
    masks = frame_masks(mask, video, MaskSettings(tuple(clip_hw), tuple(hw), threshold,
                                                  float(feather)))
    return masks, guided
