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

from ..checks import bounding_box, check_image, check_mask
from ..errors import ParameterError
from ..layout.geometry import crop
from ..gradient import SOLVERS
from ..gradient.blending import mixed_blend, poisson_blend
from ..limits import COORD_MAX, FEATHER_MAX
from ..operators import (Data, Device, Image, Images, Mask, Progress, Range, Seed, WorkDir,
                         operator)
from ..style.checks import check_style
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
    loss_history
        per iteration: iteration, level and the weighted content, style, tv and total
        losses
    info
        the blend's solver, unknowns, relative residual, iterations, seconds
    """

    image: Image
    loss_history: Data
    info: Data


def _check_landing(box, offset, target_hw) -> None:
    top, left, bottom, right = box
    r, c = offset
    rows, cols = target_hw
    if top + r < 0 or left + c < 0 or bottom + r > rows or right + c > cols:
        raise ParameterError(
            "offset", f"{tuple(offset)} puts the cutout's region (rows {top}..{bottom - 1}, cols "
                      f"{left}..{right - 1} of the source) at rows {top + r}..{bottom + r - 1}, "
                      f"cols {left + c}..{right + c - 1}, outside the {rows} x {cols} photo; "
                      f"offsets from ({-top}, {-left}) to ({rows - bottom}, {cols - right}) "
                      f"keep it inside")


Solver = Literal[SOLVERS]
Blend = Literal["poisson", "mixed"]


@operator(check=check_style, same_size=("source", "mask"), size_of="target")
def stylize_and_blend(source: Image, target: Image, mask: Mask, style: Images, *,
                      offset: Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX)] = (0, 0),
                      blend: Blend = "poisson",
                      margin: Annotated[int, Range(0, FEATHER_MAX)] = 16,
                      solver: Solver = "auto", tol: Annotated[float, Range(1e-15, 0.5)] = 1e-8,
                      losses: StyleLosses = StyleLosses(),
                      schedule: StyleSchedule = StyleSchedule(),
                      files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                      init: StyleInit = StyleInit(), speed: Speed = Speed(),
                      device: Device = "auto", seed: Seed = 0, progress: Progress = None,
                      workdir: WorkDir = None) -> CutoutResult:
    """Stylise a cutout (its bounding box plus a margin) and blend it seamlessly into a photo at an offset.

    The masked part of ``source`` is stylised and blended into ``target`` at ``offset``:
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
        (row, col) of the source's top-left pixel in the photo; the whole cutout must land
        inside
    blend
        poisson: import the stylised gradients; mixed: keep the stronger gradient per
        pixel pair
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
        ``(image, loss_history, info)``.

    Raises
    ------
    ParameterError
        An empty mask or one of another size than the source, a cutout that lands
        (partly) outside the photo, a pyramid.
    """
    check_image(source, "source")
    check_image(target, "target")
    alpha = check_mask(mask, source.shape[:2])
    if not (alpha > 0).any():
        raise ParameterError("mask", "the mask is empty (no pixel above 0): nothing to cut out")
    if schedule.pyramid is not None:
        raise ParameterError("pyramid", "the cutout is stylised at its own size; resize the "
                                        "source (and its mask) first")
    r, c = (int(v) for v in offset)
    box = bounding_box(alpha)
    _check_landing(box, (r, c), target.shape[:2])
    top, left = max(box[0] - margin, 0), max(box[1] - margin, 0)
    bottom = min(box[2] + margin, source.shape[0])
    right = min(box[3] + margin, source.shape[1])
    window = dict(origin=(top, left), size=(bottom - top, right - left))
    settings = StyleSettings(None, losses, schedule, files, color, init, speed)
    styled = stylise(StyleInputs(crop(source, **window), style), settings,
                     StyleContext(device, seed, progress), workdir)
    image, info = BLENDS[blend](styled.image, target, crop(alpha, **window),
                                offset=(r + top, c + left), solver=solver, tol=tol)
    return CutoutResult(image, styled.loss_history, info)

