"""Resizing, cropping and placing images (coordinates are (row, col))."""
from __future__ import annotations

from typing import Annotated

import numpy as np

from ..checks import check_image, check_mask, mask_alpha
from .compose import blend_over
from ..errors import ParameterError
from ..limits import COORD_MAX, RESIZE_SCALE, SIDE_MAX
from ..values import Shape
from ..memory import check_fits
from ..operators import Image, Mask, Range, Value, operator
from .placement import Placement, check_shown_lands, resolve_placement
from .resample import resample

Size = Annotated[tuple[int, int], Range(1, SIDE_MAX)]


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
        return int(size[0]), int(size[1])
    factor = float(scale) if scale is not None else longest / max(rows, cols)
    return max(1, round(rows * factor)), max(1, round(cols * factor))


def check_resize(params) -> None:
    """Validation's check of ``resize``: exactly one of size, scale and longest."""
    target_size((1, 1), params.get("size"), params.get("scale"), params.get("longest"))


@operator(check=check_resize, output_probe="imgfusion.layout.geometry:probe_output")
def resize(image: Value, *, size: Size | None = None,
           scale: Annotated[float, Range(RESIZE_SCALE[0], RESIZE_SCALE[1])] | None = None,
           longest: Annotated[int, Range(1, SIDE_MAX)] | None = None) -> Image:
    """Resize (anti-aliased) to a size, by a scale, or to a longest side.

    Exactly one of ``size``, ``scale`` and ``longest`` is given.  The result is
    float32 (bool for a bool mask: resized as alpha, then thresholded at 0.5),
    bilinear, with a Gaussian pre-filter when shrinking
    (``skimage.transform.resize(anti_aliasing=True)``); an RGBA image's colour is
    weighted by its alpha, so transparent pixels do not darken the edges.

    Parameters
    ----------
    image : image or mask
    size : [rows, cols]
    scale : factor for both sides
    longest : new longest side in px
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
    shrinking = rows < image.shape[0] or cols < image.shape[1]
    out = resample(image.astype(np.float32), (rows, cols), shrinking)
    if image.dtype == bool:
        return out >= 0.5
    return np.clip(out, 0, 1).astype(np.float32)


def check_window(origin, size, shape: tuple[int, int]) -> None:
    """ParameterError (naming origin or size) unless the window lies inside ``shape``."""
    (r0, c0), (h, w), (rows, cols) = ((int(a), int(b)) for a, b in (origin, size, shape))
    if r0 >= rows or c0 >= cols:
        raise ParameterError("origin", f"({r0}, {c0}) is outside the {rows} x {cols} image")
    if r0 + h > rows or c0 + w > cols:
        raise ParameterError("size", f"rows {r0}..{r0 + h - 1} x cols {c0}..{c0 + w - 1} reach "
                                     f"outside the {rows} x {cols} image")


def crop_shape(params, inputs) -> Shape | None:
    """``crop``'s output_probe and shape_check: the window's size, once the window is
    known to lie inside the input's known size (ParameterError otherwise)."""
    known = inputs.get("image")
    if known is not None and known.size is not None:
        check_window(params["origin"], params["size"], known.size)
    return Shape(tuple(int(v) for v in params["size"]))


@operator(output_probe="imgfusion.layout.geometry:crop_shape",
          shape_check="imgfusion.layout.geometry:crop_shape")
def crop(image: Value, *, origin: Annotated[tuple[int, int], Range(0, COORD_MAX)],
         size: Annotated[tuple[int, int], Range(1, COORD_MAX)]) -> Image:
    """Cut out a window given by origin [row, col] and size [rows, cols].

    The window must lie inside the image (ParameterError otherwise).  Works on
    images and masks; returns a copy.

    Parameters
    ----------
    image : image or mask
    origin : [row, col] of the top-left corner
    size : [rows, cols] of the window
    """
    _check_array(image)
    check_window(origin, size, image.shape[:2])
    (r0, c0), (h, w) = (int(v) for v in origin), (int(v) for v in size)
    return image[r0:r0 + h, c0:c0 + w].copy()


@operator
def repeat(image: Value, *,
           grid: Annotated[tuple[int, int], Range(1, 256)] = (2, 2)) -> Image:
    """Lay copies of an image side by side in a grid, to preview tiling.

    Works on images and masks; the result is ``rows * H`` x ``cols * W``.

    Parameters
    ----------
    image : image or mask
    grid : [rows, cols] of copies
    """
    _check_array(image)
    r, c = (int(v) for v in grid)
    reps = (r, c) + (1,) * (image.ndim - 2)
    return np.tile(image, reps)


@operator(same_size=("image", "mask"), size_of="onto",
          shape_check="imgfusion.layout.placement:image_lands")
def place(image: Image, onto: Image, mask: Mask | None = None, *,
          offset: Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX)] = (0, 0),
          placement: Placement = Placement()) -> Image:
    """Paste an image onto another at [row, col], clipped at the borders.

    The part of ``image`` outside ``onto`` is clipped off; entirely outside is an
    error.  Blended by the rules of :mod:`imgfusion.layout.compose`; pixels not
    covered keep ``onto``'s exact values.

    Parameters
    ----------
    image : what is pasted (its alpha, if any, is used)
    onto : the background; the result has its size
    mask : alpha in the pasted image's coordinates
    offset : [row, col] of the pasted image's top-left corner; may be negative; with ``at``, a nudge
    placement : by anchor: which point of the image (or its mask) lands where, optionally rescaled
    """
    check_image(image)
    check_image(onto, "onto")
    placed = resolve_placement(placement, image, mask, onto.shape[:2], offset, by_alpha=True)
    check_shown_lands(placement, placed, onto.shape[:2])
    image, weight, (r0, c0) = placed
    h, w = image.shape[:2]
    rows, cols = onto.shape[:2]
    top, left = max(r0, 0), max(c0, 0)
    bottom, right = min(r0 + h, rows), min(c0 + w, cols)
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
