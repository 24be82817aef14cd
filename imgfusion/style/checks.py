"""Input checks of the style operators: images, weights, sizes and memory, each naming its field."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import ParameterError
from .layers import INDEX, LAYERS, min_input_size

INIT_MODES = ("content", "style", "noise", "white", "image")
COLOR_CONTROLS = ("none", "luminance", "histogram")


def as_rgb(image, field: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(H x W x 3 float32 copy in [0, 1], alpha or None) from an H x W x C image, C = 1, 3, 4."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
        raise ParameterError(field, f"expected an H x W x C image with C = 1, 3 or 4, "
                                    f"got shape {np.shape(image)}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ParameterError(field, f"expected a float image in [0, 1], got dtype {a.dtype}")
    if not np.isfinite(a).all():
        raise ParameterError(field, "the image holds NaN or infinite pixels")
    a = np.clip(a.astype(np.float32), 0.0, 1.0)
    alpha = a[..., 3].copy() if a.shape[-1] == 4 else None
    rgb = np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a[..., :3].copy()
    return rgb, alpha


def style_list(style) -> list:
    if style is None:
        return []
    if isinstance(style, np.ndarray) or (hasattr(style, "shape") and hasattr(style, "dtype")):
        return [style]
    return list(style)


def blend_weights(weights: Sequence[float] | None, n: int) -> list[float]:
    """Blend weights normalised to sum to 1 (equal when None)."""
    if weights is None:
        return [1.0 / n] * n if n else []
    w = [float(v) for v in weights]
    if len(w) != n:
        raise ParameterError("style_blend_weights", f"{len(w)} weight(s) for {n} style "
                                                    f"image(s); give one weight per style")
    if any(not (v >= 0) for v in w):
        raise ParameterError("style_blend_weights", f"weights must be >= 0, got {w}")
    if sum(w) <= 0:
        raise ParameterError("style_blend_weights", "the weights sum to 0")
    return [v / sum(w) for v in w]


def non_negative(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise ParameterError(name, f"must be a finite number >= 0, got {v!r}")


def choice(field: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ParameterError(field, f"'{value}' is not one of {', '.join(choices)}")
    return value


def fits_layers(hw: tuple[int, int], layers, field: str, what: str) -> None:
    need = min_input_size(layers)
    if min(hw) < need:
        deepest = max(layers, key=lambda n: INDEX[n])
        raise ParameterError(field, f"the {what} would be {hw[0]} x {hw[1]} px, too small for "
                                    f"layer {deepest}: it needs at least {need} px on each side")


def estimate_bytes(hw: tuple[int, int], deepest: int, optimizer: str,
                   lbfgs_history: int = 100) -> int:
    """Rough peak memory of one optimisation at ``hw``: activations kept for the
    backward pass and their gradients, L-BFGS history, weights."""
    h, w = hw
    acts = weights = 0
    for _, kind, cin, cout in LAYERS[:deepest + 1]:
        if kind == "pool":
            h, w = h // 2, w // 2
        if kind != "relu":  # in-place ReLUs share their convolution's storage
            acts += cout * h * w
        if kind == "conv":
            weights += cout * cin * 9 + cout
    image = 3 * hw[0] * hw[1]
    history = 2 * lbfgs_history * image if optimizer == "lbfgs" else 2 * image
    return 4 * (2 * acts + history + 4 * image + weights)


def fits_memory(required: int, available: int | None, device, field: str = "size") -> None:
    if available is not None and required > 0.9 * available:
        gib = 2 ** 30
        raise ParameterError(field, f"this size needs about {required / gib:.1f} GiB on "
                                    f"{device}, which has {available / gib:.1f} GiB free; "
                                    f"choose a smaller size, optimizer: adam, or a pyramid")
