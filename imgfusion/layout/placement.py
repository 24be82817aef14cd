"""Placement by anchor: where a cutout lands in the target, declared once.

Every blending and compositing operator takes a :class:`Placement` beside its
own ``offset``.  Without ``at`` it is the old rule: ``offset`` = (row, col) is
where the source's top-left pixel lands.  With ``at`` a named point of the object
(its ``anchor``) lands on the target point ``at``, and ``offset`` nudges it by
whole pixels.

Coordinates are pixel indices (row, col): a point (r, c) is the centre of pixel
(r, c).  Fractions of the target's size name continuous positions, so
``at: [0.5, 0.5]`` with ``units: fraction`` is the target's centre for odd and
even sizes alike: pixel ``0.5 * rows - 0.5``.

The geometry is :func:`resolve_placement`: it rescales the source and its mask
when ``scale`` or ``fit`` asks for it and returns the integer offset of the
(rescaled) source's top-left pixel.  Landing partly or wholly outside the target
is allowed here; each operator decides what it clips or refuses.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, NamedTuple

import numpy as np

from ..checks import bounding_box, check_mask
from ..errors import ParameterError
from ..limits import COORD_MAX, RESIZE_SCALE
from ..memory import check_fits
from ..operators import Range, options

Anchor = Literal["mask_center", "bbox_center", "top_left", "top_right",
                 "bottom_left", "bottom_right"]
Units = Literal["px", "fraction"]


@options
class Placement:
    """Where the source (and its mask) lands in the target.

    Parameters
    ----------
    at : (row, col) point of the target where the object's anchor lands, in ``units``; not given: the operator's ``offset`` places the source's top-left corner (``composite``: the images have one size)
    anchor : the point of the object put at ``at``: mask_center (the mask's centre of mass), bbox_center (its bounding box's centre) or a corner of the bounding box (top_left, top_right, bottom_left, bottom_right)
    units : px (pixels) or fraction (of the target's height and width) for ``at`` and ``fit``
    scale : factor applied to the source and its mask before placing
    fit : (rows, cols) box, in ``units``, that the object's bounding box is scaled to fit into, keeping its aspect ratio; replaces ``scale``
    """

    at: Annotated[tuple[float, float] | None, Range(-COORD_MAX, COORD_MAX)] = None
    anchor: Anchor = "mask_center"
    units: Units = "px"
    scale: Annotated[float, Range(RESIZE_SCALE[0], RESIZE_SCALE[1])] = 1.0
    fit: Annotated[tuple[float, float] | None, Range(1e-6, COORD_MAX)] = None

    @staticmethod
    def check_fields(params) -> None:
        """Recipe validation: the fields that must agree, and those that do nothing without
        another (ParameterError otherwise; a Python call takes each alone, unrefused)."""
        if params.get("fit") is not None and params.get("scale", 1.0) != 1.0:
            raise ParameterError("fit", "give scale or fit, not both")
        if params.get("at") is not None:
            return
        if params.get("anchor", "mask_center") != "mask_center":
            raise ParameterError("anchor", "anchor names the point of the object put at 'at', "
                                           "and no 'at' is given (offset places the source's "
                                           "top-left corner); give at, or drop anchor")
        if params.get("units", "px") != "px" and params.get("fit") is None:
            raise ParameterError("units", "units are those of 'at' and 'fit', and neither is "
                                          "given (offset is always in px); give at, or drop "
                                          "units")


class Placed(NamedTuple):
    """A resolved placement: the (rescaled) source and mask, and the integer offset."""

    source: np.ndarray
    mask: np.ndarray
    offset: tuple[int, int]


def anchor_point(alpha: np.ndarray, anchor: str, edges: bool = False) -> tuple[float, float]:
    """(row, col) of the named ``anchor`` of the mask ``alpha`` (pixel indices).  A corner
    is its pixel's centre, or with ``edges`` (fraction units, continuous positions) the
    box's corner itself, half a pixel further out: ``at: [1, 1]`` with ``bottom_right``
    then puts the box flush with the target's corner, as ``[0, 0]`` with ``top_left``."""
    top, left, bottom, right = bounding_box(alpha)
    if edges and anchor not in ("mask_center", "bbox_center"):
        top, left, bottom, right = top - 0.5, left - 0.5, bottom + 0.5, right + 0.5
    if anchor == "mask_center":
        weights = np.clip(alpha, 0, 1).astype(np.float64)
        rows, cols = np.indices(alpha.shape)
        return (float((weights * rows).sum() / weights.sum()),
                float((weights * cols).sum() / weights.sum()))
    corners = {"top_left": (top, left), "top_right": (top, right - 1),
               "bottom_left": (bottom - 1, left), "bottom_right": (bottom - 1, right - 1),
               "bbox_center": ((top + bottom - 1) / 2, (left + right - 1) / 2)}
    return tuple(float(v) for v in corners[anchor])


def target_point(placement: Placement, target_hw: tuple[int, int]) -> tuple[float, float]:
    """``placement.at`` in target pixel indices."""
    if placement.units == "px":
        return float(placement.at[0]), float(placement.at[1])
    return tuple(float(f) * n - 0.5 for f, n in zip(placement.at, target_hw))


def fit_factor(placement: Placement, alpha: np.ndarray, target_hw) -> float:
    """The rescaling factor asked for by ``scale`` or ``fit``."""
    if placement.fit is None:
        return float(placement.scale)
    if placement.scale != 1.0:
        raise ParameterError("fit", "give scale or fit, not both")
    box = placement.fit if placement.units == "px" else [
        f * n for f, n in zip(placement.fit, target_hw)]
    top, left, bottom, right = bounding_box(alpha)
    return min(box[0] / (bottom - top), box[1] / (right - left))


VISIBLE = 1 / 255   # the alpha that shows in an 8-bit picture


def _fitted(placement: Placement, source, alpha, target_hw, thing):
    """``source`` and ``alpha`` rescaled as ``scale`` or ``fit`` ask; for ``fit``, what
    shows (``thing``, at 1/255 or more) lies within the box, its resampled soft rim
    included (the factor from the sharp box alone overshot by 1-2 px: shrunk until it
    fits, a few tries)."""
    factor = fit_factor(placement, thing(source, alpha), target_hw)
    out = rescaled(source, alpha, factor)
    for _ in range(4 if placement.fit is not None else 0):
        shows = (thing(*out) >= VISIBLE).astype(np.float32)
        over = fit_factor(placement, shows, target_hw)   # < 1: the rim spills over
        if over >= 1:
            break
        factor *= over * (1 - 1e-9)
        out = rescaled(source, alpha, factor)
    return out


def rescaled(source: np.ndarray, alpha: np.ndarray, factor: float):
    """``source`` and ``alpha`` resized by ``factor`` (untouched when it is 1): bilinear,
    anti-aliased when shrinking, as the ``resize`` operator (an RGBA source's colour
    weighted by its alpha: :mod:`imgfusion.layout.resample`)."""
    if factor == 1.0:
        return source, alpha
    from .resample import resample

    size = tuple(max(1, round(n * factor)) for n in source.shape[:2])
    check_fits(4 * (source.size + alpha.size) * 4 + 16 * size[0] * size[1] * 5, "scale",
               f"rescaling the source to {size[0]} x {size[1]}")
    shrinking = factor < 1
    out = [np.clip(resample(a.astype(np.float32), size, shrinking), 0, 1)
           for a in (source, alpha)]
    return out[0].astype(np.float32), out[1].astype(np.float32)


def round_half_up(value: float) -> int:
    """Nearest integer, halves upwards (not to even), so a shift by one moves by one."""
    return int(math.floor(value + 0.5))


def resolve_placement(placement: Placement, source: np.ndarray, mask: np.ndarray | None,
                      target_hw: tuple[int, int], offset=(0, 0), *, nonempty: bool = False,
                      against: str = "the source", by_alpha: bool = False) -> Placed:
    """Rescale ``source`` and ``mask`` as ``placement`` asks and find the integer offset.

    ``mask`` (in the source's frame; None: the whole source) gives the object whose
    anchor is placed.  ``offset`` is the operator's own: the top-left corner without
    ``at``, a nudge with it.  The mask is checked here, once (``nonempty``: an empty one
    is refused; ``against`` names the size it must have).  The returned mask is float32
    alpha of the returned source's size.  ``by_alpha``: the operator pastes with an RGBA
    source's own alpha too, so that alpha shapes the object (:func:`shown`).
    """
    hw = source.shape[:2]
    alpha = np.ones(hw, np.float32) if mask is None else check_mask(
        mask, hw, "mask", against, nonempty=nonempty)
    if placement.at is None and placement.scale == 1.0 and placement.fit is None:
        return Placed(source, alpha, (int(offset[0]), int(offset[1])))
    def thing(src, a):
        return shown(src, a) if by_alpha else a
    source, alpha = _fitted(placement, source, alpha, target_hw, thing)
    if placement.at is None:
        return Placed(source, alpha, (int(offset[0]), int(offset[1])))
    point = anchor_point(thing(source, alpha), placement.anchor, placement.units == "fraction")
    goal = target_point(placement, target_hw)
    return Placed(source, alpha, tuple(round_half_up(g - p) + int(n)
                                       for g, p, n in zip(goal, point, offset)))


def shown(source: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """What of ``source`` shows through ``alpha``: for an RGBA source its own alpha too
    (a cutout file's object, not its whole frame, is what ``fit`` sizes and ``anchor``
    places), unless nothing of it would show."""
    if source.ndim != 3 or source.shape[2] != 4:
        return alpha
    both = alpha * source[..., 3]
    return both if (both > 0).any() else alpha


def at_range(placement: Placement, alpha: np.ndarray, offsets, nudge, target_hw) -> str:
    """The ``at`` values (in ``placement``'s units, its anchor on the rescaled ``alpha``)
    that put the source's top-left corner at the integer offsets from ``offsets[0]`` to
    ``offsets[1]``, as text; ``nudge`` is the operator's own ``offset``."""
    point = anchor_point(alpha, placement.anchor, placement.units == "fraction")
    ends = [[o + p - n for o, p, n in zip(off, point, nudge)] for off in offsets]
    if placement.units == "fraction":
        ends = [[(v + 0.5) / n for v, n in zip(end, target_hw)] for end in ends]
    digits = 3 if placement.units == "fraction" else 1
    lo, hi = ([round(v, digits) for v in end] for end in ends)
    return f"at from ({lo[0]}, {lo[1]}) to ({hi[0]}, {hi[1]}) ({placement.units})"


def check_lands(placement: Placement, hw: tuple[int, int], offset: tuple[int, int],
                target_hw: tuple[int, int], box: tuple[int, int, int, int] | None = None,
                nudge: bool = True) -> None:
    """ParameterError, naming ``at`` when it was given (else ``offset``, or, for an
    operator without one, ``nudge`` False, ``fit`` or ``scale``), when an ``hw`` layer
    whose top-left pixel is at ``offset`` lies entirely outside the target; with ``box``
    (top, left, bottom, right in the layer), when that part of it does."""
    top, left, bottom, right = box if box is not None else (0, 0, *hw)
    (r, c), (rows, cols) = offset, target_hw
    if r + top < rows and c + left < cols and r + bottom > 0 and c + right > 0:
        return
    where = f"{tuple(placement.at)} ({placement.units})" if placement.at is not None \
        else f"({r}, {c})"
    what = f"the {hw[0]} x {hw[1]} image" if (top, left, bottom, right) == (0, 0, *hw) \
        else f"what shows of the {hw[0]} x {hw[1]} image"
    field = "at" if placement.at is not None else "offset" if nudge else \
        "fit" if placement.fit is not None else "scale"
    raise ParameterError(field, f"{where} puts {what} entirely outside the {rows} x {cols} "
                                "image it is placed onto")


def check_shown_lands(placement: Placement, placed: Placed, target_hw,
                      nudge: bool = True) -> None:
    """:func:`check_lands` for what shows of a placed RGBA-aware paste (its alpha too)."""
    object_alpha = shown(placed.source, placed.mask)
    box = bounding_box(object_alpha) if (object_alpha > 0).any() else None
    check_lands(placement, placed.source.shape[:2], placed.offset, target_hw, box, nudge)


def unplaced(params) -> bool:
    """A step's fields name no placement (no at, scale or fit): the source keeps its size
    and its top-left corner goes where ``offset`` says (composite: the images align)."""
    return params.get("at") is None and params.get("fit") is None \
        and params.get("scale", 1.0) == 1.0


def offset_lands(names: tuple[str, str], params, inputs) -> None:
    """Validation's check for a placement by ``offset`` alone, where the sizes of the
    inputs ``names`` (what is placed, where) are known: it lands at least partly inside."""
    if not unplaced(params):
        return
    hw, target = (getattr(inputs.get(n), "size", None) for n in names)
    if hw is not None and target is not None:
        check_lands(Placement(), hw, tuple(int(v) for v in params.get("offset", (0, 0))),
                    target)


def source_lands(params, inputs) -> None:
    """The blends' ``shape_check``: :func:`offset_lands` of source onto target."""
    offset_lands(("source", "target"), params, inputs)


def image_lands(params, inputs) -> None:
    """``place``'s ``shape_check``: :func:`offset_lands` of image onto onto."""
    offset_lands(("image", "onto"), params, inputs)


def landed(layer: np.ndarray, offset: tuple[int, int], target_hw: tuple[int, int]):
    """``layer`` (H x W or H x W x C) placed at ``offset`` on a zero canvas of ``target_hw``."""
    canvas = np.zeros(tuple(target_hw) + layer.shape[2:], np.float32)
    (h, w), (r, c) = layer.shape[:2], offset
    top, left = max(r, 0), max(c, 0)
    bottom, right = min(r + h, target_hw[0]), min(c + w, target_hw[1])
    if top < bottom and left < right:
        canvas[top:bottom, left:right] = layer[top - r:bottom - r, left - c:right - c]
    return canvas
