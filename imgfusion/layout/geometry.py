"""Resizing, cropping and placing images (coordinates are (row, col))."""
from __future__ import annotations

import numpy as np

from ..checks import check_image, check_mask, mask_alpha
from .compose import blend_over
from ..errors import ParameterError
from ..values import Shape
from ..memory import check_fits


def _check_array(image, field: str = "image") -> np.ndarray:
    if isinstance(image, np.ndarray) and image.ndim == 2 and image.size:
        return image
    return check_image(image, field)


def target_size(shape, size, scale, longest) -> tuple[int, int]:
    given = [n for n, v in (("size", size), ("scale", scale), ("longest", longest))
             if v is not None]
    if len(given) != 1:
        field = given[1] if len(given) > 1 else "size"
        raise ParameterError(field, "give exactly one of size, scale and longest"
                             + (f" (got {', '.join(given)})" if given else ""))
    rows, cols = shape[:2]
    if size is not None:
        if len(size) != 2 or min(size) < 1:
            raise ParameterError("size", f"expected [rows, cols] of at least 1, got {size!r}")
        return int(size[0]), int(size[1])
    if scale is not None:
        if not scale > 0:
            raise ParameterError("scale", f"must be above 0, got {scale!r}")
        factor = float(scale)
    else:
        if longest < 1:
            raise ParameterError("longest", f"must be at least 1, got {longest!r}")
        factor = longest / max(rows, cols)
    return max(1, round(rows * factor)), max(1, round(cols * factor))


def resize(image: np.ndarray, *, size: tuple[int, int] | None = None,
           scale: float | None = None, longest: int | None = None) -> np.ndarray:
    """Resize an image or mask, anti-aliased when shrinking.

    Parameters
    ----------
    image : (H, W, C) or (H, W) ndarray
        An image, or a mask (bool masks stay bool: resized as alpha, then
        thresholded at 0.5).
    size : (rows, cols), optional
        The new size.
    scale : float, optional
        Factor applied to both sides.
    longest : int, optional
        The new length of the longest side; the aspect ratio is kept.

    Exactly one of ``size``, ``scale`` and ``longest`` is given.

    Returns
    -------
    ndarray
        float32 (bool for a bool mask), bilinear, with a Gaussian pre-filter
        when shrinking (``skimage.transform.resize(anti_aliasing=True)``).
    """
    _check_array(image)
    if image.ndim == 2 and image.dtype != bool:
        mask_alpha(image, "image", "the mask")  # never clip a mask's range away
    rows, cols = target_size(image.shape, size, scale, longest)
    channels = image.shape[2] if image.ndim == 3 else 1
    # float32 copy of the input, float64 output and its float32 copy (+ the blur when shrinking)
    check_fits(4 * image.size * 2 + 12 * rows * cols * channels,
               next(n for n, v in (("size", size), ("scale", scale), ("longest", longest))
                    if v is not None), f"resizing to {rows} x {cols}")
    from skimage.transform import resize as sk_resize

    src = image.astype(np.float32)
    shrinking = rows < image.shape[0] or cols < image.shape[1]
    out = sk_resize(src, (rows, cols) + image.shape[2:], order=1, mode="edge",
                    anti_aliasing=shrinking, preserve_range=True)
    if image.dtype == bool:
        return out >= 0.5
    return np.clip(out, 0, 1).astype(np.float32)


def crop(image: np.ndarray, *, origin: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Cut out ``size`` = (rows, cols) starting at ``origin`` = (row, col).

    The window must lie inside the image (ParameterError otherwise).  Works on
    images and masks; returns a copy.
    """
    _check_array(image)
    r0, c0 = (int(v) for v in origin)
    h, w = (int(v) for v in size)
    rows, cols = image.shape[:2]
    if r0 < 0 or c0 < 0 or r0 >= rows or c0 >= cols:
        raise ParameterError("origin", f"({r0}, {c0}) is outside the {rows} x {cols} image")
    if h < 1 or w < 1:
        raise ParameterError("size", f"expected [rows, cols] of at least 1, got {size!r}")
    if r0 + h > rows or c0 + w > cols:
        raise ParameterError("size", f"rows {r0}..{r0 + h - 1} x cols {c0}..{c0 + w - 1} reach "
                                     f"outside the {rows} x {cols} image")
    return image[r0:r0 + h, c0:c0 + w].copy()


def repeat(image: np.ndarray, *, grid: tuple[int, int] = (2, 2)) -> np.ndarray:
    """Lay ``grid`` = (rows, cols) copies of an image side by side, to preview tiling.

    Works on images and masks; the result is ``rows * H`` x ``cols * W``.
    """
    _check_array(image)
    r, c = (int(v) for v in grid)
    if r < 1 or c < 1:
        raise ParameterError("grid", f"expected [rows, cols] of at least 1, got {grid!r}")
    reps = (r, c) + (1,) * (image.ndim - 2)
    return np.tile(image, reps)


def place(image: np.ndarray, onto: np.ndarray, *, offset: tuple[int, int] = (0, 0),
          mask: np.ndarray | None = None) -> np.ndarray:
    """Paste ``image`` onto ``onto`` with its top-left corner at ``offset`` = (row, col).

    Parameters
    ----------
    image : (h, w, C) float32 ndarray
        What is pasted; its alpha channel, if any, is used as weight.
    onto : (H, W, C) float32 ndarray
        The background; the result has its size.
    offset : (row, col)
        May be negative or reach past the borders: the part of ``image``
        outside ``onto`` is clipped off.  Entirely outside is an error.
    mask : (h, w) ndarray, optional
        Alpha in ``image``'s coordinates (bool or float in [0, 1]).

    Returns
    -------
    (H, W, C) float32 ndarray
        Blended by the rules of :mod:`imgfusion.layout.compose`; pixels not covered
        keep ``onto``'s exact values.
    """
    check_image(image)
    check_image(onto, "onto")
    h, w = image.shape[:2]
    weight = np.ones((h, w), np.float32) if mask is None else check_mask(mask, (h, w))
    r0, c0 = (int(v) for v in offset)
    rows, cols = onto.shape[:2]
    top, left = max(r0, 0), max(c0, 0)
    bottom, right = min(r0 + h, rows), min(c0 + w, cols)
    if top >= bottom or left >= right:
        raise ParameterError("offset", f"a {h} x {w} image at ({r0}, {c0}) lies entirely "
                                       f"outside the {rows} x {cols} image it is placed onto")
    src = (slice(top - r0, bottom - r0), slice(left - c0, right - c0))
    dst = (slice(top, bottom), slice(left, right))
    layer = np.zeros((rows, cols, image.shape[2]), np.float32)
    layer[dst] = image[src]
    full_weight = np.zeros((rows, cols), np.float32)
    full_weight[dst] = weight[src]
    return blend_over(layer, onto, full_weight)


def probe_output(params, inputs) -> Shape | None:
    """The ``output_probe`` of ``resize``: the size it makes of its input's known size."""
    known = inputs.get("image")
    if known is None or known.size is None:
        return None
    size = target_size(known.size, params.get("size"), params.get("scale"), params.get("longest"))
    return Shape(size)
