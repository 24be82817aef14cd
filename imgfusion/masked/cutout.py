"""``stylize_and_blend``: stylise a cutout and blend it seamlessly into a photo.

One code path through the existing operators: :func:`imgfusion.layout.geometry.crop` cuts
the mask's bounding box plus a margin out of the source, :func:`neural_style`
stylises only that piece (the margin gives the network context beyond the outline,
so the edge of the crop does not show inside the region), and
:func:`imgfusion.gradient.blending.poisson_blend` (or ``mixed_blend``) pastes the
masked part into the target.  The gallery's ``stylized_cutout_steps.yaml`` is the
same pipeline as separate recipe steps.
"""
from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

import numpy as np

from ..checks import bounding_box, check_image
from ..errors import ParameterError
from ..layout.geometry import crop
from ..layout.placement import Placement, at_range, resolve_placement
from ..gradient import SOLVERS
from ..gradient.blending import mixed_blend, poisson_blend
from ..gradient.color_keeping import banded_blend, best_blend
from ..limits import COORD_MAX, FEATHER_MAX
from ..operators import (Data, Device, Image, Images, Mask, Progress, Range, Seed, WorkDir,
                         operator)
from .checks import blend_choices, check_stylize_and_blend, piece_fits_target
from ..style.options import (Speed, StyleColor, StyleFiles, StyleInit, StyleLosses,
                             StyleSchedule)
from ..style.pipeline import StyleContext, StyleInputs, StyleSettings
from ..style.transfer import stylise

BLENDS = {"poisson": poisson_blend, "mixed": mixed_blend}


class CutoutResult(NamedTuple):
    """The blended photo, the style loss history and the blend's solver info.

    Attributes
    ----------
    image
        the blended photo
    piece
        the stylised piece: the cutout's box plus the margin, stylised, before blending
    piece_mask
        the cutout's mask in the piece's frame (use both to blend the piece again)
    loss_history
        per iteration: iteration, level and the weighted content, style, tv and total
        losses
    info
        the blend's solver, unknowns, relative residual, iterations, seconds; with
        blend auto, the blend chosen and every candidate's colour distance and seam
        visibility
    """

    image: Image
    piece: Image
    piece_mask: Mask
    loss_history: Data
    info: Data


def _check_landing(alpha, offset, target_hw, placement: Placement, nudge) -> None:
    """ParameterError (naming ``at`` or ``offset``, and the values that fit) unless the
    mask's box, its top-left corner at ``offset``, lies inside the photo."""
    top, left, bottom, right = bounding_box(alpha)
    r, c = offset
    rows, cols = target_hw
    if top + r >= 0 and left + c >= 0 and bottom + r <= rows and right + c <= cols:
        return
    if bottom - top > rows or right - left > cols:
        raise ParameterError("scale" if placement.fit is None else "fit",
                             f"the cutout's region ({bottom - top} x {right - left} px) is "
                             f"larger than the {rows} x {cols} photo; scale it down (scale "
                             "or fit) or crop the source")
    inside = ((-top, -left), (rows - bottom, cols - right))
    field, given, fits = (
        ("offset", tuple(offset), f"offsets from {inside[0]} to {inside[1]}")
        if placement.at is None else
        ("at", tuple(placement.at), at_range(placement, alpha, inside, nudge, target_hw)))
    raise ParameterError(
        field, f"{given} puts the cutout's region (rows {top}..{bottom - 1}, cols "
               f"{left}..{right - 1} of the source) at rows {top + r}..{bottom + r - 1}, "
               f"cols {left + c}..{right + c - 1}, outside the {rows} x {cols} photo; "
               f"{fits} keep it inside")


Solver = Literal[SOLVERS]
Blend = Literal["auto", "keep_colors", "poisson", "mixed"]


def _blended(blend, piece, target, alpha, offset, band, how):
    """The piece blended in as ``blend`` says (:mod:`imgfusion.gradient.color_keeping`)."""
    if blend == "auto":
        return best_blend(piece, target, alpha, offset, band, how)
    if blend == "keep_colors":
        return banded_blend(piece, target, alpha, offset, band, how)
    return BLENDS[blend](piece, target, alpha, offset=offset, solver=how[0], tol=how[1])


@operator(check=check_stylize_and_blend, same_size=("source", "mask"),
          size_of={"image": "target"})
def stylize_and_blend(source: Image, target: Image, mask: Mask, style: Images, *,
                      offset: Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX)] = (0, 0),
                      placement: Placement = Placement(),
                      blend: Blend = "auto",
                      band: Annotated[int, Range(1, FEATHER_MAX)] = 6,
                      margin: Annotated[int, Range(0, FEATHER_MAX)] = 16,
                      solver: Solver = "auto", tol: Annotated[float, Range(1e-15, 0.5)] = 1e-8,
                      losses: StyleLosses = StyleLosses(),
                      schedule: StyleSchedule = StyleSchedule(),
                      files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                      init: StyleInit = StyleInit(), speed: Speed = Speed(),
                      device: Device = "auto", seed: Seed = 0, progress: Progress = None,
                      workdir: WorkDir = None) -> CutoutResult:
    """Stylise a cutout (its box plus a margin) and blend it into a photo, keeping its colours.

    The masked part of ``source`` is stylised and blended into ``target`` where the
    placement puts it (``at`` by an anchor, or ``offset``): by default keeping the
    stylised colours inside with only a band along the outline solved, or
    import the stylised gradients (Pérez Eq. 11) or keep the stronger of the stylised and
    the photo's gradients (Eq. 13).  The source's alpha channel is not used (pass it as
    ``mask``); the mask may be bool, or float alpha for a soft blend.  The result has the
    target's size and channels; pixels outside the region's bounding box (at ``offset``)
    are the target's, unchanged.  ``schedule.pyramid`` is refused: the piece is stylised
    at its own size.

    Parameters
    ----------
    source
        the image the cutout comes from
    target
        the photo it is blended into
    mask
        the cutout, in the source's frame
    style
        style image(s) for neural_style
    offset
        (row, col) of the source's top-left pixel in the photo (with ``at``, a nudge); the
        whole cutout must land inside
    placement
        by anchor: which point of the cutout lands where, optionally rescaled (scale, fit)
    blend
        auto: keep_colors when it beats plain Poisson on colour fidelity and plain alpha on
        seam visibility, else poisson; keep_colors: paste the stylised core as it is and
        solve only a band along the outline; poisson: import the stylised gradients;
        mixed: keep the stronger gradient per pixel pair
    band
        keep_colors and auto: width in pixels of the band solved along the outline
    margin
        pixels of context around the mask's bounding box stylised with it
    solver
        auto, direct (sparse LU), cg (AMG-preconditioned), multigrid, mgpcg (matrix-free
        multigrid CG), fft (fast, approximate)
    tol
        relative residual at which cg and multigrid stop
    losses, schedule, files, color, init, speed
        as for neural_style, but for schedule.pyramid
    device, seed, progress, workdir
        engine context, as for neural_style

    Returns
    -------
    CutoutResult
        ``(image, piece, piece_mask, loss_history, info)``.

    Raises
    ------
    ParameterError
        An empty mask or one of another size than the source, a cutout that lands
        (partly) outside the photo, a pyramid.
    """
    check_image(source, "source")
    check_image(target, "target")
    source, alpha, (r, c) = resolve_placement(placement, source, mask, target.shape[:2],
                                              offset)
    if not (alpha > 0).any():
        raise ParameterError("mask", "the mask is empty (no pixel above 0): nothing to cut out")
    blend_choices(schedule.pyramid, solver, blend)
    _check_landing(alpha, (r, c), target.shape[:2], placement, offset)
    box = bounding_box(alpha)
    top, left = max(box[0] - margin, 0), max(box[1] - margin, 0)
    bottom = min(box[2] + margin, source.shape[0])
    right = min(box[3] + margin, source.shape[1])
    window = dict(origin=(top, left), size=(bottom - top, right - left))
    piece_fits_target(crop(source, **window), style, target, color)
    settings = StyleSettings(None, losses, schedule, files, color, init, speed)
    styled = stylise(StyleInputs(crop(source, **window), style), settings,
                     StyleContext(device, seed, progress), workdir)
    piece_mask = crop(alpha, **window)
    image, info = _blended(blend, styled.image, target, piece_mask, (r + top, c + left), band,
                           (solver, tol))
    return CutoutResult(image, styled.image, piece_mask, styled.loss_history, info)

