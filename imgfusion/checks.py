"""Channel rules shared by the I/O and compositing operators.

An image is a float32 array H x W x C in [0, 1] with C = 1 (grey), 3 (RGB) or
4 (RGBA, straight, i.e. not premultiplied, alpha); a mask is H x W, bool or
float alpha in [0, 1].  Grey plus alpha has no layout of its own: it is RGBA
with R = G = B.
"""
from __future__ import annotations

import numpy as np

from .errors import ParameterError

# ITU-R BT.709 luma weights, as skimage.color.rgb2gray uses.
LUMA = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)


def check_image(image, field: str = "image") -> np.ndarray:
    """Return ``image`` as an H x W x C array (C = 1, 3, 4) or raise ParameterError."""
    if not isinstance(image, np.ndarray):
        raise ParameterError(field, f"expected an image array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ParameterError(
            field, f"expected an H x W x C image with C = 1, 3 or 4, got shape {image.shape}")
    if min(image.shape[:2]) == 0:
        raise ParameterError(field, f"the image has no pixels (shape {image.shape})")
    return image


def check_mask(mask, shape: tuple[int, int], field: str = "mask") -> np.ndarray:
    """Return ``mask`` as float32 H x W alpha, checking its size against ``shape``."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        got = getattr(mask, "shape", type(mask).__name__)
        raise ParameterError(field, f"expected an H x W mask, got {got}")
    if mask.shape != tuple(shape):
        raise ParameterError(
            field, f"the mask is {mask.shape[0]} x {mask.shape[1]} but the image is "
                   f"{shape[0]} x {shape[1]} (rows x cols)")
    return mask_alpha(mask, field)


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


def luminance(image: np.ndarray) -> np.ndarray:
    """H x W luminance of an image's colour channels (its alpha is ignored)."""
    if image.shape[2] == 1:
        return image[..., 0].astype(np.float32)
    return (image[..., :3].astype(np.float32) @ LUMA).astype(np.float32)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (colour channels, alpha or None)."""
    if image.shape[2] == 4:
        return image[..., :3], image[..., 3]
    return image, None


def to_colour(colour: np.ndarray, channels: int) -> np.ndarray:
    """Convert colour channels (1 or 3) to 1 (by luminance) or 3 (by replication)."""
    have = colour.shape[2]
    if have == channels:
        return colour
    if channels == 1:
        return luminance(colour)[..., None]
    return np.repeat(colour, 3, axis=2)
