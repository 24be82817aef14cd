"""Drift of a stylised clip: does it keep its brightness and its sharpness?

Carrying each frame's result forward (warped into the next frame) carries its blur and
its optimisation forward too; over a clip the frames can grow darker or lighter and
softer.  These measures compare each frame with the first:

- brightness: the mean luminance (Y = .299 R + .587 G + .114 B);
- sharpness: the variance of the Laplacian of the luminance (the 4-neighbour
  Laplacian, borders replicated), the usual focus measure (Pech-Pacheco et al. 2000).

:func:`drift` gives the ratios of the last frames to the first, the figures
``bench/video_drift.py`` prints and the tests bound.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

import numpy as np

from ..checks import LUMA_STANDARDS

# float32 BT.601 weights, applied to the frame's own view: checks.luminance copies the
# colour channels first, which changes the last bit of an RGBA frame's sums
_BT601 = LUMA_STANDARDS["bt601"].astype(np.float32)


def luminance(frame: np.ndarray) -> np.ndarray:
    """H x W BT.601 luminance of an H x W x C frame (C >= 3: RGB, alpha ignored; C < 3:
    grey, or grey and alpha, whose grey is returned as is; an H x W frame as is)."""
    a = np.asarray(frame, np.float32)
    if a.ndim == 2:
        return a
    return a[..., :3] @ _BT601 if a.shape[2] >= 3 else a[..., 0]


def laplacian(y: np.ndarray) -> np.ndarray:
    """The 4-neighbour Laplacian of an H x W array, borders replicated."""
    y = np.pad(y, 1, mode="edge")
    return y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4 * y[1:-1, 1:-1]


def sharpness(frame: np.ndarray) -> float:
    """Variance of the Laplacian of the frame's luminance."""
    return float(laplacian(luminance(frame)).var())


def detail(image: np.ndarray) -> np.ndarray:
    """``image`` minus its Gaussian blur (σ = 1 px, borders replicated): its fine detail."""
    import cv2

    blur = cv2.GaussianBlur(image, (0, 0), 1.0, borderType=cv2.BORDER_REPLICATE)
    return image - blur.reshape(image.shape)


def sharpness_gain(image: np.ndarray, high: np.ndarray, target: float) -> float:
    """The gain a closest to 0 for which ``image + a · high`` has the sharpness
    ``target``; where none does, the a of the least sharpness.  The Laplacian is linear,
    so a solves a quadratic."""
    lw, lh = laplacian(luminance(image)), laplacian(luminance(high))
    lw, lh = lw - lw.mean(), lh - lh.mean()
    qa, qb, qc = (lh * lh).mean(), 2 * (lw * lh).mean(), (lw * lw).mean() - target
    if qa <= 0:
        return 0.0
    disc = qb * qb - 4 * qa * qc
    return float((-qb + np.sqrt(disc)) / (2 * qa) if disc >= 0 else -qb / (2 * qa))


class Drift(NamedTuple):
    """Per-frame mean luminance and sharpness, and the last frames' ratios to the first."""

    luminance: list[float]
    sharpness: list[float]
    luminance_ratio: float     # mean over the last ``tail`` frames / the first frame's
    sharpness_ratio: float


def drift(frames: Iterable[np.ndarray], tail: int = 2) -> Drift:
    """Brightness and sharpness of each frame, and the ratios of the mean of the last
    ``tail`` frames to the first frame's."""
    lum, sharp = [], []
    for frame in frames:
        lum.append(float(luminance(frame).mean()))
        sharp.append(sharpness(frame))
    if len(lum) < 2:
        raise ValueError("drift needs at least 2 frames")
    k = max(1, min(int(tail), len(lum) - 1))
    return Drift(lum, sharp, float(np.mean(lum[-k:]) / max(lum[0], 1e-12)),
                 float(np.mean(sharp[-k:]) / max(sharp[0], 1e-12)))


def steady_pan(image: np.ndarray, *, frames: int, size: int, pan=(1.0, 2.0)):
    """A pan whose content keeps its brightness and sharpness: the camera films one
    period of ``image`` resized to ``size`` x ``size`` and tiled (wrapped), so every
    frame is the same picture shifted cyclically and any drift is the stylisation's
    (``pan``: px per frame; whole pixels by default, so that the temporal error's
    bilinear warp is exact: a sub-pixel pan over so detailed a picture blurs it, and
    the content clip against itself scores about as much as independent frames do).
    A :class:`~imgfusion.video.synthetic.Clip`."""
    import cv2

    from .synthetic import camera_clip

    tile = cv2.resize(np.asarray(image[..., :3], np.float32), (size, size),
                      interpolation=cv2.INTER_AREA)
    return camera_clip(np.tile(tile, (3, 3, 1)), frames=frames, size=(size, size),
                       scale=1.0, pan=pan, zoom=1.0, radius=0.0)


def dimmed(frames: Iterable[np.ndarray], to: float) -> list[np.ndarray]:
    """``frames`` dimmed linearly from their full brightness to ``to`` of it over the
    clip (a fade: the lighting changes, the scene does not)."""
    frames = list(frames)
    last = max(len(frames) - 1, 1)
    return [(f * (1 - (1 - to) * t / last)).astype(np.float32) for t, f in enumerate(frames)]
