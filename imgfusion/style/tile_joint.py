"""Joint tiled optimisation (``tile_joint``): one optimiser over the whole canvas of a
level, each loss evaluation summing the tiles' gradients (ProGamerGov's blended tiling,
blending at every step).  The network sees one tile at a time, so memory is one tile's
activations plus full-size planes (the canvas, its gradient, the optimiser's history:
:func:`.tile_plan.run_bytes` with ``joint``); the image is one image throughout, so no
tile's texture meets another's at a seam.

A tile's gradient is weighted by its blend weight over the summed weights at each pixel
(:func:`.tile_plan.blend_weights`: 0 along its inner edges, where the network sees
zero padding), so every pixel's gradient is an average of the tiles over it; the
losses reported are the tiles' averaged by their share of the canvas.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from .losses import GramStyleLoss
from .optimize import LOSS_NAMES, Watch, optimize
from .pipeline import StyleRun, loss_function
from .tile_plan import Tile, blend_weights, edge_margin
from .tile_targets import InnerFeatures, inner_margins, tile_content_targets

PARTS = tuple(n for n in LOSS_NAMES if n != "total")


def normalised_weights(level) -> list[torch.Tensor]:
    """Each tile's blend weights over the summed weights of all tiles at each pixel."""
    own = [torch.from_numpy(blend_weights(t, level.hw, level.overlap))[None, None]
           for t in level.tiles]
    total = torch.zeros((1, 1, *level.hw))
    for tile, w in zip(level.tiles, own):
        total[(..., *tile.slices)] += w
    return [w / total[(..., *t.slices)].clamp_min(1e-12) for t, w in zip(level.tiles, own)]


class JointLoss:
    """``x`` (the whole canvas) -> the losses, with a ``total`` whose gradient is the
    weighted sum of the tiles' gradients, taken tile by tile."""

    def __init__(self, run: StyleRun, level, content: torch.Tensor | None,
                 style_loss: GramStyleLoss):
        self.run, self.level, self.content, self.style_loss = run, level, content, style_loss
        self.weights = [w.to(run.device) for w in normalised_weights(level)]
        self.margin = edge_margin(level.overlap)

    def tile_parts(self, tile: Tile, crop: torch.Tensor) -> dict[str, torch.Tensor]:
        """The losses of one tile's crop, on its features away from its inner edges."""
        margins = inner_margins(tile, self.level.hw, self.margin)
        inner = replace(self.run, encoder=InnerFeatures(self.run.encoder, margins),
                        forward=InnerFeatures(self.run.forward, margins))
        content = None if self.content is None else self.content[(..., *tile.slices)]
        return loss_function(inner, tile_content_targets(inner, content),
                             self.style_loss)(crop)

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        grad = torch.zeros_like(x)
        sums = {n: torch.zeros((), device=x.device) for n in PARTS}
        for tile, w in zip(self.level.tiles, self.weights):
            where = (..., *tile.slices)
            crop = x.detach()[where].clone().requires_grad_(True)
            parts = self.tile_parts(tile, crop)
            parts["total"].backward()
            grad[where] += w * crop.grad
            share = w.sum() / (self.level.hw[0] * self.level.hw[1])
            for n in PARTS:
                sums[n] = sums[n] + share * parts[n].detach()
        surrogate = (x * grad).sum()        # its gradient with respect to x is ``grad``
        total = sum(sums.values()) + surrogate - surrogate.detach()
        return {**sums, "total": total}


def joint_level(run: StyleRun, canvas: torch.Tensor, level, targets, watch: Watch,
                schedule) -> torch.Tensor:
    """``canvas`` optimised as one image, ``schedule.iterations`` evaluations of
    :class:`JointLoss`; ``targets`` is (the content at the level's size, the style loss)."""
    content, style_loss = targets
    loss_fn = JointLoss(run, level, None if content is None else content.to(run.device),
                        style_loss)
    return optimize(canvas.to(run.device), loss_fn, schedule, watch).image.cpu()
