"""Anchoring: frames started from an earlier result keep the first frame's colour and detail.

Why a clip drifts: at a per-frame budget the optimisation has not converged.  On the
pan's first frame (96 px, Hubble deep field, original VGG19) a single-image run's mean
luminance goes 113, 74, 53, 47, 42 (0-255) after 40, 80, 160, 240, 400 L-BFGS
iterations, and its Laplacian variance 69, 59, 46, 44, 44 (x 1e-3).  Independent
frames each stop after ``first_iterations``; a frame started from its warped
predecessor continues where that one stopped, so frame t has had ``first + t *
iterations`` and looks like a much longer run, whatever the warp does; the temporal
loss then holds each frame to the drifted one before it.

The cure here: after frame t's optimisation its stylised image is moved back to

- the first frame's channel means (the first frame is stylised from ``init``, like an
  independent frame), plus the share of the content's change since frame 0 that a
  stylisation keeps.  That share, per channel, is read off the first frame: a stylised
  mean lies between the content's and the style's, ``s_0 = σ + a (c_0 - σ)``, so ``a =
  (s_0 - σ) / (c_0 - σ)`` (in [0, 1]; 1 where content and style have the same mean) and
  ``mean_t = s_0 + a (c_t - c_0)``;
- with ``mean_sharpness`` (no mask), the first frame's sharpness (the variance of the
  Laplacian of the luminance) times the content's own change, by amplifying or
  damping its fine detail (the image minus its Gaussian blur of σ = 1 px).

Both are global, linear filters: they move no pixel, so the temporal consistency the
loss bought is kept, and the next frame starts from (and is held to) the re-anchored
result.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .drift import detail, sharpness, sharpness_gain

CLOSE = 0.02        # content and style means closer than this: follow the content
GAINS = (-1.0, 3.0)     # detail from taken away (the blurred image) to 4x


def channel_means(image: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The per-channel means of an H x W x C image over ``weights`` (H x W, >= 0)."""
    x = np.asarray(image[..., :3], np.float64).reshape(-1, 3)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    return (w @ x) / w.sum() if w.sum() > 0 else x.mean(axis=0)


class Reference(NamedTuple):
    """The first frame's content and stylisation: what later frames are held to."""

    content: np.ndarray     # channel means
    styled: np.ndarray
    share: np.ndarray       # per channel: how much of a change in the content's mean stays
    sharpness: tuple[float, float] | None   # content's, stylisation's (None: not held)

    def adjuster(self, content: np.ndarray,
                 mask: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
        """The map that re-anchors a stylisation of ``content`` (inside ``mask``)."""
        mean = self.styled + self.share * (channel_means(content, mask) - self.content)
        sharp = None
        if self.sharpness is not None and mask is None:
            was, styled = self.sharpness
            sharp = styled * sharpness(content) / max(was, 1e-12)
        return lambda image: anchored(image, mean, sharp, mask)


def reference(mode: str, style_mean: np.ndarray, content: np.ndarray, styled: np.ndarray,
              mask: np.ndarray | None) -> Reference | None:
    """The anchor a clip's first frame sets (None: ``anchor: off``, or nothing of the
    frame stylised: its mask is empty); ``style_mean``: :func:`style_mean`."""
    if mode == "off" or (mask is not None and not (mask > 0).any()):
        return None
    c, s = channel_means(content, mask), channel_means(styled, mask)
    sharp = (sharpness(content), sharpness(styled)) \
        if mode == "mean_sharpness" and mask is None else None
    return Reference(c, s, content_share(c, s, style_mean), sharp)


def content_share(content: np.ndarray, styled: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Per channel, where ``styled`` lies from ``style`` (0) to ``content`` (1)."""
    apart = content - style
    far = np.abs(apart) >= CLOSE
    share = np.where(far, (styled - style) / np.where(far, apart, 1), 1.0)
    return np.clip(share, 0, 1)


def style_mean(style) -> np.ndarray:
    """The per-channel mean of a style image (of several: of their means)."""
    images = style if isinstance(style, (list, tuple)) else [style]
    return np.mean([channel_means(s) for s in images], axis=0)


def anchored(image: np.ndarray, mean: np.ndarray, sharp: float | None,
             mask: np.ndarray | None) -> np.ndarray:
    """``image`` with its fine detail scaled to the sharpness ``sharp`` (None: as it
    is), then shifted to the channel means ``mean`` over ``mask``, clipped to [0, 1]
    (and shifted again: clipping alone would lighten a dark image)."""
    out = np.asarray(image[..., :3], np.float32)
    if sharp is not None:
        high = detail(out)
        out = out + np.clip(sharpness_gain(out, high, sharp), *GAINS) * high
    for _ in range(2):
        out = np.clip(out + (mean - channel_means(out, mask)), 0, 1)
    return out.astype(np.float32)
