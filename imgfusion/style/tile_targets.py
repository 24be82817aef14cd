"""What a tile's losses compare against: the whole style's Gram targets at the full
output's scale, accumulated over windows of the style image (no full-size forward pass),
a tile's crop of the content's features, and the features away from a tile's inner
edges (:class:`InnerFeatures`)."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import torch

from . import budget
from .devices import precision_context
from .layers import pools_before
from .losses import content_loss
from .pipeline import (StyleContext, StyleInputs, StyleRun, StyleSettings, level_targets,
                       luminance_rgb, prepare, resize, to_input, to_tensor)
from .tile_plan import TILE_STEP, Tile

STYLE_HALO = 32        # pixels of context around each window of the style image


class InnerFeatures:
    """A network's features away from a tile's inner edges: there the network sees the
    tile's zero padding instead of the neighbours, and losses taken over them would pull
    the tile towards features the whole image does not have."""

    def __init__(self, forward: Callable, margins: tuple[int, int, int, int]):
        self.forward, self.margins = forward, margins

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: self.crop(name, f) for name, f in self.forward(x).items()}

    def crop(self, name: str, f: torch.Tensor) -> torch.Tensor:
        s = 2 ** pools_before(name)
        top, bottom, left, right = (-(-m // s) for m in self.margins)
        h, w = f.shape[-2:]
        if top + bottom >= h or left + right >= w:
            return f
        return f[..., top:h - bottom, left:w - right]


def inner_margins(tile: Tile, hw, margin: int) -> tuple[int, int, int, int]:
    """Pixels to leave out of the losses on each side (top, bottom, left, right) of
    ``tile``: ``margin`` where a neighbour takes over, 0 on the image's border."""
    return (margin if tile.top > 0 else 0, margin if tile.top + tile.height < hw[0] else 0,
            margin if tile.left > 0 else 0, margin if tile.left + tile.width < hw[1] else 0)


def tile_content_targets(run: StyleRun, content: torch.Tensor | None) -> dict:
    """The content features of one tile's crop of the full-size content."""
    if content is None or not run.setup.content_w:
        return {}
    with torch.no_grad(), precision_context(run.settings.speed.precision, run.device):
        c = content.to(run.device)
        c = luminance_rgb(c) if run.setup.luminance else c
        feats = run.encoder(to_input(run, c))
        return {k: feats[k].float() for k in run.setup.content_w}


def style_targets(run: StyleRun, full_hw, window: int) -> dict[str, torch.Tensor]:
    """Blended Gram targets of the whole style image(s) at the full output's scale, each
    accumulated over windows of side ``window`` (rounded to :data:`TILE_STEP`)."""
    setup = run.setup
    if not setup.style_w:
        return {}
    sizes = budget.style_sizes(setup.styles, full_hw, run.settings.losses.style_scale)
    core = max(TILE_STEP, window // TILE_STEP * TILE_STEP)
    grams = [whole_gram(run, resize(to_tensor(s, "cpu"), hw), core)
             for s, hw in zip(setup.styles, sizes)]
    return {name: sum(b * g[name] for g, b in zip(grams, setup.blend)) for name in setup.style_w}


def whole_gram(run: StyleRun, image: torch.Tensor, core: int) -> dict[str, torch.Tensor]:
    """Gram matrices ``F Fᵀ / M`` of ``image``'s features over the whole image, summed over
    windows of side ``core`` seen with :data:`STYLE_HALO` pixels of context."""
    hw = tuple(image.shape[-2:])
    sums: dict[str, torch.Tensor] = {}
    count = dict.fromkeys(run.setup.style_w, 0)
    for r in range(0, hw[0], core):
        for c in range(0, hw[1], core):
            window = Tile(r, c, min(core, hw[0] - r), min(core, hw[1] - c))
            for name, (outer, n) in window_outer(run, image, window).items():
                sums[name] = sums.get(name, 0) + outer
                count[name] += n
    return {name: sums[name] / max(count[name], 1) for name in run.setup.style_w}


def window_outer(run: StyleRun, image: torch.Tensor, window: Tile) -> dict:
    """``{layer: (Σ f fᵀ over the window's feature positions, their number)}``."""
    hw = tuple(image.shape[-2:])
    top, left = max(0, window.top - STYLE_HALO), max(0, window.left - STYLE_HALO)
    bottom = min(hw[0], window.top + window.height + STYLE_HALO)
    right = min(hw[1], window.left + window.width + STYLE_HALO)
    crop = image[..., top:bottom, left:right].to(run.device)
    with torch.no_grad(), precision_context(run.settings.speed.precision, run.device):
        feats = run.encoder(to_input(run, crop))
    out = {}
    for name in run.setup.style_w:
        s = 2 ** pools_before(name)
        f = feats[name].float()[0]
        f = f[:, (window.top - top) // s:(window.top + window.height - top) // s,
              (window.left - left) // s:(window.left + window.width - left) // s]
        x = f.reshape(f.shape[0], -1)
        out[name] = (x @ x.T, x.shape[1])
    return out


def distances(inputs: StyleInputs, settings: StyleSettings, image: np.ndarray,
              context: StyleContext = StyleContext()) -> dict[str, float]:
    """Unweighted content and style losses of ``image`` (H x W x 3) against the run's
    content and style at ``image``'s size, untiled: how two outputs of one run compare."""
    hw = image.shape[:2]
    run = prepare(inputs, replace(settings, size=hw, schedule=replace(
        settings.schedule, pyramid=None)), context)
    c_targets, style_loss = level_targets(run, hw)
    with torch.no_grad():
        feats = run.encoder(to_input(run, to_tensor(image[..., :3], run.device)))
        c = content_loss(feats, c_targets, run.setup.content_w) if c_targets else 0.0
        s = style_loss(feats) if run.setup.style_w else 0.0
    return {"content": float(c), "style": float(s)}
