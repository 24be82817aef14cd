"""``masked_style``: neural style only where a mask says, three ways."""
from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from ..checks import check_image, split_alpha
from ..layout.compose import composite
from ..errors import ParameterError
from ..layout.geometry import resize
from ..style.checks import check_style, style_list
from ..limits import FEATHER_MAX
from ..operators import (Device, Image, Images, Masks, Progress, Range, Seed, WorkDir,
                         operator)
from ..style.options import (OutputSize, Speed, StyleColor, StyleFiles, StyleGuides,
                             StyleInit, StyleLosses, StyleSchedule)
from ..style.pipeline import StyleContext, StyleInputs, StyleSettings
from ..style.pyramid import fit_size, levels
from ..style.transfer import StyleResult, stylise
from .region_masks import check_disjoint, feathered, mask_list



Method = Literal["composite", "guided", "regions"]


@operator(check=check_style, same_size=("content", "mask"))
def masked_style(content: Image, style: Images, mask: Masks, style_guides: Masks | None = None,
                 *, method: Method = "composite",
                 feather: Annotated[float, Range(0, FEATHER_MAX)] = 0.0, size: OutputSize = None,
                 losses: StyleLosses = StyleLosses(), schedule: StyleSchedule = StyleSchedule(),
                 files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                 init: StyleInit = StyleInit(), speed: Speed = Speed(),
                 guides: StyleGuides = StyleGuides(), device: Device = "auto", seed: Seed = 0,
                 progress: Progress = None, workdir: WorkDir = None) -> StyleResult:
    """Neural style where a mask says: composite (outside kept exact), guided Gram matrices, or a style per region.

    ``composite`` stylises the whole frame with :func:`neural_style`, then blends it over
    the content through the (feathered) mask; pixels where the mask is 0 are exactly the
    content's.  ``guided``: Gatys et al. 2017 spatial control: the style loss uses Gram
    matrices of the guided features inside the mask only, and the content loss holds the
    rest of the image: held, not kept, so pixels outside the mask change too (faint style
    near the mask, speckles where the content loss is weak); for an outside kept exact,
    use ``composite``, or composite the guided result over the content through the mask.
    ``regions``: the same with several masks, region i taking the style of ``style[i]``.
    Region masks must not overlap (they are refused where two of them sum to more than
    1: no pixel is silently given to one region).  The content and
    masks are resized to ``size`` first, so the output and mask always agree; with a
    ``pyramid`` the last level's size is the output's.

    Parameters
    ----------
    content
        the photograph
    style
        composite: one or several (blended); guided: one; regions: one per mask
    mask
        where the style goes, at the content's size; regions: one per style, not
        overlapping
    style_guides
        guided/regions: the part of each style image to take the style from
    method
        composite: stylise all, blend through the mask (outside unchanged); guided:
        guided Gram matrices; regions: one style per mask
    feather
        soften each mask over this many pixels inside its outline
    size
        output size: longest side or [rows, cols]; null keeps the content's size
    losses, schedule, files, color, init, speed, guides
        as for neural_style (guides: guided/regions only)
    device, seed, progress, workdir
        engine context, as for neural_style

    Returns
    -------
    StyleResult
        ``(image, loss_history)``; the image has the content's channels (grey becomes RGB).

    Raises
    ------
    ParameterError
        A mask whose size differs from the content's, an empty mask,
        overlapping region masks, more styles than masks (or more masks than styles).
    """
    check_image(content, "content")
    masks = mask_list(mask, content.shape[:2])
    styles = style_list(style)
    _check_pairs(method, masks, styles)
    final_hw = fit_size(content.shape[:2], levels(schedule.pyramid, size, 1)[-1][0])
    if final_hw != content.shape[:2]:
        content = resize(content, size=final_hw)
        masks = [resize(m, size=final_hw) for m in masks]
    masks = [feathered(m, feather) for m in masks]
    settings = StyleSettings(None, losses, schedule, files, color, init, speed, guides)
    context = StyleContext(device, seed, progress)
    if method != "composite":
        return stylise(StyleInputs(content, styles, None, np.stack(masks), style_guides),
                       settings, context, workdir)
    result = stylise(StyleInputs(content, styles), settings, context, workdir)
    colour, alpha = split_alpha(content)
    image = composite(split_alpha(result.image)[0], colour, masks[0])
    if alpha is not None:
        image = np.concatenate([image, alpha[..., None]], axis=2)
    return StyleResult(image, result.loss_history)


def _check_pairs(method: str, masks: list, styles: list) -> None:
    """One mask for composite and guided; one style per mask for guided and regions."""
    if not styles:
        raise ParameterError("style", "give at least one style image")
    if method != "regions" and len(masks) != 1:
        raise ParameterError("mask", f"method {method} takes one mask, got {len(masks)}; "
                                     f"several masks, one style each, is method: regions")
    if method == "composite":
        return
    if len(styles) > len(masks):
        raise ParameterError("style", f"{len(styles)} style images for {len(masks)} "
                                      f"mask(s): method {method} pairs mask i with style i")
    if len(styles) < len(masks):
        raise ParameterError("mask", f"{len(masks)} masks for {len(styles)} style "
                                     f"image(s): give one style image per mask")
    check_disjoint(masks)

