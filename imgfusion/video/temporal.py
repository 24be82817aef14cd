"""Ruder et al.'s temporal losses: what the frame being stylised is pulled towards.

Short-term: ``L = w_t · (1/D) Σ c ⊙ (x - warp(x_{t-1}))²`` with D = H · W · C, the
same normalisation (a mean squared error) as imgfusion's content loss.  Long-term
(``neighbours`` 1, 2, 4 ...): one such term per earlier frame t - j, each warped by the
flow from frame t straight to t - j, with ``c_long(j) = max(c_j - Σ_{closer k} c_k, 0)``
so that each pixel is held by its closest reliable earlier frame only.  With a mask
(``video_style``'s region), c is also 0 outside the current frame's mask and where
the warped earlier frame lay outside its own mask (nothing stylised to hold there).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import LUMA_STANDARDS
from .drift import detail, sharpness, sharpness_gain
from .flow import trusted_flow, warp


@dataclass
class Target:
    """An earlier stylised frame warped into the current one, and its weights c."""

    distance: int           # j: the earlier frame is t - j (negative: a later frame)
    warped: np.ndarray      # H x W x 3
    c: np.ndarray           # H x W in [0, 1]


def long_term_weights(cs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``c_long(j) = max(c_j - Σ_{k closer} c_k, 0)``, the ``cs`` ordered closest first."""
    out, covered = [], np.zeros_like(cs[0]) if cs else None
    for c in cs:
        out.append(np.maximum(c - covered, 0).astype(np.float32))
        covered = covered + c
    return out


def carried(frame: np.ndarray, content: np.ndarray, styled: np.ndarray, flow: np.ndarray,
            carry: str) -> np.ndarray:
    """What a stylised neighbour carries into ``frame`` through ``flow``:

    - ``image``: the result warped bilinearly, as Ruder et al. do: a sub-pixel shift
      blurs it, and the blur compounds warp after warp;
    - ``sharp``: the result warped with a Lanczos kernel, which blurs far less;
    - ``sharpened``: that, with the detail the warp still lost put back
      (:func:`restore_detail`);
    - ``stylisation``: only the stylisation (the result minus its content frame) warped
      bilinearly and added to this frame's own content."""
    if carry == "image":
        return warp(styled[..., :3], flow)
    if carry in ("sharp", "sharpened"):
        out = warp(styled[..., :3], flow, sharp=True)
        return out if carry == "sharp" else restore_detail(out, styled[..., :3])
    delta = warp(styled[..., :3] - content[..., :3], flow)
    return np.clip(frame[..., :3] + delta, 0, 1).astype(np.float32)


def restore_detail(warped: np.ndarray, source: np.ndarray, max_gain: float = 3.0) -> np.ndarray:
    """``warped + a · (warped - G_1 * warped)``, its high frequencies (a Gaussian of
    σ = 1 px taken away) amplified by the gain a >= 0 that gives it the sharpness
    (variance of the Laplacian of the luminance) of the unwarped ``source``; a = 0 when
    the warp lost none.  Clipped to [0, 1], then shifted back to the warped image's
    channel means (clipping alone would lighten a dark image)."""
    target = sharpness(source)
    if sharpness(warped) >= target:
        return warped
    high = detail(warped)
    gain = sharpness_gain(warped, high, target)
    if gain <= 0:
        return warped
    out = np.clip(warped + min(gain, max_gain) * high, 0, 1)
    out += warped.mean(axis=(0, 1)) - out.mean(axis=(0, 1))
    return np.clip(out, 0, 1).astype(np.float32)


def neighbour_targets(frame: np.ndarray, neighbours: Sequence[tuple], *, method: str,
                      preset: str, device: str = "cpu", region: np.ndarray | None = None,
                      carry: str = "image") -> list[Target]:
    """For each (j, content of frame t - j, its stylised result[, its mask]), closest
    first: the stylised neighbour carried into ``frame`` (:func:`carried`) and its
    (long-term) weights.

    With masks (``region``: this frame's), a pixel is held only inside ``region`` and
    where its warped neighbour lay inside that frame's mask, i.e. was stylised: a pixel
    the mask has just reached is free, not pulled towards the unstylised content."""
    raw = []
    for j, content, styled, *mask in neighbours:
        to_it, c = trusted_flow(frame, content, method=method, preset=preset, device=device)
        if mask and mask[0] is not None:
            c = c * warp(mask[0], to_it)
        raw.append((j, carried(frame, content, styled, to_it, carry), c))
    weights = long_term_weights([c for _, _, c in raw])
    if region is not None:
        weights = [(w * region).astype(np.float32) for w in weights]
    return [Target(j, w, c) for (j, w, _), c in zip(raw, weights)]


@dataclass
class TemporalLoss:
    """Callable ``loss(x)``, the style run's ``StyleContext.extra_loss``: the weighted sum of the
    per-target masked mean squared errors, at whatever size ``x`` is optimised."""

    targets: Sequence[Target]
    weight: float
    _cache: dict = field(default_factory=dict, repr=False)

    def _tensors(self, hw: tuple[int, int], channels: int, device) -> list[tuple]:
        key = (hw, channels, str(device))
        if key not in self._cache:
            out = []
            for t in self.targets:
                w = torch.from_numpy(np.ascontiguousarray(t.warped, np.float32))
                w = w.permute(2, 0, 1)[None]
                c = torch.from_numpy(np.ascontiguousarray(t.c, np.float32))[None, None]
                if tuple(w.shape[-2:]) != hw:
                    w = F.interpolate(w, size=hw, mode="bilinear", align_corners=False)
                    c = F.interpolate(c, size=hw, mode="bilinear", align_corners=False)
                if channels == 1:
                    w = (w * torch.tensor(LUMA_STANDARDS["bt601"], dtype=torch.float32)
                         .view(1, 3, 1, 1)).sum(1, keepdim=True)
                out.append((w.to(device), c.to(device)))
            self._cache[key] = out
        return self._cache[key]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        total = torch.zeros((), device=x.device)
        for w, c in self._tensors(tuple(x.shape[-2:]), x.shape[1], x.device):
            total = total + (c * (x.float() - w).pow(2)).mean()
        return self.weight * total

    def value(self, image: np.ndarray) -> float:
        """The loss of a finished H x W x 3 frame (for the report)."""
        x = torch.from_numpy(np.ascontiguousarray(image[..., :3], np.float32))
        with torch.no_grad():
            return float(self(x.permute(2, 0, 1)[None]))


def blended_init(current: np.ndarray, target: Target) -> np.ndarray:
    """Ruder's multi-pass start: ``(x + c · warped) / (1 + c)``."""
    c = target.c[..., None]
    return ((current[..., :3] + c * target.warped) / (1 + c)).astype(np.float32)
