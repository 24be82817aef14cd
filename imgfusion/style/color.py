"""Colour control: post-hoc luminance swap, luminance-only transfer, histogram matching,
and grey inputs (:func:`is_grey`), whose run optimises the luminance only.

Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer", and
"Preserving Color in Neural Artistic Style Transfer" (arXiv:1606.05897).  Luminance
is Y = .299 R + .587 G + .114 B, chroma the I and Q of YIQ.  All functions work on
float numpy arrays H x W x 3 in [0, 1] and never modify their arguments.
"""
from __future__ import annotations

from typing import get_args

import numpy as np

from ..checks import LUMA_STANDARDS
from ..errors import ParameterError
from .options import HistogramMode

# YIQ's Y row is BT.601 luma (imgfusion.checks names the standards).
RGB_TO_YIQ = np.array([LUMA_STANDARDS["bt601"],
                       [0.59590059, -0.27455667, -0.32134392],
                       [0.21153661, -0.52273617, 0.31119955]])
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)
HISTOGRAM_MODES = get_args(HistogramMode)
GREY_TOLERANCE = 1.0 / 255   # channels this close count as equal (an 8-bit grey saved as RGB)


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    return yiq @ YIQ_TO_RGB.T


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y channel, H x W (float64)."""
    return rgb_to_yiq(rgb)[..., 0]


def is_grey(rgb: np.ndarray) -> bool:
    """Whether every pixel's colour channels agree within :data:`GREY_TOLERANCE`."""
    colour = rgb[..., :3]
    spread = colour.max(axis=-1) - colour.min(axis=-1)
    return bool(spread.max() <= GREY_TOLERANCE + 1e-6)   # (float32 rounding of k / 255)


def grey_rgb(rgb: np.ndarray) -> np.ndarray:
    """The luminance of ``rgb`` in all three channels (float32): R = G = B exactly."""
    return np.repeat(luminance(rgb)[..., None], 3, axis=-1).astype(np.float32)


def gamut_limits(iq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, the range of Y for which YIQ (Y, I, Q) is an RGB colour in [0, 1]."""
    offset = iq @ YIQ_TO_RGB[:, 1:].T       # RGB = Y * 1 + offset (the Y column is all ones)
    lo = (-offset).max(axis=-1)
    hi = (1.0 - offset).min(axis=-1)
    return lo, hi


def combine_luminance(y: np.ndarray, content: np.ndarray) -> np.ndarray:
    """RGB with luminance ``y`` and the chroma (I, Q) of ``content``, exactly.

    Y is clamped per pixel to the range that keeps RGB in [0, 1] with the content's
    chroma, so the chroma is never altered by clipping.  That range holds the
    content's own Y, so it is never empty.
    """
    yiq = rgb_to_yiq(content)
    lo, hi = gamut_limits(yiq[..., 1:])
    yiq[..., 0] = np.clip(y, lo, np.maximum(lo, hi))
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0).astype(np.float32)


def original_colors(output: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Post-hoc swap: the output's luminance with the content's chroma."""
    return combine_luminance(luminance(output), content)


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """Shift and scale the style luminance to the content's mean and standard deviation."""
    s_mu, s_sd = style_y.mean(), style_y.std()
    c_mu, c_sd = content_y.mean(), content_y.std()
    return np.clip((style_y - s_mu) * (c_sd / max(s_sd, 1e-8)) + c_mu, 0.0, 1.0)


def _sqrt_psd(c: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(c)
    vals = np.clip(vals, 1e-12, None) ** (-0.5 if inverse else 0.5)
    return (vecs * vals) @ vecs.T


def match_color(style: np.ndarray, content: np.ndarray, mode: str = "pca", *,
                eps: float = 1e-5, clip: bool = True) -> np.ndarray:
    """Linear colour transfer: the style's RGB mean and covariance become the content's.

    ``x' = A (x - mu_s) + mu_c`` with Σ_c = A Σ_s Aᵀ:
    ``chol``: A = L_c L_s⁻¹ (Cholesky factors); ``pca``: A = Σ_c^½ Σ_s^-½;
    ``sym``: A = Σ_s^-½ (Σ_s^½ Σ_c Σ_s^½)^½ Σ_s^-½ (the symmetric solution).
    ``eps`` is added to the covariance diagonals for stability.
    """
    if mode not in HISTOGRAM_MODES:
        raise ParameterError("histogram_mode", f"'{mode}' is not one of "
                                               f"{', '.join(HISTOGRAM_MODES)}")
    s = style[..., :3].reshape(-1, 3).astype(np.float64)
    c = content[..., :3].reshape(-1, 3).astype(np.float64)
    mu_s, mu_c = s.mean(0), c.mean(0)
    cov_s = np.cov(s, rowvar=False, bias=True) + eps * np.eye(3)
    cov_c = np.cov(c, rowvar=False, bias=True) + eps * np.eye(3)
    if mode == "chol":
        a = np.linalg.cholesky(cov_c) @ np.linalg.inv(np.linalg.cholesky(cov_s))
    elif mode == "pca":
        a = _sqrt_psd(cov_c) @ _sqrt_psd(cov_s, inverse=True)
    else:
        s_half, s_inv_half = _sqrt_psd(cov_s), _sqrt_psd(cov_s, inverse=True)
        a = s_inv_half @ _sqrt_psd(s_half @ cov_c @ s_half) @ s_inv_half
    out = ((s - mu_s) @ a.T + mu_c).reshape(style.shape[:-1] + (3,))
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(np.float32)
