"""Input checks shared by the gradient-domain operators.

Every check raises :class:`imgfusion.errors.ParameterError` naming the input or
parameter at fault, and every accepted array is copied to float64, so the
caller's arrays are never modified.
"""
from __future__ import annotations

import numpy as np

from ..checks import mask_alpha
from ..errors import ParameterError

LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as OpenCV's BGR2GRAY


def as_image(name: str, image) -> np.ndarray:
    """Return ``image`` as a float64 H x W x C copy (C = 1, 3 or 4); 2-D is grey."""
    arr = np.asarray(image)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                 or np.issubdtype(arr.dtype, np.integer)):
        raise ParameterError(name, f"expected a float image in [0, 1], got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        raise ParameterError(name, f"expected a float image in [0, 1], got integer dtype "
                                   f"{arr.dtype}; divide by 255 (or the type's maximum) first")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ParameterError(name, f"expected H x W x C with C = 1, 3 or 4, got shape {arr.shape}")
    if min(arr.shape[:2]) < 1:
        raise ParameterError(name, f"is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise ParameterError(name, "contains NaN or infinite values")
    return arr.astype(np.float64)  # always a copy


def as_mask(name: str, mask, shape: tuple[int, int], against: str) -> np.ndarray:
    """Return ``mask`` as float64 alpha in [0, 1] of ``shape`` (bool gives 0/1)."""
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ParameterError(name, f"expected an H x W mask, got shape {arr.shape}")
    if arr.shape != tuple(shape):
        raise ParameterError(name, f"has size {arr.shape}, but {against} is {tuple(shape)}; "
                                   "they must match")
    alpha = mask_alpha(arr, name).astype(np.float64)
    if not (alpha > 0).any():
        raise ParameterError(name, "is empty: no pixel is selected")
    return alpha


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Split an H x W x 4 image into colour and alpha; other images have no alpha."""
    if image.shape[2] == 4:
        return image[:, :, :3], image[:, :, 3:]
    return image, None


def join_alpha(colour: np.ndarray, alpha: np.ndarray | None, ndim: int) -> np.ndarray:
    """Clip to [0, 1], put the alpha back, return float32 with the caller's ndim."""
    out = np.clip(colour, 0.0, 1.0)
    if alpha is not None:
        out = np.concatenate([out, alpha], axis=2)
    out = out.astype(np.float32)
    return out[:, :, 0] if ndim == 2 else out


def match_channels(source: np.ndarray, target_channels: int) -> np.ndarray:
    """Bring the colour channels of ``source`` to ``target_channels``.

    A grey source on a colour target is replicated (nothing is lost); a colour
    source on a grey target is refused, because converting it would silently
    discard its colour: convert it yourself or use ``monochrome_transfer``.
    """
    cs = source.shape[2]
    if cs == target_channels:
        return source
    if cs == 1:
        return np.repeat(source, target_channels, axis=2)
    raise ParameterError("source", f"has {cs} colour channels but the target has "
                                   f"{target_channels}; convert the source to grey first, "
                                   "or use monochrome_transfer")


def luminance(colour: np.ndarray) -> np.ndarray:
    """H x W x 1 luminance of an H x W x C colour image (grey is returned as is)."""
    if colour.shape[2] == 1:
        return colour
    return (colour @ LUMA)[:, :, None]


def pair(name: str, value, *, integer: bool = True) -> tuple:
    """Check a (row, col) pair."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ParameterError(name, f"expected (row, col), got {value!r}") from None
    if integer and not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                           for v in (a, b)):
        raise ParameterError(name, f"expected two integers (row, col), got {value!r}")
    return int(a), int(b)
