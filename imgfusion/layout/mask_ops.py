"""Mask algebra, named as GIMP names its channel operations.

Soft masks are alpha in [0, 1] and the operations are their fuzzy-set versions:
union = max, intersection = min, difference = min(a, 1 - b), invert = 1 - a;
grow and shrink take the maximum and minimum over a disc of the given radius
(for a hard mask: every pixel within that Euclidean distance of the mask, or of
its outside); fill holes, largest and feather work on the mask's solid part
(alpha >= 0.5) and keep the soft values elsewhere.  A bool mask in gives a bool
mask out except where the operation makes soft values (feather).
"""
from __future__ import annotations

from typing import Annotated

import numpy as np

from ..checks import check_mask
from ..limits import FEATHER_MAX
from ..operators import Mask, Range, operator

Pixels = Annotated[int, Range(0, FEATHER_MAX)]

def _alpha(mask, field: str = "mask") -> np.ndarray:
    arr = np.asarray(mask)
    return check_mask(arr, arr.shape[:2], field)


def _like(alpha: np.ndarray, hard: bool) -> np.ndarray:
    return alpha >= 0.5 if hard else alpha.astype(np.float32)


def _is_hard(alpha: np.ndarray) -> bool:
    return bool(np.isin(alpha, (0.0, 1.0)).all())


def _combined(a, b, how) -> np.ndarray:
    """``how`` (a fuzzy-set operation on alphas) of two masks, ``b`` checked against ``a``."""
    alpha = _alpha(a, "a")
    beta = check_mask(b, alpha.shape, "b", "mask a")
    hard = np.asarray(a).dtype == bool and np.asarray(b).dtype == bool
    return _like(how(alpha, beta), hard)


@operator(size_of="a", same_size=("a", "b"))
def mask_union(a: Mask, b: Mask) -> Mask:
    """Add two masks: a pixel is in the result if it is in either (soft: the maximum).

    Parameters
    ----------
    a : a mask
    b : a mask of the same size as ``a``
    """
    return _combined(a, b, np.maximum)


@operator(size_of="a", same_size=("a", "b"))
def mask_intersection(a: Mask, b: Mask) -> Mask:
    """Intersect two masks: in the result if in both (soft: the minimum, the fuzzy AND).

    Use it to keep a cut-out's part inside a region, e.g. a shape from ``shape_mask``.

    Parameters
    ----------
    a : a mask
    b : the mask it is intersected with, of the same size as ``a``
    """
    return _combined(a, b, np.minimum)


def _without(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return np.minimum(alpha, 1.0 - beta)


@operator(size_of="a", same_size=("a", "b"))
def mask_difference(a: Mask, b: Mask) -> Mask:
    """Subtract ``b`` from ``a``: in ``a`` and not in ``b`` (soft: min(a, 1 - b)).

    Parameters
    ----------
    a : the mask subtracted from
    b : the mask taken away, of the same size as ``a``; soft values take away part of ``a``'s alpha
    """
    return _combined(a, b, _without)


@operator(size_of="mask")
def mask_invert(mask: Mask) -> Mask:
    """Swap inside and outside (soft: 1 - alpha).

    Parameters
    ----------
    mask : the mask inverted
    """
    return _like(1.0 - _alpha(mask), np.asarray(mask).dtype == bool)


def disc(radius: int) -> np.ndarray:
    """The footprint of all pixels within Euclidean distance ``radius`` of the centre."""
    r = np.arange(-radius, radius + 1)
    return r[:, None] ** 2 + r[None, :] ** 2 <= radius ** 2


def _morphed(alpha: np.ndarray, pixels: int, grow: bool) -> np.ndarray:
    """Maximum (grow) or minimum (shrink) of ``alpha`` over a disc of radius ``pixels``.

    Exact by Euclidean distance for a hard mask; beyond the border is outside for
    growing and inside for shrinking, so neither moves the mask at the border.
    """
    from scipy.ndimage import distance_transform_edt, grey_dilation, grey_erosion

    if pixels == 0:
        return alpha
    if _is_hard(alpha):
        solid = alpha >= 0.5
        if grow:
            return (distance_transform_edt(~solid) <= pixels) if solid.any() else solid
        return (distance_transform_edt(solid) > pixels) if (~solid).any() else solid
    morph = grey_dilation if grow else grey_erosion
    return morph(alpha, footprint=disc(pixels), mode="constant", cval=0.0 if grow else 1.0)


@operator(size_of="mask")
def mask_grow(mask: Mask, *, pixels: Pixels = 1) -> Mask:
    """Grow a mask by ``pixels``: every pixel within that distance of the mask joins it.

    Beyond the image's border is outside: nothing grows in from there.

    Parameters
    ----------
    mask : the mask grown (soft: the maximum over a disc of that radius)
    pixels : the radius in pixels (Euclidean)
    """
    return _like(_morphed(_alpha(mask), pixels, grow=True), np.asarray(mask).dtype == bool)


@operator(size_of="mask")
def mask_shrink(mask: Mask, *, pixels: Pixels = 1) -> Mask:
    """Shrink a mask by ``pixels``: every pixel within that distance of the outside leaves it.

    Pixels beyond the image's border count as inside, so a mask that fills the
    image does not shrink away from the border.

    Parameters
    ----------
    mask : the mask shrunk (soft: the minimum over a disc of that radius)
    pixels : the radius in pixels (Euclidean)
    """
    shrunk = _morphed(_alpha(mask), pixels, grow=False)
    return _like(shrunk, np.asarray(mask).dtype == bool)


@operator(size_of="mask")
def mask_fill_holes(mask: Mask) -> Mask:
    """Fill the holes of a mask: regions of outside pixels not connected to the border.

    Parameters
    ----------
    mask : the mask filled (soft: the holes of its solid part, alpha >= 0.5, become 1)
    """
    from scipy.ndimage import binary_fill_holes

    alpha = _alpha(mask)
    solid = alpha >= 0.5
    filled = np.where(binary_fill_holes(solid) & ~solid, 1.0, alpha)
    return _like(filled, np.asarray(mask).dtype == bool)


@operator(size_of="mask")
def mask_largest(mask: Mask, *, count: Annotated[int, Range(1, 1_000_000)] = 1) -> Mask:
    """Keep the ``count`` largest connected parts of a mask (8-connected), drop the rest.

    Parameters
    ----------
    mask : the mask whose parts are kept (soft: parts of alpha > 0 keep their values)
    count : how many of the largest parts are kept
    """
    from scipy.ndimage import label

    alpha = _alpha(mask)
    labels, found = label(alpha > 0, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.argsort(-sizes, kind="stable")[:count] + 1
    kept = np.where(np.isin(labels, keep), alpha, 0.0)
    return _like(kept, np.asarray(mask).dtype == bool)


def inside_depth(inside: np.ndarray, at_border: bool = False) -> np.ndarray:
    """Euclidean distance of each pixel of ``inside`` to the nearest pixel outside it
    (0 outside).  The image border is an outline only with ``at_border``; else the mask
    goes on beyond it, as Photoshop's feather leaves canvas bounds alone by default, and
    a mask with no outside pixel is everywhere infinitely deep."""
    from scipy.ndimage import distance_transform_edt

    if at_border:
        return distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
    if inside.all():
        return np.full(inside.shape, np.inf)
    return distance_transform_edt(inside)


def inner_ramp(inside: np.ndarray, width: float, at_border: bool = False) -> np.ndarray:
    """Alpha rising linearly from 0 at the outline of ``inside`` to 1 at ``width`` px in
    (the image border an outline only with ``at_border``: :func:`inside_depth`)."""
    return np.clip(inside_depth(inside, at_border) / width, 0, 1).astype(np.float32)


@operator(size_of="mask")
def mask_feather(mask: Mask, *, pixels: Annotated[float, Range(0, FEATHER_MAX)] = 4.0,
                 at_border: bool = False) -> Mask:
    """Soften a mask's edge: alpha rises from 0 at the outline to 1 at ``pixels`` inside.

    The outline is that of the solid part (alpha >= 0.5), as ``shape_mask``'s
    feather; the result is never above the mask's own alpha.  Where the mask meets the
    image border it goes on beyond it and stays hard there, as ``mask_shrink`` leaves
    it (a sky mask keeps its top row); ``at_border`` softens it there too (a cutout
    whose object was cut by its box).

    Parameters
    ----------
    mask : the mask feathered
    pixels : width of the soft edge in pixels (0: the mask as float alpha)
    at_border : the image border is an outline too (its edge softened there)
    """
    alpha = _alpha(mask)
    if pixels == 0:
        return alpha
    return np.minimum(alpha, inner_ramp(alpha >= 0.5, pixels, at_border))


@operator(size_of="mask")
def mask_threshold(mask: Mask, *, level: Annotated[float, Range(0, 1)] = 0.5) -> Mask:
    """Make a soft mask hard: the pixels whose alpha is ``level`` or more.

    Parameters
    ----------
    mask : the mask thresholded
    level : the alpha at and above which a pixel is in the result
    """
    return _alpha(mask) >= level
