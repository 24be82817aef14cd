"""The one set of input checks every family uses.

Every function takes the value first, then the name of the field an error names,
then its options; every refusal is a :class:`~imgfusion.errors.ParameterError`
naming that field.  The policies, one for all operators:

- **Image**: a float array H x W x C with C = 1 (grey), 3 (RGB) or 4 (RGBA, straight
  alpha); an H x W array is accepted where ``grey_2d`` says so and read as H x W x 1.
  Integer and bool dtypes, NaN and infinity, and empty images are refused.  Input
  values are not clipped on the way in; every operator clips its output to [0, 1].
  Grey plus alpha has no layout of its own: it is RGBA with R = G = B.
- **Mask**: H x W (an H x W x 1 array is read as H x W), bool or float alpha; values outside [0, 1] (an 8-bit
  0-255 mask, say), NaN and infinity are **refused, never clipped** (:func:`mask_alpha`).
- **Alpha**: always an H x W array (:func:`split_alpha`, :func:`join_alpha`).
- **Luma**: ITU-R BT.709 weights (0.2125, 0.7154, 0.0721), as
  ``skimage.color.rgb2gray`` and the ``to_gray`` operator use.  An algorithm defined on
  another standard names it: ``luminance(image, "bt601")`` (0.299, 0.587, 0.114, as
  OpenCV's BGR2GRAY) for the gradient-domain edits that follow OpenCV's seamlessClone,
  and the YIQ transform of the style family's luminance-only transfer.
- **Coordinates** are (row, col) = (y, x); sizes are (rows, cols).
"""
from __future__ import annotations

from pathlib import PurePath
from typing import Sequence

import numpy as np

from .errors import ParameterError

LUMA_STANDARDS = {
    "bt709": np.array([0.2125, 0.7154, 0.0721]),  # skimage.color.rgb2gray, to_gray
    "bt601": np.array([0.299, 0.587, 0.114]),     # OpenCV BGR2GRAY, YIQ
}
LUMA = LUMA_STANDARDS["bt709"].astype(np.float32)


def check_image(image, field: str = "image", *, grey_2d: bool = False) -> np.ndarray:
    """Return ``image`` as an H x W x C float array (C = 1, 3, 4), or raise ParameterError.

    With ``grey_2d`` an H x W array is accepted (as H x W x 1) and any array-like is
    converted; without it the value must already be an H x W x C ndarray.  The array
    is returned as it is (no copy) unless it had to be reshaped.
    """
    if isinstance(image, (str, bytes, PurePath)):
        raise ParameterError(field, f"expected an image array, got the path {str(image)!r}; "
                                    "read it first (imgfusion.io.read.read_image)")
    if grey_2d:
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[:, :, None]
    if not isinstance(image, np.ndarray):
        raise ParameterError(field, f"expected an image array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ParameterError(
            field, f"expected an H x W x C image with C = 1, 3 or 4, got shape {image.shape}")
    if min(image.shape[:2]) == 0:
        raise ParameterError(field, f"the image has no pixels (shape {image.shape})")
    if not np.issubdtype(image.dtype, np.floating):
        hint = ("; divide by 255 (or the type's maximum) first"
                if np.issubdtype(image.dtype, np.integer) else "")
        raise ParameterError(field, f"expected a float image in [0, 1], got dtype "
                                    f"{image.dtype}{hint}")
    if not np.isfinite(image).all():
        raise ParameterError(field, "the image contains NaN or infinite values")
    return image


def check_images(images, field: str = "images") -> list:
    """``images`` as a list (each one is checked where it is used); a single path or
    image where a list belongs is a ParameterError naming ``field``."""
    if isinstance(images, (str, bytes, PurePath)):
        check_image(images, field)
    if isinstance(images, np.ndarray) and images.ndim < 4:
        raise ParameterError(field, f"expected a list of images, got one array of shape "
                                    f"{images.shape}; wrap it in a list")
    return list(images)


def check_mask(mask, shape: tuple[int, int], field: str = "mask", against: str = "the image",
               *, nonempty: bool = False) -> np.ndarray:
    """float32 H x W alpha of ``mask``, checked against ``shape`` (the size of ``against``).

    An H x W x 1 mask is read as H x W; ``nonempty`` refuses a mask that selects nothing.
    """
    arr = np.asarray(mask) if mask is not None else mask
    if isinstance(arr, np.ndarray) and arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not isinstance(arr, np.ndarray) or arr.ndim != 2:
        got = getattr(mask, "shape", type(mask).__name__)
        raise ParameterError(field, f"expected an H x W mask, got {got}")
    if arr.shape != tuple(shape):
        raise ParameterError(
            field, f"the mask is {arr.shape[0]} x {arr.shape[1]} but {against} is "
                   f"{shape[0]} x {shape[1]} (rows x cols); they must match")
    alpha = mask_alpha(arr, field)
    if nonempty and not (alpha > 0).any():
        raise ParameterError(field, "the mask is empty: no pixel is selected")
    return alpha


def mask_alpha(mask, field: str = "mask", what: str = "the mask") -> np.ndarray:
    """float32 alpha of a bool or numeric mask, refused (never clipped) outside [0, 1].

    The one range policy of every mask input: NaN, infinite, or out-of-range values
    (such as an 8-bit 0-255 mask) are a ParameterError naming the field and the
    range found.
    """
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.number):
        raise ParameterError(field, f"expected a bool or float mask, got dtype {mask.dtype}")
    alpha = mask.astype(np.float32)
    if not np.all(np.isfinite(alpha)):
        raise ParameterError(field, f"{what} contains NaN or infinite values")
    if alpha.size and (alpha.min() < 0 or alpha.max() > 1):
        raise ParameterError(field, f"{what}'s values span [{alpha.min():g}, {alpha.max():g}]; "
                                    f"a float mask must lie in [0, 1] (divide by 255, or read "
                                    f"it with load_mask)")
    return alpha


def bounding_box(alpha: np.ndarray, field: str = "mask") -> tuple[int, int, int, int]:
    """(top, left, bottom, right), half-open, of the pixels where ``alpha > 0``."""
    rows = np.flatnonzero((alpha > 0).any(axis=1))
    cols = np.flatnonzero((alpha > 0).any(axis=0))
    if not rows.size:
        raise ParameterError(field, "the mask is empty: no pixel is selected")
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def check_feather(value: float, field: str = "feather") -> float:
    """A soft-edge width in px: a number of 0 or more."""
    if not value >= 0:
        raise ParameterError(field, f"must be 0 or more, got {value!r}")
    return value


def check_pair(value, field: str, *, integer: bool = True) -> tuple:
    """A (row, col) pair, of integers unless ``integer`` is False."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ParameterError(field, f"expected (row, col), got {value!r}") from None
    if integer and not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                           for v in (a, b)):
        raise ParameterError(field, f"expected two integers (row, col), got {value!r}")
    return (int(a), int(b)) if integer else (a, b)


def check_choice(value: str, field: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ParameterError(field, f"'{value}' is not one of {', '.join(map(str, choices))}")
    return value


def luminance(image: np.ndarray, standard: str = "bt709") -> np.ndarray:
    """H x W luminance of an image's colour channels (its alpha is ignored: a grey and
    alpha image's luminance is its grey).

    ``standard`` names the luma weights (:data:`LUMA_STANDARDS`); float64 images give
    float64, others float32.
    """
    dtype = np.float64 if image.dtype == np.float64 else np.float32
    if image.shape[2] <= 2:
        return image[..., 0].astype(dtype)
    weights = LUMA_STANDARDS[standard].astype(dtype)
    return (image[..., :3].astype(dtype) @ weights).astype(dtype)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour channels, H x W alpha or None)."""
    if image.shape[2] == 4:
        return image[..., :3], image[..., 3]
    return image, None


def join_alpha(colour: np.ndarray, alpha: np.ndarray | None, ndim: int = 3) -> np.ndarray:
    """Clip to [0, 1], put the H x W alpha back, return float32 with the caller's ndim."""
    out = np.clip(colour, 0.0, 1.0)
    if alpha is not None:
        out = np.concatenate([out, alpha[:, :, None]], axis=2)
    out = out.astype(np.float32, copy=False)  # clip made a new array already
    return out[:, :, 0] if ndim == 2 else out


def to_colour(colour: np.ndarray, channels: int) -> np.ndarray:
    """Convert colour channels (1 or 3) to 1 (by luminance) or 3 (by replication)."""
    have = colour.shape[2]
    if have == channels:
        return colour
    if channels == 1:
        return luminance(colour)[..., None]
    return np.repeat(colour, 3, axis=2)


def match_channels(source: np.ndarray, channels: int, field: str = "source") -> np.ndarray:
    """Bring ``source``'s colour channels to ``channels`` without losing colour.

    Grey on colour is replicated; a grey image stored as colour (channels equal within
    1/255, as the style operators return grey) goes onto grey as its one channel; colour
    on grey is refused, because converting it would silently discard its colour: convert
    it first, or use monochrome_transfer.
    """
    have = source.shape[2]
    if have == channels:
        return source
    if have == 1:
        return np.repeat(source, channels, axis=2)
    if channels == 1 and float(np.ptp(source[..., :3], axis=2).max(initial=0)) <= 1 / 255 + 1e-6:
        return source[..., :1]
    raise ParameterError(field, f"has {have} colour channels but the target has {channels}; "
                                "convert the source to grey first, or use monochrome_transfer")


def check_non_negative(**values: float) -> None:
    """Each keyword (its name is the field) is a finite number of 0 or more."""
    import math

    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise ParameterError(name, f"must be a finite number >= 0, got {v!r}")
