"""``neural_style``: Gatys et al. style transfer by optimising the image, and its presets."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np
import torch

from ..errors import ParameterError
from . import checks, color
from .budget import check_plan
from .devices import check_precision, precision_context, resolve_device
from .estimates import warn_if_large
from .encoder import VGGEncoder
from .guided import region_guides
from .layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, deepest, layer_weights
from .losses import GramStyleLoss, blended_gram_targets, content_loss, tv_loss
from .optimize import NonFiniteLoss, optimize
from .plot import plot_loss_history
from .side_files import resolve, save_rescue, write_history, write_png
from .pyramid import fit_size, levels, run_pyramid, upsample
from .weights import load_features, preprocessing_for


class StyleResult(NamedTuple):
    """The stylised image (H x W x 3, or 4 with the content's alpha) and the loss history:
    one dict per iteration with ``iteration``, ``level`` and the weighted ``content``,
    ``style``, ``tv`` losses and their ``total``."""

    image: np.ndarray
    loss_history: list[dict]


def _to_tensor(a: np.ndarray, device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return t.permute(2, 0, 1)[None].to(device)


def _resize(t: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    if tuple(t.shape[-2:]) == tuple(hw):
        return t
    return torch.nn.functional.interpolate(t, size=hw, mode="bilinear", align_corners=False,
                                           antialias=True).clamp(0, 1)


class _Setup(NamedTuple):
    content: np.ndarray | None        # RGB, after colour preprocessing of the styles
    alpha: np.ndarray | None
    styles: list[np.ndarray]          # RGB (or luminance replicated to RGB)
    blend: list[float]
    content_w: dict[str, float]
    style_w: dict[str, float]
    luminance: bool


def _prepare(content, style, *, content_layers, style_layers, content_weight, style_weight,
             tv_weight, style_blend_weights, size, style_scale, init, init_image,
             original_colors, color_control, histogram_mode) -> _Setup:
    """Check the inputs and apply the colour preprocessing (histogram / luminance)."""
    checks.non_negative(content_weight=content_weight, style_weight=style_weight,
                        tv_weight=tv_weight)
    if not style_scale > 0:
        raise ParameterError("style_scale", f"must be > 0, got {style_scale!r}")
    checks.choice("init", init, checks.INIT_MODES)
    checks.choice("color_control", color_control, checks.COLOR_CONTROLS)
    checks.choice("histogram_mode", histogram_mode, color.HISTOGRAM_MODES)
    content_w = layer_weights(content_layers, "content_layers")
    style_w = layer_weights(style_layers, "style_layers")
    content_w = {k: v for k, v in content_w.items() if v > 0} if content_weight > 0 else {}
    style_w = {k: v for k, v in style_w.items() if v > 0} if style_weight > 0 else {}
    if not content_w and not style_w:
        raise ParameterError("style_weight", "nothing to optimise: the content and style "
                                             "losses both have weight 0")
    alpha = None
    if content is not None:
        content, alpha = checks.as_rgb(content, "content")
    elif content_w:
        raise ParameterError("content", "a content image is needed when content_weight > 0")
    elif size is None:
        raise ParameterError("size", "without a content image, give the output size")
    styles = [checks.as_rgb(s, "style")[0] for s in checks.style_list(style)]
    if style_w and not styles:
        raise ParameterError("style", "a style image is needed when style_weight > 0")
    blend = checks.blend_weights(style_blend_weights, len(styles))
    needs_content = {"init": init == "content", "original_colors": bool(original_colors),
                     "color_control": color_control != "none"}
    for field, needed in needs_content.items():
        if needed and content is None:
            raise ParameterError(field, "this needs a content image")
    if init == "style" and not styles:
        raise ParameterError("init", "init: style needs a style image")
    if (init == "image") != (init_image is not None):
        raise ParameterError("init_image" if init == "image" else "init",
                             "init: image and an init_image go together")
    if color_control == "histogram":
        styles = [color.match_color(s, content, histogram_mode) for s in styles]
    lum = color_control == "luminance"
    if lum:
        cy = color.luminance(content)
        styles = [np.repeat(color.match_luminance(color.luminance(s), cy)[..., None], 3, -1)
                  .astype(np.float32) for s in styles]
    return _Setup(content, alpha, styles, blend, content_w, style_w, lum)


def neural_style(content: np.ndarray | None, style=None, *, init_image: np.ndarray | None = None,
                 content_layers: Sequence[str] | Mapping[str, float] = DEFAULT_CONTENT_LAYERS,
                 style_layers: Sequence[str] | Mapping[str, float] = DEFAULT_STYLE_LAYERS,
                 content_weight: float = 1.0, style_weight: float = 3.0, tv_weight: float = 0.0,
                 style_blend_weights: Sequence[float] | None = None, pooling: str = "max",
                 size: int | tuple[int, int] | None = None, style_scale: float = 1.0,
                 init: str = "content", init_resize: bool = False, optimizer: str = "lbfgs",
                 learning_rate: float | None = None, iterations: int = 300,
                 tolerance: float = 0.0, window: int = 50, original_colors: bool = False,
                 color_control: str = "none", histogram_mode: str = "pca",
                 pyramid: Sequence[Sequence[int]] | None = None, snapshot_every: int = 0,
                 snapshot_dir: str | os.PathLike | None = None,
                 loss_plot: str | os.PathLike | None = None, weights: str = "original",
                 precision: str = "fp32", device: str = "auto", seed: int = 0,
                 progress: Callable[..., Any] | None = None, workdir=None,
                 channels_last: bool = False, sync_every: int = 1,
                 compile: bool = False, content_guides=None, style_guides=None,
                 guide_mode: str = "simple", guide_dilation: int = 0,
                 extra_loss: Callable | None = None) -> StyleResult:
    """Neural style transfer (Gatys, Ecker, Bethge 2016) by optimising the image's pixels.

    Parameters
    ----------
    content : ndarray or None
        H x W x C float image in [0, 1] (C = 1, 3 or 4; an alpha channel is passed
        through to the output).  None for texture synthesis (``content_weight=0``).
    style : ndarray or list of ndarray
        One style image or several, blended by ``style_blend_weights``.  May be None
        when ``style_weight=0`` (content reconstruction).
    init_image : ndarray, optional
        Starting image for ``init="image"``.
    content_layers, style_layers : list of str or {str: float}
        VGG19 layer names (relu1_1 ... relu5_4, conv1_1 ..., pool1 ...); a list gets
        equal weights 1/n, a mapping gives each layer its weight.
    content_weight, style_weight, tv_weight : float
        α, β, tv weight; scale-free losses (:mod:`.losses`), defaults: gallery/README.md.
    style_blend_weights : list of float, optional
        One weight per style image, normalised to sum to 1 (equal by default).
    pooling : {"max", "avg"}
    size : int, (rows, cols) or None
        Longest side of the output (or its exact shape); None (default): the content's.
    style_scale : float
        The style images are resized to ``style_scale`` x the output's longest side.
    init : {"content", "style", "noise", "white", "image"}
        Start from the content, the (resized) style, uniform white noise, a plain
        white canvas, or ``init_image``.
    init_resize : bool
        Stretch an ``init_image`` whose size is neither the content's nor the output's
        (otherwise that is an error naming both sizes).
    optimizer : {"lbfgs", "adam"}
    learning_rate : float, optional
        Default 1 for L-BFGS, 0.02 for Adam.
    iterations : int
        Loss evaluations (per level when ``pyramid`` is given).
    tolerance, window : float, int
        Stop early when the total loss changed by less than ``tolerance`` (relative)
        over the last ``window`` iterations; 0 disables it.
    original_colors : bool
        Post-hoc: keep the output's luminance and put back the content's chroma.
    color_control : {"none", "luminance", "histogram"}
        Gatys et al. 2017: optimise the luminance only and recombine the content's
        chroma exactly, or match the style's colour histogram (mean and covariance)
        to the content's before the transfer (``histogram_mode``: chol, pca, sym).
    pyramid : list of [size, iterations], optional
        Coarse to fine; each level starts from the upsampled previous result.
        Replaces ``size`` and ``iterations``.
    snapshot_every, snapshot_dir :
        Every N iterations write ``iter_NNNNN.png`` and ``loss_history.json`` into the folder
        (relative to ``workdir``; default ``workdir/snapshots``).  Ctrl-C writes the latest
        image and the history there (or into ``workdir``) before re-raising
        ``KeyboardInterrupt``.
    loss_plot : path, optional
        PNG of the loss curves (content, style, tv, total against iteration).
    weights : {"original", "imagenet", "random"} or path
        VGG19 weights (:mod:`imgfusion.style.weights`); the original (Caffe) one by default.
    precision : {"fp32", "tf32", "bf16"}
        TF32 or bf16 autocast are opt-ins on CUDA.
    device, seed, progress, workdir :
        Engine context: "auto" picks cuda, mps, cpu; ``seed`` drives the noise and random
        weights; ``progress(done, total, **info)``; the folder outputs are relative to.
    channels_last, sync_every, compile :
        Speed options (not operator parameters): channels-last memory format, reading
        the losses back from the device every N iterations only, ``torch.compile`` of
        the encoder.
    content_guides, style_guides, guide_mode, guide_dilation :
        Spatial control (Gatys et al. 2017, :mod:`imgfusion.style.guided`): R region
        guides at the content's size (R x H x W, or a list of H x W masks); region r takes
        the style of ``style[r]`` (one style image per region; ``style_blend_weights`` is
        not used), restricted to ``style_guides[r]`` (a mask at that style image's size, or
        None).  ``guide_mode`` (simple, all, inside) and ``guide_dilation`` (neurons, < 0
        erodes) carry the guides to each layer.  None (default): unguided.
    extra_loss : callable, optional
        ``extra_loss(x)`` -> a tensor added to the total (``x``: the image optimised).

    Returns
    -------
    StyleResult
        ``(image, loss_history)``.

    Raises
    ------
    ParameterError
        Bad input, naming the parameter.
    NonFiniteLoss
        The loss became NaN: names the iteration; ``.image`` is the last finite image
        (also written to ``workdir`` as ``nonfinite_last_good.png`` when there is one).
    """
    setup = _prepare(content, style, content_layers=content_layers, style_layers=style_layers,
                     content_weight=content_weight, style_weight=style_weight,
                     tv_weight=tv_weight, style_blend_weights=style_blend_weights, size=size,
                     style_scale=style_scale, init=init, init_image=init_image,
                     original_colors=original_colors, color_control=color_control,
                     histogram_mode=histogram_mode)
    regions = region_guides(content_guides, style_guides,
                            None if setup.content is None else setup.content.shape[:2],
                            [s.shape[:2] for s in setup.styles], guide_mode, guide_dilation)
    checks.choice("pooling", pooling, ("max", "avg"))
    checks.choice("optimizer", optimizer, ("lbfgs", "adam"))
    for name, value, low in (("iterations", iterations, 1), ("window", window, 1),
                             ("snapshot_every", snapshot_every, 0)):
        if int(value) < low:
            raise ParameterError(name, f"must be >= {low}, got {value!r}")
    checks.non_negative(tolerance=tolerance)
    if learning_rate is not None and not learning_rate > 0:
        raise ParameterError("learning_rate", f"must be > 0, got {learning_rate!r}")
    if init_image is not None:
        init_rgb = checks.as_rgb(init_image, "init_image")[0]
    dev = resolve_device(device)
    check_precision(precision, dev)
    plan = levels(pyramid, size, int(iterations))

    base_hw = (setup.content if setup.content is not None else setup.styles[0]).shape[:2]
    layers = list(dict.fromkeys([*setup.content_w, *setup.style_w]))
    final_hw = check_plan(base_hw, plan, styles=setup.styles, layers=layers,
                          style_layers=setup.style_w, style_scale=style_scale,
                          optimizer=optimizer, device=dev,
                          field="pyramid" if pyramid else ("content" if size is None else "size"))
    if init_image is not None:
        checks.init_image_size(init_rgb.shape[:2], base_hw, final_hw, init_resize)
    warn_if_large(final_hw, deepest(layers), plan[-1][1], optimizer, dev)

    state = load_features(weights, upto=deepest(layers) + 1, seed=seed)
    encoder = VGGEncoder(state, layers, pooling, preprocessing_for(weights)).to(dev)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        encoder = encoder.to(memory_format=memory_format)
    forward = torch.compile(encoder) if compile else encoder
    gen = torch.Generator().manual_seed(int(seed))
    snap_dir = resolve(snapshot_dir, workdir)
    if snapshot_every and snap_dir is None:
        if workdir is None:
            raise ParameterError("snapshot_dir", "snapshot_every needs a snapshot_dir")
        snap_dir = Path(workdir) / "snapshots"
    history: list[dict] = []
    lum = setup.luminance

    def finish(x: torch.Tensor, hw) -> np.ndarray:
        """Optimised tensor -> output RGB in [0, 1] (luminance recombined, colours kept)."""
        img = x.detach().float().clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()
        ref = (None if setup.content is None
               else _to_numpy(_resize(_to_tensor(setup.content, "cpu"), hw)))
        if lum:
            return color.combine_luminance(img[..., 0], ref)
        if original_colors:
            return color.original_colors(img, ref)
        return img.astype(np.float32)

    def to_input(x: torch.Tensor) -> torch.Tensor:
        x = x.expand(-1, 3, -1, -1) if lum else x
        return x.contiguous(memory_format=memory_format)

    def start_image(hw) -> torch.Tensor:
        channels = 1 if lum else 3
        if init == "noise":
            return torch.rand((1, channels, *hw), generator=gen).to(dev)
        if init == "white":
            return torch.ones((1, channels, *hw), device=dev)
        src = {"content": setup.content, "style": setup.styles[0] if setup.styles else None,
               "image": init_rgb if init_image is not None else None}[init]
        t = _resize(_to_tensor(src, dev), hw)
        return _luminance_rgb(t)[:, :1].contiguous() if lum else t

    def run_level(i: int, size_i, iters: int, prev: torch.Tensor | None) -> torch.Tensor:
        hw = fit_size(base_hw, size_i)
        with torch.no_grad(), precision_context(precision, dev):
            c_targets = {}
            if setup.content_w:
                c_img = _resize(_to_tensor(setup.content, dev), hw)
                if lum:
                    c_img = _luminance_rgb(c_img)
                c_targets = {k: v.float() for k, v in encoder(to_input(c_img)).items()}
            s_targets = {}
            if setup.style_w:
                style_hw = [fit_size(s.shape[:2], round(max(hw) * style_scale))
                            for s in setup.styles]
                feats = [encoder(to_input(_resize(_to_tensor(s, dev), shw)))
                         for s, shw in zip(setup.styles, style_hw)]
                s_targets = (blended_gram_targets(feats, setup.blend, setup.style_w)
                             if regions is None else feats)
        style_loss = (GramStyleLoss(s_targets, setup.style_w) if regions is None
                      else regions.loss(s_targets, hw, style_scale, setup.style_w, dev))
        zero = torch.zeros((), device=dev)

        def loss_fn(x: torch.Tensor) -> dict[str, torch.Tensor]:
            with precision_context(precision, dev):
                feats = forward(to_input(x))
            c = content_weight * content_loss(feats, c_targets, setup.content_w) \
                if setup.content_w else zero
            s = style_weight * style_loss(feats) if setup.style_w else zero
            t = tv_weight * tv_loss(x) if tv_weight > 0 else zero
            e = extra_loss(x) if extra_loss is not None else zero  # video_style's temporal loss
            return {"content": c, "style": s, "tv": t, "total": c + s + t + e}

        def on_snapshot(k: int, x: torch.Tensor) -> None:
            if snap_dir is not None:
                write_png(snap_dir / f"iter_{k:05d}.png", finish(x, hw))
                write_history(snap_dir / "loss_history.json", history)

        x0 = start_image(hw) if prev is None else upsample(prev, hw)
        done = sum(n for _, n in plan[:i])
        try:
            result = optimize(x0, loss_fn, optimizer=optimizer, learning_rate=learning_rate,
                              iterations=iters, tolerance=tolerance, window=int(window),
                              snapshot_every=int(snapshot_every), on_snapshot=on_snapshot,
                              progress=progress, sync_every=int(sync_every), start=done,
                              total=sum(n for _, n in plan), level=i, history=history)
        except NonFiniteLoss as exc:
            exc.image = finish(exc.image, hw)
            save_rescue(snap_dir, workdir, "nonfinite_last_good", exc.image, history, loss_plot)
            raise
        except KeyboardInterrupt as exc:
            exc.image = finish(exc.image, hw)
            save_rescue(snap_dir, workdir, "interrupted", exc.image, history, loss_plot)
            raise
        return result.image

    x = run_pyramid(plan, run_level)
    out = finish(x, final_hw)
    if setup.alpha is not None:
        a = _resize(torch.from_numpy(setup.alpha)[None, None], final_hw)[0, 0].numpy()
        out = np.concatenate([out, a[..., None]], axis=-1)
    plot = resolve(loss_plot, workdir)
    if plot is not None:
        plot_loss_history(history, plot)
    return StyleResult(np.ascontiguousarray(out, dtype=np.float32), history)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).cpu().numpy()


def _luminance_rgb(t: torch.Tensor) -> torch.Tensor:
    w = torch.tensor(color.RGB_TO_YIQ[0], dtype=t.dtype, device=t.device).view(1, 3, 1, 1)
    return (t * w).sum(1, keepdim=True).expand(-1, 3, -1, -1)


def content_reconstruction(content: np.ndarray, *, init: str = "noise", **kwargs) -> StyleResult:
    """Reconstruct the content from noise with the content loss alone (β = 0):
    :func:`neural_style` with ``style_weight=0`` and ``init="noise"``."""
    return neural_style(content, None, init=init, style_weight=0.0, **kwargs)


def texture_synthesis(style, *, size: int | tuple[int, int] = 256, init: str = "noise",
                      **kwargs) -> StyleResult:
    """Synthesise a texture from the style alone (α = 0): :func:`neural_style` with no
    content, ``content_weight=0``, ``init="noise"`` and an output ``size`` (the longest side
    with the first style image's aspect, or (rows, cols))."""
    return neural_style(None, style, init=init, content_weight=0.0, size=size, **kwargs)
