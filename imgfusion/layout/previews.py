"""Pictures to look at before a long step: a mask over its image, and where a cutout lands.

Save them with a ``save`` step that has an ``id`` early in a recipe, and stop
after it with ``imgfusion run --until THAT_ID`` to check a cut-out and its
placement before a stylisation of minutes runs.
"""
from __future__ import annotations

from typing import Annotated

import numpy as np

from ..checks import check_image, check_mask, split_alpha, to_colour
from ..limits import COORD_MAX, FEATHER_MAX
from ..operators import Image, Mask, Range, operator
from .placement import Placement, landed, resolve_placement, shown, target_point

Colour = tuple[float, float, float]


def outline(alpha: np.ndarray, width: int) -> np.ndarray:
    """The pixels of ``alpha``'s solid part (>= 0.5) within ``width`` px of its outside.

    The image border is not an outline: the solid part may go on beyond it.
    """
    from scipy.ndimage import distance_transform_edt

    solid = alpha >= 0.5
    if solid.all():
        return np.zeros_like(solid)
    return solid & (distance_transform_edt(solid) <= width)


def _rgb(image: np.ndarray) -> np.ndarray:
    return to_colour(split_alpha(image)[0], 3).astype(np.float32)


def _tint(rgb: np.ndarray, where: np.ndarray, colour, opacity) -> np.ndarray:
    """``rgb`` with ``colour`` laid over it, ``where`` (alpha) times ``opacity``."""
    weight = (np.asarray(where, np.float32) * opacity)[..., None]
    return (rgb * (1 - weight) + np.asarray(colour, np.float32) * weight).astype(np.float32)


@operator(size_of="image", same_size=("image", "mask"))
def mask_overlay(image: Image, mask: Mask, *,
                 color: Annotated[Colour, Range(0, 1)] = (1.0, 0.0, 0.3),
                 opacity: Annotated[float, Range(0, 1)] = 0.4,
                 width: Annotated[int, Range(0, FEATHER_MAX)] = 2) -> Image:
    """Draw a mask over its image: tinted inside, its outline in full colour.

    Parameters
    ----------
    image : the image the mask belongs to (an RGB picture is drawn; alpha is dropped)
    mask : the mask drawn, of the image's size
    color : [r, g, b] in [0, 1] of the tint and the outline
    opacity : strength of the tint inside the mask (its alpha times this)
    width : outline width in pixels (0: no outline)
    """
    check_image(image)
    alpha = check_mask(mask, image.shape[:2])
    tinted = _tint(_rgb(image), alpha, color, opacity)
    return _tint(tinted, outline(alpha, width), color, 1.0) if width else tinted


def _cross(picture: np.ndarray, point, colour, size: int) -> None:
    """Draw a + of arm ``size`` at ``point`` (row, col), clipped, in place."""
    r, c = (int(round(v)) for v in point)
    rows, cols = picture.shape[:2]
    if 0 <= r < rows:
        picture[r, max(c - size, 0):max(min(c + size + 1, cols), 0)] = colour
    if 0 <= c < cols:
        picture[max(r - size, 0):max(min(r + size + 1, rows), 0), c] = colour


def _over_grey(image: np.ndarray) -> np.ndarray:
    """An RGBA image shown over mid grey (the colour stored under its transparent pixels
    is not what it shows); other images as they are."""
    colour, alpha = split_alpha(image)
    if alpha is None:
        return image
    return (colour * alpha[..., None] + 0.5 * (1 - alpha[..., None])).astype(np.float32)


def _side_by_side(left: np.ndarray, right: np.ndarray, gap: int = 8) -> np.ndarray:
    """Both pictures at ``right``'s height, ``gap`` white pixels apart."""
    from .geometry import resize

    if left.shape[0] != right.shape[0]:
        left = resize(left, scale=right.shape[0] / left.shape[0])
        left = left[:right.shape[0]]
    spacer = np.ones((right.shape[0], gap, 3), np.float32)
    return np.concatenate([left, spacer, right], axis=1)


@operator(same_size=("source", "mask"))
def placement_preview(source: Image, target: Image, mask: Mask | None = None, *,
                      offset: Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX)] = (0, 0),
                      placement: Placement = Placement(),
                      color: Annotated[Colour, Range(0, 1)] = (1.0, 0.0, 0.3),
                      width: Annotated[int, Range(1, FEATHER_MAX)] = 2) -> Image:
    """Show a cutout and where it will land: its mask over the source, its outline on the target.

    Left, the source with the mask drawn over it; right, the target with the
    cutout's outline drawn where the placement puts it.
    The anchor's target point (``at``) is marked with a cross.  Give the same
    ``offset`` and placement keys as to the blend that follows.

    Parameters
    ----------
    source : the image the cutout comes from (shown left, at the target's height)
    target : the image it lands in (shown right, at its own size)
    mask : the cutout, in the source's frame (none: the whole source, or an RGBA source's alpha, as composite and place take it)
    offset : (row, col) of the source's top-left pixel in the target; with ``at``, a nudge in pixels
    placement : where the cutout lands, as the blend will place it
    color : [r, g, b] in [0, 1] of the tint, the outlines and the cross
    width : outline width in pixels
    """
    check_image(source, "source")
    check_image(target, "target")
    # no mask: only composite and place take none, and they place an RGBA cutout by its alpha
    placed, alpha, offset = resolve_placement(placement, source, mask, target.shape[:2],
                                              offset, by_alpha=mask is None)
    if mask is None:
        own, alpha = shown(source, np.ones(source.shape[:2], np.float32)), shown(placed, alpha)
    left = mask_overlay(_over_grey(source), own if mask is None else mask, color=color,
                        width=width)
    right = _tint(_rgb(target), outline(landed(alpha, offset, target.shape[:2]), width),
                  color, 1.0)
    if placement.at is not None:
        _cross(right, target_point(placement, target.shape[:2]), color, 3 * width + 2)
    return _side_by_side(left, right)
