"""Coarse-to-fine optimisation: a list of (size, iterations) levels, each one started
from the upsampled result of the level before (Gatys et al. 2017, high-resolution control)."""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from ..errors import ParameterError


def fit_size(hw: tuple[int, int], size) -> tuple[int, int]:
    """(rows, cols) for an image of shape ``hw``: ``size`` is the longest side (int),
    an explicit (rows, cols), or None to keep ``hw``."""
    if size is None:
        return tuple(hw)
    if isinstance(size, (tuple, list)):
        return int(size[0]), int(size[1])
    scale = int(size) / max(hw)
    return max(1, round(hw[0] * scale)), max(1, round(hw[1] * scale))


def levels(pyramid: Sequence[Sequence[int]] | None, size, iterations: int) -> list[tuple]:
    """The (size, iterations) levels: ``pyramid`` if given, else the single (size, iterations)."""
    if not pyramid:
        return [(size, iterations)]
    out = []
    for i, level in enumerate(pyramid):
        if len(level) != 2 or int(level[0]) < 1 or int(level[1]) < 1:
            raise ParameterError("pyramid", f"level {i} is {list(level)}; each level is "
                                            f"[size, iterations] with both >= 1")
        out.append((int(level[0]), int(level[1])))
    sides = [s for s, _ in out]
    if sides != sorted(sides):
        raise ParameterError("pyramid", f"sizes must grow from coarse to fine, got {sides}")
    return out


def coarse_to_fine(plan: list[tuple], base_hw: tuple[int, int], above: int) -> list[tuple]:
    """A single-level ``plan`` whose output's longest side is above ``above`` px (0:
    never) as two levels: half size for its iterations, then full size for 0.4 x them
    (Gatys et al. 2017: 512 px x 500, then 1024 px x 200); other plans unchanged."""
    if len(plan) != 1 or not above:
        return plan
    size, iterations = plan[0]
    hw = fit_size(base_hw, size)
    if max(hw) <= above:
        return plan
    half = (max(1, round(hw[0] / 2)), max(1, round(hw[1] / 2)))
    return [(half, iterations), (hw, max(1, round(0.4 * iterations)))]


def upsample(image: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a B x C x H x W tensor to ``hw``."""
    if tuple(image.shape[-2:]) == tuple(hw):
        return image
    return F.interpolate(image, size=hw, mode="bilinear", align_corners=False)


def run_pyramid(plan: Sequence[tuple], run_level: Callable[[int, object, int, torch.Tensor | None],
                                                              torch.Tensor]) -> torch.Tensor:
    """Call ``run_level(index, size, iterations, init)`` per level, coarse to fine.

    ``init`` is None for the first level (the caller's own initialisation) and the
    previous level's result for the others (``run_level`` resizes it to its size).
    Returns the last level's result.
    """
    result = None
    for i, (size, iters) in enumerate(plan):
        result = run_level(i, size, iters, result)
    return result
