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

from typing import NamedTuple

import numpy as np

from ..checks import bounding_box, check_image, check_mask
from ..errors import ParameterError
from ..layout.geometry import crop
from ..gradient.blending import mixed_blend, poisson_blend
from ..style.options import (Speed, StyleColor, StyleFiles, StyleInit, StyleLosses,
                             StyleSchedule, flat_adapter)
from ..style.pipeline import StyleContext, StyleInputs, StyleSettings
from ..style.transfer import stylise

BLENDS = {"poisson": poisson_blend, "mixed": mixed_blend}


class CutoutResult(NamedTuple):
    """The blended photo, the style loss history and the blend's solver info."""

    image: np.ndarray
    loss_history: list[dict]
    info: dict


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


def stylize_and_blend(source: np.ndarray, target: np.ndarray, mask: np.ndarray, style, *,
                      offset: tuple[int, int] = (0, 0), blend: str = "poisson",
                      margin: int = 16, solver: str = "auto", tol: float = 1e-8,
                      losses: StyleLosses = StyleLosses(),
                      schedule: StyleSchedule = StyleSchedule(),
                      files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                      init: StyleInit = StyleInit(), speed: Speed = Speed(),
                      device: str = "auto", seed: int = 0, progress=None,
                      workdir=None) -> CutoutResult:
    """Stylise the masked part of ``source`` and blend it into ``target`` at ``offset``.

    Parameters
    ----------
    source : (H, W, C) float32 ndarray
        The image the cutout comes from (its alpha channel is not used: pass it as
        ``mask``).
    target : (Ht, Wt, C) float32 ndarray
        The photo the stylised cutout is blended into; the result has its size and
        channels.
    mask : (H, W) ndarray
        The cutout, in the source's frame (bool, or float alpha for a soft blend).
    style : ndarray or list of ndarray
        Style image(s) for :func:`neural_style`.
    offset : (row, col)
        Where the source's top-left pixel lands in the target.  Every selected mask
        pixel must land inside the target.
    blend : {"poisson", "mixed"}
        Import the stylised gradients (Pérez Eq. 11) or keep the stronger of the
        stylised and the photo's gradients (Eq. 13).
    margin : int
        Pixels of context around the mask's bounding box that are stylised with it.
    solver, tol :
        The blend's solver (:mod:`imgfusion.gradient.solvers`).
    losses, schedule, files, color, init, speed :
        As for :func:`neural_style`, but for ``schedule.pyramid`` (the piece is stylised
        at its own size).
    device, seed, progress, workdir :
        Engine context, as for ``neural_style``.

    Returns
    -------
    CutoutResult
        ``(image, loss_history, info)``.  Pixels outside the region's bounding box
        (at ``offset``) are the target's, unchanged.

    Raises
    ------
    ParameterError
        An empty mask or one of another size than the source, a cutout that lands
        (partly) outside the photo, an unknown blend, a negative margin.
    """
    check_image(source, "source")
    check_image(target, "target")
    alpha = check_mask(mask, source.shape[:2])
    if not (alpha > 0).any():
        raise ParameterError("mask", "the mask is empty (no pixel above 0): nothing to cut out")
    if blend not in BLENDS:
        raise ParameterError("blend", f"'{blend}' is not one of {', '.join(BLENDS)}")
    if schedule.pyramid is not None:
        raise ParameterError("pyramid", "the cutout is stylised at its own size; resize the "
                                        "source (and its mask) first")
    if int(margin) != margin or margin < 0:
        raise ParameterError("margin", f"must be a whole number >= 0, got {margin!r}")
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


# The registration (plugin.py) names one Param per option and calls this with flat keys.
stylize_and_blend_flat = flat_adapter(stylize_and_blend)
