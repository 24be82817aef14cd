"""The pieces :func:`~imgfusion.style.transfer.neural_style` is made of, in the order it
calls them: :func:`prepare` (check everything, load the network: a :class:`StyleRun`),
:func:`level_targets` (the content features and style loss at one pyramid level),
:func:`run_level` (optimise one level) and :func:`finish` (tensor -> output image).
Files are written by :class:`~imgfusion.style.side_files.SideFiles`, never here."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, NamedTuple, get_args

import numpy as np
import torch

from ..checks import check_choice, check_non_negative
from ..errors import ParameterError
from . import checks, color
from .budget import check_plan
from .devices import check_precision, precision_context, resolve_device
from .encoder import VGGEncoder
from .estimates import warn_if_large
from .guided import region_guides
from .layers import deepest
from .losses import (GramStyleLoss, blended_gram_targets, content_loss, grid_for, range_loss,
                     tv_loss)
from .optimize import NonFiniteLoss, StyleInterrupted, Watch, optimize
from .options import (Optimizer, Pooling, Speed, StyleColor, StyleFiles, StyleGuides, StyleInit,
                      StyleLosses, StyleSchedule, with_quality)
from .prepare import Setup, check_inputs
from .pyramid import coarse_to_fine, fit_size, levels, upsample
from .weights import load_features, preprocessing_for


class StyleInputs(NamedTuple):
    """The images of one run: content, style(s), the start image, region guides."""

    content: Any
    style: Any = None
    init_image: Any = None
    content_guides: Any = None
    style_guides: Any = None


class StyleContext(NamedTuple):
    """What the caller supplies besides options: device, seed, ``progress(done, total,
    **info)``, and a loss term ``extra_loss(x)`` added to the total (video's temporal loss)."""

    device: str = "auto"
    seed: int = 0
    progress: Callable | None = None
    extra_loss: Callable | None = None


@dataclass(frozen=True)
class StyleSettings:
    """The options of one run: the output size and the option groups."""

    size: Any = None
    losses: StyleLosses = StyleLosses()
    schedule: StyleSchedule = StyleSchedule()
    files: StyleFiles = StyleFiles()
    color: StyleColor = StyleColor()
    init: StyleInit = StyleInit()
    speed: Speed = Speed()
    guides: StyleGuides = StyleGuides()


@dataclass
class StyleRun:
    """Everything one optimisation needs once the inputs are checked."""

    setup: Setup
    settings: StyleSettings
    context: StyleContext
    regions: Any               # region guides (guided style) or None
    device: torch.device
    plan: list                 # [(size, iterations)] per level
    base_hw: tuple[int, int]
    final_hw: tuple[int, int]
    encoder: torch.nn.Module
    forward: Callable
    memory_format: torch.memory_format
    generator: torch.Generator
    init_rgb: np.ndarray | None


def _check_run_options(s: StyleSettings) -> None:
    sched = s.schedule
    check_choice(s.losses.pooling, "pooling", get_args(Pooling))
    check_choice(sched.optimizer, "optimizer", get_args(Optimizer))
    for name, value, low in (("iterations", sched.iterations, 1), ("window", sched.window, 1),
                             ("snapshot_every", s.files.snapshot_every, 0)):
        if int(value) < low:
            raise ParameterError(name, f"must be >= {low}, got {value!r}")
    check_non_negative(tolerance=sched.tolerance)
    if sched.learning_rate is not None and not sched.learning_rate > 0:
        raise ParameterError("learning_rate", f"must be > 0, got {sched.learning_rate!r}")


def _regions(inputs: StyleInputs, setup: Setup, guides: StyleGuides):
    return region_guides(inputs.content_guides, inputs.style_guides,
                         None if setup.content is None else setup.content.shape[:2],
                         [s.shape[:2] for s in setup.styles], guides.guide_mode,
                         guides.guide_dilation)


def prepare(inputs: StyleInputs, s: StyleSettings, ctx: StyleContext) -> StyleRun:
    """Check the inputs and the plan (sizes, memory), load the weights: a ready run (its
    schedule with the ``quality`` preset filled in)."""
    s = replace(s, schedule=with_quality(s.schedule))
    setup = check_inputs(inputs, s)
    regions = _regions(inputs, setup, s.guides)
    _check_run_options(s)
    init_rgb = (None if inputs.init_image is None
                else checks.as_rgb(inputs.init_image, "init_image")[0])
    dev = resolve_device(ctx.device)
    check_precision(s.speed.precision, dev)
    base_hw = (setup.content if setup.content is not None else setup.styles[0]).shape[:2]
    plan = coarse_to_fine(levels(s.schedule.pyramid, s.size, int(s.schedule.iterations)),
                          base_hw, int(s.schedule.coarse_to_fine))
    layers = list(dict.fromkeys([*setup.content_w, *setup.style_w]))
    field = "pyramid" if s.schedule.pyramid else ("content" if s.size is None else "size")
    final_hw = check_plan(base_hw, plan, styles=setup.styles, layers=layers,
                          style_layers=setup.style_w, style_scale=s.losses.style_scale,
                          optimizer=s.schedule.optimizer, device=dev, field=field)
    if init_rgb is not None:
        checks.init_image_size(init_rgb.shape[:2], base_hw, final_hw, s.init.init_resize)
    warn_if_large(final_hw, deepest(layers), plan[-1][1], s.schedule.optimizer, dev)
    encoder, forward, memory_format = _network(s.losses, layers, dev, s.speed, ctx.seed)
    return StyleRun(setup, s, ctx, regions, dev, plan, base_hw, final_hw, encoder, forward,
                    memory_format, torch.Generator().manual_seed(int(ctx.seed)), init_rgb)


def _network(losses: StyleLosses, layers, dev, speed: Speed, seed: int):
    state = load_features(losses.weights, upto=deepest(layers) + 1, seed=seed)
    encoder = VGGEncoder(state, layers, losses.pooling,
                         preprocessing_for(losses.weights)).to(dev)
    memory_format = torch.channels_last if speed.channels_last else torch.contiguous_format
    if speed.channels_last:
        encoder = encoder.to(memory_format=memory_format)
    forward = torch.compile(encoder) if speed.compile else encoder
    return encoder, forward, memory_format


def to_tensor(a: np.ndarray, device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return t.permute(2, 0, 1)[None].to(device)


def resize(t: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    if tuple(t.shape[-2:]) == tuple(hw):
        return t
    return torch.nn.functional.interpolate(t, size=hw, mode="bilinear", align_corners=False,
                                           antialias=True).clamp(0, 1)


def luminance_rgb(t: torch.Tensor) -> torch.Tensor:
    w = torch.tensor(color.RGB_TO_YIQ[0], dtype=t.dtype, device=t.device).view(1, 3, 1, 1)
    return (t * w).sum(1, keepdim=True).expand(-1, 3, -1, -1)


def to_input(run: StyleRun, x: torch.Tensor) -> torch.Tensor:
    x = x.expand(-1, 3, -1, -1) if run.setup.luminance else x
    return x.contiguous(memory_format=run.memory_format)


def finish(run: StyleRun, x: torch.Tensor, hw) -> np.ndarray:
    """Optimised tensor -> output RGB in [0, 1] (luminance recombined, colours kept; grey
    inputs: the luminance in all three channels)."""
    img = x.detach().float().clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()
    if run.setup.grey:
        return np.repeat(img[..., :1], 3, axis=-1).astype(np.float32)
    content = run.setup.content
    ref = None if content is None else resize(to_tensor(content, "cpu"), hw)[0].permute(
        1, 2, 0).cpu().numpy()
    if run.setup.luminance:
        return color.combine_luminance(img[..., 0], ref)
    if run.settings.color.original_colors:
        return color.original_colors(img, ref)
    return img.astype(np.float32)


def start_image(run: StyleRun, hw) -> torch.Tensor:
    channels = 1 if run.setup.luminance else 3
    init = run.settings.init.init
    if init == "noise":
        return torch.rand((1, channels, *hw), generator=run.generator).to(run.device)
    if init == "white":
        return torch.ones((1, channels, *hw), device=run.device)
    setup = run.setup
    src = {"content": setup.content, "style": setup.styles[0] if setup.styles else None,
           "image": run.init_rgb}[init]
    t = resize(to_tensor(src, run.device), hw)
    return luminance_rgb(t)[:, :1].contiguous() if setup.luminance else t


def with_content_detail(run: StyleRun, prev: torch.Tensor, hw) -> torch.Tensor:
    """``prev`` (the level below) upsampled to ``hw`` plus the content's detail it could not
    hold: the content at ``hw`` minus the content brought to ``prev``'s size and back."""
    up = upsample(prev, hw)
    if run.setup.content is None or not run.setup.content_w:
        return up
    c = resize(to_tensor(run.setup.content, run.device), hw)
    detail = c - resize(resize(c, tuple(prev.shape[-2:])), hw)
    if run.setup.luminance:
        detail = luminance_rgb(detail)[:, :1]
    return (up + detail.to(up.dtype)).clamp(0, 1).contiguous()


def content_detail(run: StyleRun, low_hw, hw) -> torch.Tensor | float:
    """What upsampling from ``low_hw`` to ``hw`` loses of the content: the content at
    ``hw`` less its version at ``low_hw`` upsampled (0 without a content image).  Added to
    the upsampled canvas, it gives the tiles the content's fine detail to start from,
    which the coarse pass could not hold (grey inputs: its luminance, the canvas's one
    channel; with color_control luminance, 0)."""
    if run.setup.content is None or (run.setup.luminance and not run.setup.grey):
        return 0.0
    content = to_tensor(run.setup.content, "cpu")
    detail = resize(content, hw) - upsample(resize(content, tuple(low_hw)), hw)
    return luminance_rgb(detail)[:, :1] if run.setup.grey else detail


def level_targets(run: StyleRun, hw) -> tuple[dict, Callable]:
    """(content features, style loss) of the content and style images at size ``hw``."""
    setup, dev, scale = run.setup, run.device, run.settings.losses.style_scale
    with torch.no_grad(), precision_context(run.settings.speed.precision, dev):
        c_targets = {}
        if setup.content_w:
            c_img = resize(to_tensor(setup.content, dev), hw)
            if setup.luminance:
                c_img = luminance_rgb(c_img)
            c_targets = {k: v.float() for k, v in run.encoder(to_input(run, c_img)).items()}
        s_targets = {}
        if setup.style_w:
            style_hw = [fit_size(s.shape[:2], round(max(hw) * scale))
                        for s in setup.styles]
            feats = [run.encoder(to_input(run, resize(to_tensor(s, dev), shw)))
                     for s, shw in zip(setup.styles, style_hw)]
            s_targets = (blended_gram_targets(feats, setup.blend, setup.style_w)
                         if run.regions is None else feats)
    opts = run.settings.losses
    style_loss = (GramStyleLoss(s_targets, setup.style_w, grid=grid_for(opts.style_grid, hw),
                                power=opts.style_grid_power)
                  if run.regions is None
                  else run.regions.loss(s_targets, hw, scale, setup.style_w, dev))
    return c_targets, style_loss


def loss_function(run: StyleRun, c_targets: dict, style_loss: Callable) -> Callable:
    """x -> {"content", "style", "tv", "total"}, each already weighted; the total also
    holds the range penalty and any extra loss (video's temporal loss)."""
    setup, zero = run.setup, torch.zeros((), device=run.device)
    w, extra = run.settings.losses, run.context.extra_loss

    def loss_fn(x: torch.Tensor) -> dict[str, torch.Tensor]:
        with precision_context(run.settings.speed.precision, run.device):
            feats = run.forward(to_input(run, x))
        c = w.content_weight * content_loss(feats, c_targets, setup.content_w) \
            if setup.content_w else zero
        s = w.style_weight * style_loss(feats) if setup.style_w else zero
        t = w.tv_weight * tv_loss(x) if w.tv_weight > 0 else zero
        e = extra(x) if extra is not None else zero  # video's temporal loss
        r = w.range_weight * range_loss(x) if w.range_weight > 0 else zero
        return {"content": c, "style": s, "tv": t, "total": c + s + t + e + r}
    return loss_fn


def run_level(run: StyleRun, i: int, size_i, iters: int, prev: torch.Tensor | None,
              history: list, on_snapshot) -> torch.Tensor:
    """Optimise pyramid level ``i`` from the upsampled ``prev`` (or the start image);
    ``on_snapshot(k, x, hw)`` is called every ``snapshot_every`` iterations."""
    hw = fit_size(run.base_hw, size_i)
    loss_fn = loss_function(run, *level_targets(run, hw))
    x0 = (start_image(run, hw) if prev is None else with_content_detail(run, prev, hw)
          if run.settings.schedule.content_detail else upsample(prev, hw))
    watch = Watch(progress=run.context.progress, on_snapshot=lambda k, x: on_snapshot(k, x, hw),
                  snapshot_every=int(run.settings.files.snapshot_every),
                  sync_every=int(run.settings.speed.sync_every),
                  start=sum(n for _, n in run.plan[:i]), total=sum(n for _, n in run.plan),
                  level=i, history=history)
    sched = run.settings.schedule
    schedule = replace(sched, iterations=iters, window=int(sched.window))
    try:
        result = optimize(x0, loss_fn, schedule, watch)
    except (NonFiniteLoss, StyleInterrupted) as exc:
        exc.image = finish(run, exc.image, hw)  # the output image, for the caller to keep
        raise
    return result.image
