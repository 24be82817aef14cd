"""The pieces :func:`~imgfusion.style.transfer.neural_style` is made of, in the order it
calls them: :func:`prepare` (check everything, load the network: a :class:`StyleRun`),
:func:`level_targets` (the content features and style loss at one pyramid level),
:func:`run_level` (optimise one level) and :func:`finish` (tensor -> output image).
Files are written by :class:`~imgfusion.style.side_files.SideFiles`, never here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

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
from .losses import GramStyleLoss, blended_gram_targets, content_loss, tv_loss
from .optimize import NonFiniteLoss, StyleInterrupted, optimize
from .prepare import Setup, check_inputs
from .pyramid import fit_size, levels, upsample
from .weights import load_features, preprocessing_for


@dataclass(frozen=True)
class Speed:
    """The speed options of one run, none of them an operator parameter: channels-last
    memory format, reading the losses back from the device every ``sync_every``
    iterations only, and ``torch.compile`` of the encoder."""

    channels_last: bool = False
    sync_every: int = 1
    compile: bool = False


@dataclass
class StyleRun:
    """Everything one optimisation needs once the inputs are checked."""

    setup: Setup
    options: dict[str, Any]    # the neural_style keywords the levels read
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

    def __getattr__(self, name: str) -> Any:  # the options, as attributes
        try:
            return self.__dict__["options"][name]
        except KeyError:
            raise AttributeError(name) from None


def _check_run_options(o: dict) -> None:
    check_choice(o["pooling"], "pooling", ("max", "avg"))
    check_choice(o["optimizer"], "optimizer", ("lbfgs", "adam"))
    for name, low in (("iterations", 1), ("window", 1), ("snapshot_every", 0)):
        if int(o[name]) < low:
            raise ParameterError(name, f"must be >= {low}, got {o[name]!r}")
    check_non_negative(tolerance=o["tolerance"])
    if o["learning_rate"] is not None and not o["learning_rate"] > 0:
        raise ParameterError("learning_rate", f"must be > 0, got {o['learning_rate']!r}")


def prepare(content, style, speed: Speed, o: dict) -> StyleRun:
    """Check the inputs and the plan (sizes, memory), load the weights: a ready run."""
    setup = check_inputs(content, style, o)
    regions = region_guides(o["content_guides"], o["style_guides"],
                            None if setup.content is None else setup.content.shape[:2],
                            [s.shape[:2] for s in setup.styles], o["guide_mode"],
                            o["guide_dilation"])
    _check_run_options(o)
    init_rgb = (None if o["init_image"] is None
                else checks.as_rgb(o["init_image"], "init_image")[0])
    dev = resolve_device(o["device"])
    check_precision(o["precision"], dev)
    plan = levels(o["pyramid"], o["size"], int(o["iterations"]))
    base_hw = (setup.content if setup.content is not None else setup.styles[0]).shape[:2]
    layers = list(dict.fromkeys([*setup.content_w, *setup.style_w]))
    field = "pyramid" if o["pyramid"] else ("content" if o["size"] is None else "size")
    final_hw = check_plan(base_hw, plan, styles=setup.styles, layers=layers,
                          style_layers=setup.style_w, style_scale=o["style_scale"],
                          optimizer=o["optimizer"], device=dev, field=field)
    if init_rgb is not None:
        checks.init_image_size(init_rgb.shape[:2], base_hw, final_hw, o["init_resize"])
    warn_if_large(final_hw, deepest(layers), plan[-1][1], o["optimizer"], dev)
    encoder, forward, memory_format = _network(o, layers, dev, speed)
    return StyleRun(setup, o, regions, dev, plan, base_hw, final_hw, encoder, forward,
                    memory_format, torch.Generator().manual_seed(int(o["seed"])), init_rgb)


def _network(o: dict, layers, dev, speed: Speed):
    state = load_features(o["weights"], upto=deepest(layers) + 1, seed=o["seed"])
    encoder = VGGEncoder(state, layers, o["pooling"], preprocessing_for(o["weights"])).to(dev)
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
    """Optimised tensor -> output RGB in [0, 1] (luminance recombined, colours kept)."""
    img = x.detach().float().clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()
    content = run.setup.content
    ref = None if content is None else resize(to_tensor(content, "cpu"), hw)[0].permute(
        1, 2, 0).cpu().numpy()
    if run.setup.luminance:
        return color.combine_luminance(img[..., 0], ref)
    if run.original_colors:
        return color.original_colors(img, ref)
    return img.astype(np.float32)


def start_image(run: StyleRun, hw) -> torch.Tensor:
    channels = 1 if run.setup.luminance else 3
    if run.init == "noise":
        return torch.rand((1, channels, *hw), generator=run.generator).to(run.device)
    if run.init == "white":
        return torch.ones((1, channels, *hw), device=run.device)
    setup = run.setup
    src = {"content": setup.content, "style": setup.styles[0] if setup.styles else None,
           "image": run.init_rgb}[run.init]
    t = resize(to_tensor(src, run.device), hw)
    return luminance_rgb(t)[:, :1].contiguous() if setup.luminance else t


def level_targets(run: StyleRun, hw) -> tuple[dict, Callable]:
    """(content features, style loss) of the content and style images at size ``hw``."""
    setup, dev = run.setup, run.device
    with torch.no_grad(), precision_context(run.precision, dev):
        c_targets = {}
        if setup.content_w:
            c_img = resize(to_tensor(setup.content, dev), hw)
            if setup.luminance:
                c_img = luminance_rgb(c_img)
            c_targets = {k: v.float() for k, v in run.encoder(to_input(run, c_img)).items()}
        s_targets = {}
        if setup.style_w:
            style_hw = [fit_size(s.shape[:2], round(max(hw) * run.style_scale))
                        for s in setup.styles]
            feats = [run.encoder(to_input(run, resize(to_tensor(s, dev), shw)))
                     for s, shw in zip(setup.styles, style_hw)]
            s_targets = (blended_gram_targets(feats, setup.blend, setup.style_w)
                         if run.regions is None else feats)
    style_loss = (GramStyleLoss(s_targets, setup.style_w) if run.regions is None
                  else run.regions.loss(s_targets, hw, run.style_scale, setup.style_w, dev))
    return c_targets, style_loss


def loss_function(run: StyleRun, c_targets: dict, style_loss: Callable) -> Callable:
    """x -> {"content", "style", "tv", "total"}, each already weighted."""
    setup, zero = run.setup, torch.zeros((), device=run.device)

    def loss_fn(x: torch.Tensor) -> dict[str, torch.Tensor]:
        with precision_context(run.precision, run.device):
            feats = run.forward(to_input(run, x))
        c = run.content_weight * content_loss(feats, c_targets, setup.content_w) \
            if setup.content_w else zero
        s = run.style_weight * style_loss(feats) if setup.style_w else zero
        t = run.tv_weight * tv_loss(x) if run.tv_weight > 0 else zero
        e = run.extra_loss(x) if run.extra_loss is not None else zero  # video's temporal loss
        return {"content": c, "style": s, "tv": t, "total": c + s + t + e}
    return loss_fn


def run_level(run: StyleRun, speed: Speed, i: int, size_i, iters: int,
              prev: torch.Tensor | None, history: list, on_snapshot) -> torch.Tensor:
    """Optimise pyramid level ``i`` from the upsampled ``prev`` (or the start image);
    ``on_snapshot(k, x, hw)`` is called every ``snapshot_every`` iterations."""
    hw = fit_size(run.base_hw, size_i)
    loss_fn = loss_function(run, *level_targets(run, hw))
    x0 = start_image(run, hw) if prev is None else upsample(prev, hw)
    try:
        result = optimize(x0, loss_fn, optimizer=run.optimizer,
                          learning_rate=run.learning_rate, iterations=iters,
                          tolerance=run.tolerance, window=int(run.window),
                          snapshot_every=int(run.snapshot_every),
                          on_snapshot=lambda k, x: on_snapshot(k, x, hw),
                          progress=run.progress, sync_every=int(speed.sync_every),
                          start=sum(n for _, n in run.plan[:i]),
                          total=sum(n for _, n in run.plan), level=i, history=history)
    except (NonFiniteLoss, StyleInterrupted) as exc:
        exc.image = finish(run, exc.image, hw)  # the output image, for the caller to keep
        raise
    return result.image
