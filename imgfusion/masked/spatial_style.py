"""``masked_style``: neural style only where a mask says, three ways."""
from __future__ import annotations

import numpy as np

from ..checks import check_image, split_alpha
from ..layout.compose import composite
from ..errors import ParameterError
from ..layout.geometry import resize
from ..style.checks import style_list
from ..style.options import (Speed, StyleColor, StyleFiles, StyleGuides, StyleInit,
                             StyleLosses, StyleSchedule, flat_adapter)
from ..style.pipeline import StyleContext, StyleInputs, StyleSettings
from ..style.pyramid import fit_size, levels
from ..style.transfer import StyleResult, stylise
from .region_masks import check_disjoint, feathered, mask_list

METHODS = ("composite", "guided", "regions")


def masked_style(content: np.ndarray, style, mask, style_guides=None, *,
                 method: str = "composite", feather: float = 0.0, size=None,
                 losses: StyleLosses = StyleLosses(), schedule: StyleSchedule = StyleSchedule(),
                 files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                 init: StyleInit = StyleInit(), speed: Speed = Speed(),
                 guides: StyleGuides = StyleGuides(), device: str = "auto", seed: int = 0,
                 progress=None, workdir=None) -> StyleResult:
    """Stylise ``content`` only inside ``mask``.

    Parameters
    ----------
    content : (H, W, C) float32 ndarray
        The photograph (C = 1, 3 or 4; an alpha channel is kept as it is).
    style : ndarray or list of ndarray
        Style image(s).  ``composite``: one or several, blended by
        ``style_blend_weights``; ``guided``: one; ``regions``: one per mask, in order.
    mask : (H, W) ndarray or list of them
        bool or float alpha at the content's size.  ``composite`` and ``guided`` take
        one mask; ``regions`` one per style image.  Region masks must not overlap
        (they are refused where two of them sum to more than 1: no pixel is silently
        given to one region).
    method : {"composite", "guided", "regions"}
        ``composite``: stylise the whole frame with :func:`neural_style`, then blend it
        over the content through the (feathered) mask; pixels where the mask is 0 are
        exactly the content's.  ``guided``: Gatys et al. 2017 spatial control: the style
        loss uses Gram matrices of the guided features inside the mask only, and the
        content loss holds the rest of the image.  ``regions``: the same with several
        masks, region i taking the style of ``style[i]``.
    feather : float
        Soften each mask over this many pixels inside its outline (0: as given).
    style_guides : list of (h, w) masks, optional
        ``guided``/``regions``: for each style image, the part of it to take the style
        from (at that style image's size); None uses all of it.
    size : int, (rows, cols) or None
        Output size (longest side, or exact); None keeps the content's.  The content
        and masks are resized to it first, so the output and mask always agree.
    losses, schedule, files, color, init, speed :
        As for :func:`imgfusion.style.transfer.neural_style`; with a ``pyramid`` the last
        level's size is the output's.
    guides : StyleGuides
        ``guided``/``regions``: how the masks reach each VGG layer
        (:mod:`imgfusion.style.guides`).
    device, seed, progress, workdir :
        Engine context, as for ``neural_style``.

    Returns
    -------
    StyleResult
        ``(image, loss_history)``; the image has the content's channels (grey becomes RGB).

    Raises
    ------
    ParameterError
        Unknown method, a mask whose size differs from the content's, an empty mask,
        overlapping region masks, more styles than masks (or more masks than styles).
    """
    if method not in METHODS:
        raise ParameterError("method", f"'{method}' is not one of {', '.join(METHODS)}")
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


# The registration (plugin.py) names one Param per option and calls this with flat keys.
masked_style_flat = flat_adapter(masked_style)
