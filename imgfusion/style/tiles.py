"""Style beyond memory: stylise at a size that fits, then refine larger in overlapping
tiles (Gatys et al. 2017's coarse-to-fine, Neural-Tile's re-stylised tiles, ProGamerGov's
blended tiling, crowsonkb's multi-scale style transfer).

1. :func:`coarse_side` is the largest output side, at most :data:`COARSE_SIDE`, whose
   untiled optimisation fits the memory budget; the ordinary pipeline stylises there.
2. Tiled levels (``tile_levels``): the full size halved ``tile_levels - 1`` times, then
   each doubling up to the full size.  Each level starts from the level before,
   upsampled: the canvas.  The full-size level may use only the shallower layers
   (``tile_depth``): the levels below have set the coarse structure, and the shallow
   layers cost a fraction of the deep ones per pixel.
3. A level's Gram targets are taken once, from the whole style image at the scale the
   level's output sees it, accumulated over windows of the style image
   (:func:`.tile_targets.style_targets`).
4. Each tile (:mod:`.tile_plan`) starts from the canvas under it, which already holds the
   refined neighbours in the overlap, and is optimised against its own content features
   and the shared style targets, on features away from its inner edges; its result joins
   a weighted sum with raised-cosine weights, and the canvas under it becomes the blend so
   far.  With ``tile_joint`` the level is instead optimised as one image
   whose every loss evaluation runs the tiles in turn and sums their blended gradients
   (:mod:`.tile_joint`).

Memory: one tile's optimisation plus a few full-size planes (:func:`.tile_plan.run_bytes`),
the largest over the levels.  Region guides, snapshots and a caller's extra loss (video)
are not tiled: a run that needs them must fit untiled.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from ..checks import check_image
from ..errors import ParameterError
from .checks import estimate_bytes, style_list
from . import budget
from .devices import resolve_device
from .layers import INDEX, deepest, pools_before
from .losses import GramStyleLoss
from .optimize import Watch, optimize
from .options import StyleSchedule
from .pipeline import (StyleContext, StyleInputs, StyleRun, StyleSettings, _network,
                       content_detail, finish, loss_function, prepare, resize, run_level,
                       to_tensor)
from .prepare import layer_weights_of
from .pyramid import fit_size, run_pyramid, upsample
from .tile_plan import (TILE_STEP, Tile, blend_weights, choose_tile, edge_margin,
                        memory_budget, overlap_pixels, plan_tiles, run_bytes)
from .tile_joint import joint_level
from .tile_targets import InnerFeatures, inner_margins, style_targets, tile_content_targets

COARSE_SIDE = 512      # Gatys et al. 2017 stylise at 512 px before refining larger
JOINT_TILE = 256       # the smallest tile worth a joint level: below, tile by tile
LBFGS_HISTORY = 100    # optimize.make_optimizer's history: a run keeps at most its iterations


@dataclass(frozen=True)
class Tiling:
    """Overrides of what the budget decides, for tests and benchmarks: the ``tile`` side and
    the ``coarse`` pass's longest side, in pixels (None: from the budget).  The budget
    (``speed.memory_limit``), the tiles' overlap and iterations are the run's options."""

    tile: int | None = None
    coarse: int | None = None


@dataclass
class TileLevel:
    """One tiled level: its size, tiles, the deepest VGG19 block its losses use, the
    estimated peak of its run and whether it is optimised jointly."""

    hw: tuple[int, int]
    tile: int
    overlap: int
    tiles: list[Tile]
    depth: int
    estimate: int
    joint: bool = False


@dataclass
class TilePlan:
    """What a tiled run decided before running: sizes, levels and the memory estimate (the
    largest level's); ``tile``, ``overlap`` and ``tiles`` are the full-size level's."""

    full_hw: tuple[int, int]
    coarse_side: int
    levels: list[TileLevel]
    budget: int

    @property
    def estimate(self) -> int:
        return max(level.estimate for level in self.levels)

    @property
    def tile(self) -> int:
        return self.levels[-1].tile

    @property
    def overlap(self) -> int:
        return self.levels[-1].overlap

    @property
    def tiles(self) -> list[Tile]:
        return self.levels[-1].tiles


def output_size(inputs: StyleInputs, settings: StyleSettings) -> tuple[int, int]:
    """The size the run's output will have."""
    field = "content" if inputs.content is not None else "style"
    base = inputs.content if inputs.content is not None else style_list(inputs.style)[0]
    last = settings.schedule.pyramid[-1][0] if settings.schedule.pyramid else settings.size
    return fit_size(check_image(base, field, grey_2d=True).shape[:2], last)


def within_depth(weights: dict, depth: int) -> dict:
    """The layers of ``weights`` in VGG19 blocks 1 ... ``depth``."""
    return {k: v for k, v in weights.items() if pools_before(k) < depth}


def layers_deepest(settings: StyleSettings, depth: int = 5) -> int:
    """Index of the deepest layer the losses use in blocks 1 ... ``depth``."""
    kept = [name for w in layer_weights_of(settings.losses) for name in within_depth(w, depth)]
    if not kept:
        raise ParameterError("tile_depth", f"no content or style layer lies in VGG19 blocks "
                                           f"1-{depth}: raise tile_depth")
    return deepest(kept)


def run_budget(settings: StyleSettings, device) -> int:
    """Bytes the run may use: ``speed.memory_limit``, or most of the device's free memory."""
    return memory_budget(settings.speed.memory_limit,
                         budget.available_memory(resolve_device(device)))


def fits_untiled(inputs, settings: StyleSettings, limit: int) -> bool:
    """Whether the run fits ``limit`` bytes without tiles."""
    hw = output_size(inputs, settings)
    return estimate_bytes(hw, layers_deepest(settings), settings.schedule.optimizer) <= limit


def tileable(inputs: StyleInputs, settings: StyleSettings, context: StyleContext) -> bool:
    """Whether a run can be tiled: no region guides, no extra loss (video), no snapshots."""
    return (inputs.content_guides is None and inputs.style_guides is None
            and context.extra_loss is None and not settings.files.snapshot_every)


def plan_if_too_large(inputs, settings: StyleSettings,
                      context: StyleContext) -> TilePlan | None:
    """The plan :func:`tiled_stylise` should run when this run does not fit untiled and
    can be tiled, else None (the untiled run's own memory check speaks); the budget is
    measured once for both decisions."""
    if not tileable(inputs, settings, context):
        return None
    limit = run_budget(settings, context.device)
    return None if fits_untiled(inputs, settings, limit) else make_plan(
        inputs, settings, context.device, limit=limit)


def coarse_side(full_hw, deepest_index: int, optimizer: str, limit: int) -> int:
    """The largest longest side <= :data:`COARSE_SIDE` whose untiled run fits ``limit``."""
    side = min(COARSE_SIDE, max(full_hw))
    while side > TILE_STEP:
        if estimate_bytes(fit_size(full_hw, side), deepest_index, optimizer) <= limit:
            return side
        side -= TILE_STEP
    need = estimate_bytes(fit_size(full_hw, TILE_STEP), deepest_index, optimizer)
    raise ParameterError("memory_limit", f"the budget of {limit / 2 ** 20:.0f} MiB is too "
                                         f"small: even a {TILE_STEP} px coarse pass needs "
                                         f"about {need / 2 ** 20:.0f} MiB")


def checked_overlap(schedule: StyleSchedule) -> float:
    """``tile_overlap``, checked against its declared range."""
    bounds = typing.get_type_hints(StyleSchedule, include_extras=True)["tile_overlap"]
    lo, hi = bounds.__metadata__[0].lo, bounds.__metadata__[0].hi
    if not lo <= schedule.tile_overlap <= hi:
        raise ParameterError("tile_overlap", f"must be in [{lo}, {hi}], "
                                             f"got {schedule.tile_overlap!r}")
    return schedule.tile_overlap


def level_sizes(full_hw, coarse: int, count: int) -> list[tuple[int, int]]:
    """The tiled levels' sizes: ``full_hw`` halved ``count - 1`` times ... ``full_hw``,
    without those no larger than the ``coarse`` pass."""
    halves = [fit_size(full_hw, round(max(full_hw) / 2 ** k)) for k in range(count - 1, 0, -1)]
    return [hw for hw in halves if max(hw) > coarse] + [tuple(full_hw)]


def level_history(schedule: StyleSchedule) -> int:
    """The L-BFGS history one optimisation of a tiled level keeps: at most its iterations."""
    return min(LBFGS_HISTORY, int(schedule.tile_iterations))


def make_level(hw, depth: int, settings: StyleSettings, limit: int, tile: int | None) -> TileLevel:
    """One tiled level at ``hw`` whose losses use blocks 1 ... ``depth``: joint when asked
    and its full-size state leaves room for a tile, else tile by tile; its tile (the
    largest that fits ``limit`` unless ``tile`` is given), overlap, tiles and estimate."""
    sched = settings.schedule
    d, opt, history = layers_deepest(settings, depth), sched.optimizer, level_history(sched)
    field = "memory_limit" if settings.speed.memory_limit else "size"
    joint = bool(sched.tile_joint) and fits_joint(hw, d, opt, history, limit)
    tile = tile or choose_tile(hw, d, opt, limit, field, history, joint)
    overlap = overlap_pixels(tile, checked_overlap(sched))
    return TileLevel(tuple(hw), tile, overlap, plan_tiles(hw, tile, overlap), depth,
                     run_bytes(hw, tile, d, opt, history, joint), joint)


def fits_joint(hw, deepest_index: int, optimizer: str, history: int, limit: int) -> bool:
    """Whether a joint level at ``hw`` fits ``limit`` with tiles of :data:`JOINT_TILE` px."""
    return run_bytes(hw, JOINT_TILE, deepest_index, optimizer, history, True) <= limit


def make_plan(inputs, settings: StyleSettings, device, tiling: Tiling = Tiling(),
              limit: int | None = None) -> TilePlan:
    """Sizes, levels, tiles and memory of a tiled run within ``limit`` bytes (None: the
    run's budget on ``device``), decided before anything runs."""
    limit = limit or run_budget(settings, device)
    full_hw, sched = output_size(inputs, settings), settings.schedule
    coarse = tiling.coarse or coarse_side(full_hw, layers_deepest(settings), sched.optimizer,
                                          limit)
    sizes = level_sizes(full_hw, coarse, int(sched.tile_levels))
    depths = [5] * (len(sizes) - 1) + [int(sched.tile_depth)]
    return TilePlan(full_hw, coarse, [make_level(hw, d, settings, limit, tiling.tile)
                                      for hw, d in zip(sizes, depths)], limit)


def coarse_settings(settings: StyleSettings, side: int) -> StyleSettings:
    """``settings`` for the coarse pass: the output side ``side``, and of a pyramid only
    the levels no larger."""
    pyramid = settings.schedule.pyramid
    kept = [lvl for lvl in pyramid or [] if lvl[0] <= side] or None
    return replace(settings, size=side, schedule=replace(settings.schedule, pyramid=kept))


def tiled_stylise(inputs: StyleInputs, settings: StyleSettings,
                  context: StyleContext = StyleContext(), tiling: Tiling = Tiling(),
                  on_plan: Callable[[TilePlan], None] | None = None,
                  plan: TilePlan | None = None):
    """Stylise coarse, then refine level by level, tile by tile: ``(image, history)``.

    ``plan``: a :func:`make_plan` already made (None: made here).  ``on_plan(plan)`` is
    called with the :class:`TilePlan` before the optimisation starts.
    """
    if not tileable(inputs, settings, context):
        raise ParameterError("memory_limit", "region guides, video's temporal loss and "
                                             "snapshots are not tiled: this run must fit "
                                             "untiled (raise memory_limit or lower size)")
    plan = plan or make_plan(inputs, settings, context.device, tiling)
    if on_plan is not None:
        on_plan(plan)
    run = prepare(inputs, coarse_settings(settings, plan.coarse_side), context)
    history: list[dict] = []
    coarse = run_pyramid(run.plan, lambda i, size_i, iters, prev: run_level(
        run, i, size_i, iters, prev, history, lambda *_: None))
    x = refine(run, coarse.detach().cpu(), plan, history)
    return with_alpha(run, finish(run, x, plan.full_hw), plan.full_hw), history


def with_alpha(run: StyleRun, out: np.ndarray, hw) -> np.ndarray:
    """The content's alpha, resized to ``hw``, appended to ``out``."""
    if run.setup.alpha is None:
        return out
    a = resize(torch.from_numpy(run.setup.alpha)[None, None], hw)[0, 0].numpy()
    return np.concatenate([out, a[..., None]], axis=-1)


class Ticker:
    """Counts the optimisations of the tiled levels (a tile each, or a joint level each):
    each one's loss history is its own level (after the coarse pass's), and ``progress``
    hears of each tile."""

    def __init__(self, run: StyleRun, plan: TilePlan):
        self.progress, self.first = run.context.progress, len(run.plan)
        self.done = 0
        self.total = sum(1 if level.joint else len(level.tiles) for level in plan.levels)

    def level(self) -> int:
        return self.first + self.done

    def __call__(self, **info) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, **info)


def depth_content(setup, depth: int) -> dict:
    """The content layers in blocks 1 ... ``depth``; when the run has content layers but
    none there, the deepest style layer there carries their whole weight (the content
    still holds the tile, at the deepest features the level computes)."""
    kept = within_depth(setup.content_w, depth)
    style = within_depth(setup.style_w, depth)
    if kept or not setup.content_w or not style:
        return kept
    return {max(style, key=INDEX.__getitem__): sum(setup.content_w.values())}


def level_run(run: StyleRun, depth: int) -> StyleRun:
    """``run`` with only the layers in VGG19 blocks 1 ... ``depth``, and a network that
    stops after the deepest of them."""
    setup = run.setup
    content_w, style_w = depth_content(setup, depth), within_depth(setup.style_w, depth)
    if (content_w, style_w) == (setup.content_w, setup.style_w):
        return run
    s = run.settings
    encoder, forward, _ = _network(s.losses, [*content_w, *style_w], run.device, s.speed,
                                   run.context.seed)
    return replace(run, setup=setup._replace(content_w=content_w, style_w=style_w),
                   encoder=encoder, forward=forward)


def refine(run: StyleRun, canvas: torch.Tensor, plan: TilePlan, history: list) -> torch.Tensor:
    """The coarse result (CPU, 1 x C x h x w) refined level by level: the full-size output."""
    tick = Ticker(run, plan)
    for level in plan.levels:
        start = upsample(canvas, level.hw) + content_detail(run, canvas.shape[-2:], level.hw)
        canvas = refine_level(level_run(run, level.depth), start.clamp(0, 1), level, history,
                              tick)
    return canvas


def refine_level(run: StyleRun, canvas: torch.Tensor, level: TileLevel, history: list,
                 tick: Ticker) -> torch.Tensor:
    """``canvas`` (the level's size) refined: jointly, or one tile after another."""
    gram_loss = GramStyleLoss(style_targets(run, level.hw, level.tile), run.setup.style_w)
    content = (None if run.setup.content is None
               else resize(to_tensor(run.setup.content, "cpu"), level.hw))
    sched = run.settings.schedule
    schedule = replace(sched, iterations=int(sched.tile_iterations), pyramid=None)
    if not level.joint:
        return tile_pass(run, canvas, level, (content, gram_loss, schedule),
                         (history, tick))
    watch = Watch(progress=run.context.progress, level=tick.level(), history=history)
    canvas = joint_level(run, canvas, level, (content, gram_loss), watch, schedule)
    tick(level=list(level.hw))
    return canvas


def tile_pass(run: StyleRun, canvas: torch.Tensor, level: TileLevel, targets,
              record) -> torch.Tensor:
    """One pass over the level's tiles, each started from the canvas under it and
    blended in: the blend (the canvas, updated in place)."""
    content, gram_loss, schedule = targets
    history, tick = record
    total = torch.zeros_like(canvas)
    weight = torch.zeros((1, 1, *level.hw))
    for tile in level.tiles:
        rows, cols = tile.slices
        margins = inner_margins(tile, level.hw, edge_margin(level.overlap))
        out = refine_tile(run, margins, canvas[..., rows, cols], _crop(content, tile),
                          gram_loss, schedule, Watch(level=tick.level(), history=history))
        w = torch.from_numpy(blend_weights(tile, level.hw, level.overlap))[None, None]
        blend_in(tile, out.cpu(), w, (canvas, total, weight))
        tick(tile=tile._asdict())
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


def refine_tile(run: StyleRun, margins, start: torch.Tensor, content: torch.Tensor | None,
                style_loss: GramStyleLoss, schedule, watch: Watch) -> torch.Tensor:
    """One tile optimised from ``start`` against its content and the shared style targets,
    both on the features ``margins`` (:func:`.tile_targets.inner_margins`) away from its
    inner edges."""
    inner = replace(run, encoder=InnerFeatures(run.encoder, margins),
                    forward=InnerFeatures(run.forward, margins))
    loss_fn = loss_function(inner, tile_content_targets(inner, content), style_loss)
    return optimize(start.to(run.device), loss_fn, schedule, watch).image
