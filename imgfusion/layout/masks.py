"""Masks drawn from a shape: ellipses and rectangles, hard or feathered."""
from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from ..errors import ParameterError
from ..limits import FEATHER_MAX, SIDE_MAX
from ..values import Shape
from ..memory import check_fits
from ..operators import Mask, Range, Value, operator
from .mask_ops import inner_ramp

MARGIN_MAX = 256   # px drawn beyond the image for a feather's outline

Fractions = Annotated[tuple[float, float], Range(-100, 100)]


def _mask_size(like, size) -> tuple[int, int]:
    if size is not None:
        return int(size[0]), int(size[1])
    if like is None:
        raise ParameterError("size", "give the mask's size [rows, cols], or an image as 'like'")
    if not hasattr(like, "shape") or len(like.shape) not in (2, 3) or min(like.shape[:2]) < 1:
        raise ParameterError("like", f"expected an image or a mask, got {type(like).__name__}")
    return int(like.shape[0]), int(like.shape[1])


@operator(output_probe="imgfusion.layout.masks:probe_output",
          check="imgfusion.layout.masks:check_covers",
          shape_check="imgfusion.layout.masks:covers_like")
def shape_mask(like: Value | None = None, *,
               size: Annotated[tuple[int, int], Range(1, SIDE_MAX)] | None = None,
               shape: Literal["ellipse", "rectangle"] = "ellipse",
               center: Fractions = (0.5, 0.5),
               extent: Annotated[tuple[float, float], Range(1e-6, 100)] = (0.6, 0.6),
               feather: Annotated[float, Range(0, FEATHER_MAX)] = 0.0) -> Mask:
    """Draw an ellipse or rectangle mask, hard or feathered.

    The feathered edge lies inside the shape: the alpha rises linearly from 0 at
    the outline to 1 at ``feather`` px inside (Euclidean distance to the nearest
    outside pixel).  A shape that reaches past the image keeps its own outline there:
    the image border is no edge of it.  The mask is bool when ``feather`` is 0, else float32 alpha.

    Parameters
    ----------
    like : image whose size the mask takes (unless size is given)
    size : [rows, cols]; overrides like
    shape : the shape drawn
    center : [row, col] as fractions of the height and width
    extent : [height, width] as fractions of the mask's
    feather : soft edge width in px (0 = hard)
    """
    rows, cols = _mask_size(like, size)
    cy, cx = (float(v) for v in center)
    ey, ex = (float(v) for v in extent)
    # the float64 distance and its bool test; feathered: the distance transform's
    # int32 (row, col) feature transform, its float64 output and the float32 alpha
    m = _margin(feather)   # drawn beyond each side: the feather's grid is that much larger
    check_fits((rows + 2 * m) * (cols + 2 * m) * (30 if feather else 10) + 8 * (rows + cols),
               "size" if size is not None else "like", f"a {rows} x {cols} mask")
    inside = _shape_inside(shape, (rows, cols), (cy, cx), (ey, ex), m)
    if not inside[m:m + rows, m:m + cols].any():
        _covers_none(shape, (rows, cols))
    if feather == 0:
        return inside
    return inner_ramp(inside, feather)[m:m + rows, m:m + cols]


def _margin(feather: float) -> int:
    """Pixels drawn beyond each side so that the feather sees the shape's own outline
    there, not the image border (up to :data:`MARGIN_MAX`: beyond, the shape is taken to
    go on)."""
    return min(int(np.ceil(feather)), MARGIN_MAX)


def _axes(hw: tuple[int, int], center, extent, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows' and columns' coordinates in the shape's frame (-1 .. 1 across it), on the
    mask grid grown by ``margin`` px on every side."""
    (rows, cols), (cy, cx), (ey, ex) = hw, center, extent
    # pixel centres sit at index + 0.5 in continuous coordinates
    y = (np.arange(-margin, rows + margin, dtype=np.float64) + 0.5 - cy * rows) / (ey * rows / 2)
    x = (np.arange(-margin, cols + margin, dtype=np.float64) + 0.5 - cx * cols) / (ex * cols / 2)
    return y, x


def _shape_inside(shape: str, hw: tuple[int, int], center: tuple[float, float],
                  extent: tuple[float, float], margin: int) -> np.ndarray:
    """The shape's pixels on the mask grid grown by ``margin`` px on every side."""
    y, x = _axes(hw, center, extent, margin)
    if shape == "ellipse":
        return y[:, None] ** 2 + x[None, :] ** 2 <= 1
    # half-open [start, end): an extent of k pixels covers exactly k pixels
    return ((y >= -1) & (y < 1))[:, None] & ((x >= -1) & (x < 1))[None, :]


def check_covers(params) -> None:
    """Validation's check, where ``size`` is given: the shape covers a pixel (from the
    rows' and columns' coordinates alone, without drawing the mask)."""
    if params.get("size") is not None:
        _check_covers(params, tuple(int(v) for v in params["size"]))


def covers_like(params, inputs) -> None:
    """The ``shape_check``: without ``size``, the shape covers a pixel of ``like``'s size
    where validation knows it."""
    like = inputs.get("like")
    if params.get("size") is None and like is not None and like.size is not None:
        _check_covers(params, tuple(like.size))


def _check_covers(params, hw: tuple[int, int]) -> None:
    shape = params.get("shape", "ellipse")
    y, x = _axes(hw, params.get("center", (0.5, 0.5)), params.get("extent", (0.6, 0.6)), 0)
    if shape == "ellipse":
        covers = (y ** 2).min() + (x ** 2).min() <= 1
    else:
        covers = ((y >= -1) & (y < 1)).any() and ((x >= -1) & (x < 1)).any()
    if not covers:
        _covers_none(shape, hw)


def _covers_none(shape: str, hw: tuple[int, int]):
    raise ParameterError("extent", f"the {shape} covers no pixel of the {hw[0]} x {hw[1]} "
                                   "mask; make it larger or move its center inside")


def probe_output(params, inputs) -> Shape | None:
    """The ``output_probe`` of ``shape_mask``: ``size``, else the size of ``like``."""
    if params.get("size") is not None:
        return Shape(_mask_size(None, params["size"]))
    like = inputs.get("like")
    return None if like is None or like.size is None else Shape(like.size)
