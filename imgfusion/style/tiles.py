"""Style beyond memory: stylise at a size that fits, then refine at the full size in
overlapping tiles (Gatys et al. 2017's coarse-to-fine, Neural-Tile's re-stylised tiles,
ProGamerGov's blended tiling).

1. :func:`coarse_side` is the largest output side, at most :data:`COARSE_SIDE`, whose
   untiled optimisation fits the memory budget; the ordinary pipeline stylises there.
2. The result is upsampled to the full size: the canvas.
3. The style's Gram targets are taken once, from the whole style image at the scale the
   full-size output sees it (``style_scale`` x its longest side), accumulated over windows
   of the style image so that no full-size forward pass is needed (:func:`style_targets`).
4. Each tile (:mod:`.tile_plan`) starts from the canvas under it, which already holds the
   refined neighbours in the overlap, and is optimised against its own content features
   and the shared style targets; its result joins a weighted sum with raised-cosine
   weights, and the canvas under it becomes the blend so far.  The output is the blend.

Memory: one tile's optimisation plus a few full-size planes (:func:`.tile_plan.run_bytes`).
Region guides, snapshots and a caller's extra loss (video) are not tiled: a run that needs
them must fit untiled.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from ..errors import ParameterError
from .checks import estimate_bytes, style_list
from . import budget
from .devices import precision_context, resolve_device
from .layers import deepest, pools_before
from .losses import GramStyleLoss, content_loss
from .optimize import Watch, optimize
from .pipeline import (StyleContext, StyleInputs, StyleRun, StyleSettings, finish,
                       level_targets, loss_function, luminance_rgb, prepare, resize,
                       run_level, to_input, to_tensor)
from .prepare import layer_weights_of
from .pyramid import fit_size, run_pyramid, upsample
from .tile_plan import (TILE_STEP, Tile, blend_weights, choose_tile, edge_margin,
                        memory_budget, overlap_pixels, plan_tiles, run_bytes)

COARSE_SIDE = 512      # Gatys et al. 2017 stylise at 512 px before refining larger
STYLE_HALO = 32        # pixels of context around each window of the style image


@dataclass(frozen=True)
class Tiling:
    """Overrides of what the budget decides, for tests and benchmarks: the ``tile`` side and
    the ``coarse`` pass's longest side, in pixels (None: from the budget).  The budget
    (``speed.memory_limit``), the tiles' overlap and iterations are the run's options."""

    tile: int | None = None
    coarse: int | None = None


@dataclass
class TilePlan:
    """What a tiled run decided before running: sizes, tiles and the memory estimate."""

    full_hw: tuple[int, int]
    coarse_side: int
    tile: int
    overlap: int
    tiles: list[Tile]
    budget: int
    estimate: int


def output_size(inputs: StyleInputs, settings: StyleSettings) -> tuple[int, int]:
    """The size the run's output will have."""
    base = inputs.content if inputs.content is not None else style_list(inputs.style)[0]
    last = settings.schedule.pyramid[-1][0] if settings.schedule.pyramid else settings.size
    return fit_size(np.shape(base)[:2], last)


def layers_deepest(settings: StyleSettings) -> int:
    content_w, style_w = layer_weights_of(settings.losses)
    return deepest([*content_w, *style_w])


def run_budget(settings: StyleSettings, device) -> int:
    """Bytes the run may use: ``speed.memory_limit``, or most of the device's free memory."""
    return memory_budget(settings.speed.memory_limit,
                         budget.available_memory(resolve_device(device)))


def fits_untiled(inputs, settings: StyleSettings, device) -> bool:
    """Whether the run fits the budget without tiles."""
    hw = output_size(inputs, settings)
    need = estimate_bytes(hw, layers_deepest(settings), settings.schedule.optimizer)
    return need <= run_budget(settings, device)


def tileable(inputs: StyleInputs, settings: StyleSettings, context: StyleContext) -> bool:
    """Whether a run can be tiled: no region guides, no extra loss (video), no snapshots."""
    return (inputs.content_guides is None and inputs.style_guides is None
            and context.extra_loss is None and not settings.files.snapshot_every)


def wants_tiles(inputs, settings: StyleSettings, context: StyleContext) -> bool:
    """Whether :func:`tiled_stylise` should make this run: it does not fit untiled and can
    be tiled (otherwise the untiled run's own memory check speaks)."""
    return tileable(inputs, settings, context) and not fits_untiled(inputs, settings,
                                                                    context.device)


def coarse_side(full_hw, deepest_index: int, optimizer: str, limit: int) -> int:
    """The largest longest side <= :data:`COARSE_SIDE` whose untiled run fits ``limit``."""
    side = min(COARSE_SIDE, max(full_hw))
    while side > TILE_STEP:
        if estimate_bytes(fit_size(full_hw, side), deepest_index, optimizer) <= limit:
            return side
        side -= TILE_STEP
    raise ParameterError("memory_limit", f"the budget of {limit / 2 ** 20:.0f} MiB is too "
                                         f"small for even a {TILE_STEP} px coarse pass")


def make_plan(inputs, settings: StyleSettings, device, tiling: Tiling = Tiling()) -> TilePlan:
    """Sizes, tiles and memory of a tiled run, decided before anything runs."""
    fraction = settings.schedule.tile_overlap
    if not 0 <= fraction < 0.5:
        raise ParameterError("tile_overlap", f"must be in [0, 0.5), got {fraction!r}")
    limit = run_budget(settings, device)
    full_hw, d = output_size(inputs, settings), layers_deepest(settings)
    opt = settings.schedule.optimizer
    field = "memory_limit" if settings.speed.memory_limit else "size"
    tile = tiling.tile or choose_tile(full_hw, d, opt, limit, field)
    overlap = overlap_pixels(tile, fraction)
    coarse = tiling.coarse or coarse_side(full_hw, d, opt, limit)
    return TilePlan(full_hw, coarse, tile, overlap, plan_tiles(full_hw, tile, overlap), limit,
                    run_bytes(full_hw, tile, d, opt))


def coarse_settings(settings: StyleSettings, side: int) -> StyleSettings:
    """``settings`` for the coarse pass: the output side ``side``, and of a pyramid only
    the levels no larger."""
    pyramid = settings.schedule.pyramid
    kept = [lvl for lvl in pyramid or [] if lvl[0] <= side] or None
    return replace(settings, size=side, schedule=replace(settings.schedule, pyramid=kept))


def tiled_stylise(inputs: StyleInputs, settings: StyleSettings,
                  context: StyleContext = StyleContext(), tiling: Tiling = Tiling(),
                  on_plan: Callable[[TilePlan], None] | None = None):
    """Stylise coarse, then refine at the full size tile by tile: ``(image, history)``.

    ``on_plan(plan)`` is called with the :class:`TilePlan` before the optimisation starts.
    """
    if not tileable(inputs, settings, context):
        raise ParameterError("memory_limit", "region guides, video's temporal loss and "
                                             "snapshots are not tiled: this run must fit "
                                             "untiled (raise memory_limit or lower size)")
    plan = make_plan(inputs, settings, context.device, tiling)
    if on_plan is not None:
        on_plan(plan)
    run = prepare(inputs, coarse_settings(settings, plan.coarse_side), context)
    history: list[dict] = []
    coarse = run_pyramid(run.plan, lambda i, size_i, iters, prev: run_level(
        run, i, size_i, iters, prev, history, lambda *_: None))
    canvas = upsample(coarse.detach().cpu(), plan.full_hw)
    x = refine(run, canvas, plan, settings.schedule.tile_iterations, history)
    return with_alpha(run, finish(run, x, plan.full_hw), plan.full_hw), history


def with_alpha(run: StyleRun, out: np.ndarray, hw) -> np.ndarray:
    """The content's alpha, resized to ``hw``, appended to ``out``."""
    if run.setup.alpha is None:
        return out
    a = resize(torch.from_numpy(run.setup.alpha)[None, None], hw)[0, 0].numpy()
    return np.concatenate([out, a[..., None]], axis=-1)


def refine(run: StyleRun, canvas: torch.Tensor, plan: TilePlan, iterations: int,
           history: list) -> torch.Tensor:
    """The full-size canvas (CPU, 1 x C x H x W) refined tile by tile and blended."""
    gram_loss = GramStyleLoss(style_targets(run, plan.full_hw, plan.tile), run.setup.style_w)
    content = (None if run.setup.content is None
               else resize(to_tensor(run.setup.content, "cpu"), plan.full_hw))
    total = torch.zeros_like(canvas)
    weight = torch.zeros((1, 1, *plan.full_hw))
    schedule = replace(run.settings.schedule, iterations=int(iterations), pyramid=None)
    for k, tile in enumerate(plan.tiles):
        rows, cols = tile.slices
        margins = inner_margins(tile, plan.full_hw, edge_margin(plan.overlap))
        out = refine_tile(run, margins, canvas[..., rows, cols], _crop(content, tile),
                          gram_loss, schedule, Watch(level=len(run.plan) + k,
                                                     history=history))
        w = torch.from_numpy(blend_weights(tile, plan.full_hw, plan.overlap))[None, None]
        blend_in(tile, out.cpu(), w, (canvas, total, weight))
        if run.context.progress is not None:
            run.context.progress(k + 1, len(plan.tiles), tile=tile._asdict())
    return canvas


def blend_in(tile: Tile, out: torch.Tensor, w: torch.Tensor, planes) -> None:
    """Add ``out`` with weights ``w`` to the weighted sum and the weight sum of ``planes``
    (canvas, total, weight); the canvas under the tile becomes the blend so far (where a
    weight is still 0 it keeps what it had)."""
    canvas, total, weight = planes
    rows, cols = tile.slices
    total[..., rows, cols] += w * out
    weight[..., rows, cols] += w
    have = weight[..., rows, cols]
    canvas[..., rows, cols] = torch.where(have > 0, total[..., rows, cols] / have.clamp_min(
        1e-12), canvas[..., rows, cols])


def _crop(t: torch.Tensor | None, tile: Tile) -> torch.Tensor | None:
    if t is None:
        return None
    rows, cols = tile.slices
    return t[..., rows, cols]


def inner_margins(tile: Tile, hw, margin: int) -> tuple[int, int, int, int]:
    """Pixels to leave out of the style loss on each side (top, bottom, left, right) of
    ``tile``: ``margin`` where a neighbour takes over, 0 on the image's border."""
    return (margin if tile.top > 0 else 0, margin if tile.top + tile.height < hw[0] else 0,
            margin if tile.left > 0 else 0, margin if tile.left + tile.width < hw[1] else 0)


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


def refine_tile(run: StyleRun, margins, start: torch.Tensor, content: torch.Tensor | None,
                style_loss: GramStyleLoss, schedule, watch: Watch) -> torch.Tensor:
    """One tile optimised from ``start`` against its content and the shared style targets,
    both on the features ``margins`` (:func:`inner_margins`) away from its inner edges."""
    inner = replace(run, encoder=InnerFeatures(run.encoder, margins),
                    forward=InnerFeatures(run.forward, margins))
    loss_fn = loss_function(inner, tile_content_targets(inner, content), style_loss)
    return optimize(start.to(run.device), loss_fn, schedule, watch).image


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
