"""The gradient-domain functions as recipe operators: they return ``{"image", "info"}``.

The registrations in :mod:`imgfusion.gradient.plugin` point here, so a recipe can
refer to ``$step.info`` (solver used, unknowns, relative residual, iterations,
seconds) while the plain functions keep returning just the image.
"""
from __future__ import annotations

import functools

from . import blending, local_edits, reconstruct, tiling


def with_info(func):
    """Wrap ``func`` to call it with ``return_info=True`` and name both results."""

    @functools.wraps(func)
    def operator(*args, **kwargs):
        image, info = func(*args, return_info=True, **kwargs)
        return {"image": image, "info": info}

    return operator


gradient_reconstruct = with_info(reconstruct.gradient_reconstruct)
poisson_blend = with_info(blending.poisson_blend)
mixed_blend = with_info(blending.mixed_blend)
monochrome_transfer = with_info(blending.monochrome_transfer)
texture_flatten = with_info(local_edits.texture_flatten)
illumination_change = with_info(local_edits.illumination_change)
color_change = with_info(local_edits.color_change)
seamless_tile = with_info(tiling.seamless_tile)
