"""The first piece of ``neural_style``: its images and loss options checked, and the style
images' colours preprocessed (histogram matching, luminance only).

Grey in, grey out: when the content (if any), every style image and the init_image (if
any) are grey (:func:`.color.is_grey`), the run optimises the luminance alone, one channel
the network sees in all three (as ``color_control: luminance`` does), so the result is grey
by construction; optimised in RGB, the network's per-channel weights tint it.  A coloured
init_image makes the run a colour one: its colours are a start the user chose."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_choice, check_non_negative
from ..errors import ParameterError
from ..layout.resample import hidden_filled
from . import checks, color
from .layers import layer_weights
from .options import StyleColor, StyleLosses


class Setup(NamedTuple):
    content: np.ndarray | None        # RGB, after colour preprocessing of the styles
    alpha: np.ndarray | None
    styles: list[np.ndarray]          # RGB (or luminance replicated to RGB)
    blend: list[float]
    content_w: dict[str, float]
    style_w: dict[str, float]
    luminance: bool                   # one channel optimised: color_control luminance, or grey
    grey: bool = False                # every input grey: the result is its luminance, R = G = B


def check_inputs(inputs, s) -> Setup:
    """Check the images, weights and colour options of one run (``inputs``: a
    :class:`~imgfusion.style.pipeline.StyleInputs`, ``s``: its ``StyleSettings``), and
    apply the colour preprocessing (histogram / luminance)."""
    losses, colour = s.losses, s.color
    _check_weights(losses, s.init.init, colour)
    content_w, style_w = layer_weights_of(losses)
    content, alpha, styles = _images(inputs.content, inputs.style, content_w, style_w, s.size)
    blend = checks.blend_weights(losses.style_blend_weights, len(styles))
    _check_init(content, styles, s.init.init, inputs.init_image, colour)
    grey = all_grey(content, styles, inputs.init_image)
    styles = _colour_preprocessed(styles, content, colour.color_control, colour.histogram_mode)
    if grey:
        styles = [color.grey_rgb(st) for st in styles]
    return Setup(content, alpha, styles, blend, content_w, style_w,
                 colour.color_control == "luminance" or grey, grey)


def all_grey(content, styles, init_image) -> bool:
    """Whether the content (if any), the styles and the init_image (if any) are all grey."""
    images = [*([] if content is None else [content]), *styles]
    if init_image is not None:
        images.append(checks.as_rgb(init_image, "init_image")[0])
    return all(color.is_grey(a) for a in images)


def _check_weights(losses: StyleLosses, init: str, colour: StyleColor) -> None:
    check_non_negative(content_weight=losses.content_weight, style_weight=losses.style_weight,
                       tv_weight=losses.tv_weight)
    if not losses.style_scale > 0:
        raise ParameterError("style_scale", f"must be > 0, got {losses.style_scale!r}")
    check_choice(init, "init", checks.INIT_MODES)
    check_choice(colour.color_control, "color_control", checks.COLOR_CONTROLS)
    check_choice(colour.histogram_mode, "histogram_mode", color.HISTOGRAM_MODES)


def layer_weights_of(losses: StyleLosses) -> tuple[dict, dict]:
    """(content, style) {layer: weight} of ``losses``; a loss of weight 0 has no layers."""
    content_w = layer_weights(losses.content_layers, "content_layers")
    style_w = layer_weights(losses.style_layers, "style_layers")
    content_w = {k: v for k, v in content_w.items() if v > 0} if losses.content_weight > 0 \
        else {}
    style_w = {k: v for k, v in style_w.items() if v > 0} if losses.style_weight > 0 else {}
    if not content_w and not style_w:
        raise ParameterError("style_weight", "nothing to optimise: the content and style "
                                             "losses both have weight 0")
    return content_w, style_w


def _images(content, style, content_w, style_w, size):
    alpha = None
    if content is not None:
        content, alpha = checks.as_rgb(content, "content")
        content = content if alpha is None else hidden_filled(content, alpha)
    elif content_w:
        raise ParameterError("content", "a content image is needed when content_weight > 0")
    elif size is None:
        raise ParameterError("size", "without a content image, give the output size")
    styles = [checks.as_rgb(s, "style")[0] for s in checks.style_list(style)]
    if style_w and not styles:
        raise ParameterError("style", "a style image is needed when style_weight > 0")
    return content, alpha, styles


def _check_init(content, styles, init: str, init_image, colour: StyleColor) -> None:
    needs_content = {"init": init == "content", "original_colors": bool(colour.original_colors),
                     "color_control": colour.color_control != "none"}
    for field, needed in needs_content.items():
        if needed and content is None:
            raise ParameterError(field, "this needs a content image")
    if init == "style" and not styles:
        raise ParameterError("init", "init: style needs a style image")
    if (init == "image") != (init_image is not None):
        raise ParameterError("init_image" if init == "image" else "init",
                             "init: image and an init_image go together")


def _colour_preprocessed(styles, content, color_control: str, histogram_mode: str):
    if color_control == "histogram":
        return [color.match_color(s, content, histogram_mode) for s in styles]
    if color_control == "luminance":
        cy = color.luminance(content)
        return [np.repeat(color.match_luminance(color.luminance(s), cy)[..., None], 3, -1)
                .astype(np.float32) for s in styles]
    return styles
