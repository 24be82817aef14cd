"""Run-time checks of ``neural_style`` once the image sizes are known, before anything is
allocated: every level and style image fits the layers, the init_image's size agrees,
and the optimisation and the style images' feature extraction fit in memory."""
from __future__ import annotations

from typing import Sequence

from . import checks
from .devices import available_memory
from .layers import deepest
from .pyramid import fit_size


def style_sizes(styles, hw, style_scale: float) -> list[tuple[int, int]]:
    """The sizes the style images are resized to for an output of size ``hw``."""
    return [fit_size(s.shape[:2], round(max(hw) * style_scale)) for s in styles]


def check_plan(base_hw, plan: Sequence[tuple], *, styles, layers, style_layers,
               style_scale: float, optimizer: str, device, field: str) -> tuple[int, int]:
    """Check every level of ``plan`` against the layers and the memory; return the final size.

    ``field`` is the parameter that set the output size (size, pyramid or content; a
    content too large for the memory is reported as ``size``, the way out).
    Raises ParameterError naming ``field`` or ``style_scale`` with the estimate and the
    memory free on ``device``.
    """
    available = available_memory(device)
    for size_i, _ in plan:
        hw = fit_size(base_hw, size_i)
        checks.fits_layers(hw, layers, field, "output")
        for shw in (style_sizes(styles, hw, style_scale) if style_layers else []):
            checks.fits_layers(shw, list(style_layers), "style_scale", "resized style image")
    final_hw = fit_size(base_hw, plan[-1][0])
    checks.fits_memory(checks.estimate_bytes(final_hw, deepest(layers), optimizer),
                       available, device, "size" if field == "content" else field)
    for shw in (style_sizes(styles, final_hw, style_scale) if style_layers else []):
        checks.fits_memory(checks.estimate_forward_bytes(shw, list(style_layers)),
                           available, device, "style_scale")
    return final_hw


def plan_fits(params, inputs) -> None:
    """neural_style's ``shape_check``: where the content's size is known at validation,
    every level of the plan (``size`` or ``pyramid``, coarse to fine) fits the layers,
    the run-time rule of :func:`check_plan`, so a size too small is refused before the
    recipe's earlier steps run."""
    from dataclasses import fields

    from .options import StyleLosses, StyleSchedule, with_quality
    from .prepare import layer_weights_of
    from .pyramid import coarse_to_fine, levels

    def group(cls):
        return cls(**{f.name: params[f.name] for f in fields(cls) if f.name in params})

    content = inputs.get("content")
    if content is None or content.size is None:
        return
    schedule = with_quality(group(StyleSchedule))   # a swept quality, as the run fills it in
    content_w, style_w = layer_weights_of(group(StyleLosses))
    plan = coarse_to_fine(levels(schedule.pyramid, params.get("size"),
                                 int(schedule.iterations)),
                          content.size, int(schedule.coarse_to_fine))
    field = "pyramid" if params.get("pyramid") else (
        "content" if params.get("size") is None else "size")
    for size_i, _ in plan:
        checks.fits_layers(fit_size(content.size, size_i),
                           list(dict.fromkeys([*content_w, *style_w])), field, "output")
