"""Size rules of the gradient operators, checked at run time and, through the
``shape_check`` trait, at validation where the image's size is known (exit 2 before
anything runs)."""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import ParameterError


def check_anchor(anchor, hw: tuple[int, int]) -> None:
    """gradient_reconstruct's anchor pixel lies in the image."""
    (r, c), (h, w) = anchor, hw
    if not (r < h and c < w):
        raise ParameterError("anchor", f"({r}, {c}) lies outside the {h} x {w} image")


def check_interior(hw: tuple[int, int]) -> None:
    """seamless_tile re-solves the interior: the image has one."""
    h, w = hw
    if h < 3 or w < 3:
        raise ParameterError("image", f"needs at least 3 x 3 pixels to have an interior, "
                                      f"got {h} x {w}")


def _size(inputs: Mapping[str, Any]):
    shape = inputs.get("image")
    return None if shape is None else shape.size


def anchor_lands(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    """The shape check of gradient_reconstruct."""
    if _size(inputs) is not None:
        check_anchor(params.get("anchor", (0, 0)), _size(inputs))


def has_interior(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    """The shape check of seamless_tile."""
    if _size(inputs) is not None:
        check_interior(_size(inputs))
