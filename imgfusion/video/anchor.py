"""Colour anchoring: frames started from an earlier result keep the first frame's colours.

Why a clip drifts: at a per-frame budget the optimisation has not converged.  On the
pan's first frame (96 px, Hubble deep field, original VGG19) a single-image run's mean
luminance goes 113, 74, 53, 47, 42 (0-255) after 40, 80, 160, 240, 400 L-BFGS
iterations, and its Laplacian variance falls with it.  Independent frames each stop
after ``first_iterations``; a frame started from its warped predecessor continues where
that one stopped, so frame t has had ``first + t * iterations`` and looks like a much
longer run: darker and softer, whatever the warp does.  The temporal loss then holds
each frame to the darker one before it.

The cure here: after frame t's optimisation, its stylised channels are moved to the
mean the first frame (stylised from ``init`` like an independent frame) has, plus the
share of the content's change since frame 0 that a stylisation keeps.  That share,
per channel, is read off the first frame: a stylised mean lies between the content's
and the style's, ``s_0 = σ + a (c_0 - σ)``, so ``a = (s_0 - σ) / (c_0 - σ)`` (in
[0, 1]; 1 where content and style have the same mean) and ``mean_t = s_0 + a (c_t -
c_0)``.  With ``moments`` the deviation is scaled too, as the content's changed.  A
global per-channel affine map: it moves no pixel, so the temporal consistency the loss
bought is kept, and the next frame starts from (and is held to) the re-anchored result.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

EPS = 1e-4
CLOSE = 0.02        # content and style means closer than this: follow the content


class Moments(NamedTuple):
    """Per-channel mean and standard deviation (weighted by a mask when given)."""

    mean: np.ndarray
    std: np.ndarray


def moments(image: np.ndarray, weights: np.ndarray | None = None) -> Moments:
    """The per-channel moments of an H x W x C image over ``weights`` (H x W, >= 0)."""
    x = np.asarray(image[..., :3], np.float64).reshape(-1, 3)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    if w.sum() <= 0:
        w = np.ones(len(x))
    w = w / w.sum()
    mean = w @ x
    std = np.sqrt(np.maximum(w @ (x - mean) ** 2, 0))
    return Moments(mean, std)


class Reference(NamedTuple):
    """The first frame's content and stylised moments: what later frames are held to."""

    content: Moments
    styled: Moments
    share: np.ndarray   # per channel: how much of a change in the content's mean stays
    mode: str           # "mean" or "moments"

    def target(self, content: Moments) -> Moments:
        """The stylised moments a frame whose content has ``content`` moments should have."""
        mean = self.styled.mean + self.share * (content.mean - self.content.mean)
        if self.mode == "mean":
            return Moments(mean, self.styled.std)
        std = self.styled.std * content.std / np.maximum(self.content.std, EPS)
        return Moments(mean, std)

    def adjuster(self, content: np.ndarray,
                 mask: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
        """The map that re-anchors a stylisation of ``content`` (inside ``mask``)."""
        goal = self.target(moments(content, mask))
        keep_std = self.mode == "mean"
        return lambda image: remapped(image, goal, mask, keep_std)


def reference(mode: str, style_mean: np.ndarray, content: np.ndarray, styled: np.ndarray,
              mask: np.ndarray | None) -> Reference | None:
    """The anchor a clip's first frame sets (None: ``anchor: off``, or nothing of the
    frame stylised: its mask is empty); ``style_mean``: :func:`style_mean`."""
    if mode == "off" or (mask is not None and not (mask > 0).any()):
        return None
    c, s = moments(content, mask), moments(styled, mask)
    return Reference(c, s, content_share(c.mean, s.mean, style_mean), mode)


def content_share(content: np.ndarray, styled: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Per channel, where ``styled`` lies from ``style`` (0) to ``content`` (1)."""
    apart = content - style
    far = np.abs(apart) >= CLOSE
    share = np.where(far, (styled - style) / np.where(far, apart, 1), 1.0)
    return np.clip(share, 0, 1)


def style_mean(style) -> np.ndarray:
    """The per-channel mean of a style image (of several: of their means)."""
    images = style if isinstance(style, (list, tuple)) else [style]
    return np.mean([moments(s).mean for s in images], axis=0)


def remapped(image: np.ndarray, goal: Moments, mask: np.ndarray | None,
             keep_std: bool = False) -> np.ndarray:
    """``image``'s channels moved (and with ``keep_std`` False, scaled) to ``goal``'s
    moments over ``mask``, clipped to [0, 1]."""
    now = moments(image, mask)
    gain = np.ones(3) if keep_std else goal.std / np.maximum(now.std, EPS)
    out = (image[..., :3] - now.mean) * gain + goal.mean
    return np.clip(out, 0, 1).astype(np.float32)
