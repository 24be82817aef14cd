"""Masks drawn from a shape: ellipses and rectangles, hard or feathered."""
from __future__ import annotations

import numpy as np

from ..checks import check_feather
from ..errors import ParameterError
from ..values import Shape
from ..memory import check_fits


def _pair(value, field: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ParameterError(field, f"expected two numbers, got {value!r}") from None
    return a, b


def _mask_size(like, size) -> tuple[int, int]:
    if size is not None:
        rows, cols = (int(v) for v in size)
        if rows < 1 or cols < 1:
            raise ParameterError("size", f"expected [rows, cols] of at least 1, got {size!r}")
        return rows, cols
    if like is None:
        raise ParameterError("size", "give the mask's size [rows, cols], or an image as 'like'")
    if not hasattr(like, "shape") or len(like.shape) not in (2, 3) or min(like.shape[:2]) < 1:
        raise ParameterError("like", f"expected an image or a mask, got {type(like).__name__}")
    return int(like.shape[0]), int(like.shape[1])


def shape_mask(like: np.ndarray | None = None, *, size: tuple[int, int] | None = None,
               shape: str = "ellipse", center: tuple[float, float] = (0.5, 0.5),
               extent: tuple[float, float] = (0.6, 0.6), feather: float = 0.0) -> np.ndarray:
    """Draw an ellipse or rectangle as a mask.

    Parameters
    ----------
    like : (H, W[, C]) ndarray, optional
        An image or mask whose size the mask takes (when ``size`` is not given).
    size : (rows, cols), optional
        The mask's size; takes precedence over ``like``.
    shape : {"ellipse", "rectangle"}
    center : (row, col)
        The shape's centre as fractions of the mask's height and width
        ((0.5, 0.5) is the middle; values outside [0, 1] are allowed).
    extent : (height, width)
        The shape's full height and width as fractions of the mask's.
    feather : float
        Width in pixels of a soft edge inside the shape: the alpha rises
        linearly from 0 at the outline to 1 at ``feather`` px inside
        (Euclidean distance to the nearest outside pixel).  0 gives a hard mask.

    Returns
    -------
    (H, W) ndarray
        bool when ``feather`` is 0, else float32 alpha in [0, 1].
    """
    rows, cols = _mask_size(like, size)
    if shape not in ("ellipse", "rectangle"):
        raise ParameterError("shape", f"{shape!r} is not one of 'ellipse', 'rectangle'")
    cy, cx = _pair(center, "center")
    ey, ex = _pair(extent, "extent")
    if ey <= 0 or ex <= 0:
        raise ParameterError("extent", f"height and width must be above 0, got {extent!r}")
    check_feather(feather)
    # the float64 distance and its bool test; feathered: the distance transform's
    # int32 (row, col) feature transform, its float64 output and the float32 alpha
    check_fits(rows * cols * (30 if feather else 10) + 8 * (rows + cols),
               "size" if size is not None else "like", f"a {rows} x {cols} mask")
    # pixel centres sit at index + 0.5 in continuous coordinates
    y = (np.arange(rows, dtype=np.float64) + 0.5 - cy * rows) / (ey * rows / 2)
    x = (np.arange(cols, dtype=np.float64) + 0.5 - cx * cols) / (ex * cols / 2)
    if shape == "ellipse":
        inside = y[:, None] ** 2 + x[None, :] ** 2 <= 1
    else:
        # half-open [start, end): an extent of k pixels covers exactly k pixels
        inside = ((y >= -1) & (y < 1))[:, None] & ((x >= -1) & (x < 1))[None, :]
    if not inside.any():
        raise ParameterError("extent", f"the {shape} covers no pixel of the {rows} x {cols} "
                                       "mask; make it larger or move its center inside")
    if feather == 0:
        return inside
    from scipy.ndimage import distance_transform_edt

    depth = distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
    return np.clip(depth / feather, 0, 1).astype(np.float32)


def probe_output(params, inputs) -> Shape | None:
    """The ``output_probe`` of ``shape_mask``: ``size``, else the size of ``like``."""
    if params.get("size") is not None:
        return Shape(_mask_size(None, params["size"]))
    like = inputs.get("like")
    return None if like is None or like.size is None else Shape(like.size)
