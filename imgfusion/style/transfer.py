"""``neural_style``: Gatys et al. style transfer by optimising the image, and its presets.

The function is a pipeline of the named pieces in :mod:`imgfusion.style.pipeline`:
prepare (checks, network), then per pyramid level its targets and its optimisation,
then the output image; the side files (snapshots, loss plot, rescue images) are
written here, by :class:`~imgfusion.style.side_files.SideFiles`, not inside the loop.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np
import torch

from ..signatures import forwards
from .layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from .optimize import NonFiniteLoss, StyleInterrupted
from .pipeline import Speed, StyleRun, finish, prepare, resize, run_level
from .pyramid import run_pyramid
from .side_files import SideFiles


class StyleResult(NamedTuple):
    """The stylised image (H x W x 3, or 4 with the content's alpha) and the loss history:
    one dict per iteration with ``iteration``, ``level`` and the weighted ``content``,
    ``style``, ``tv`` losses and their ``total``."""

    image: np.ndarray
    loss_history: list[dict]


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
                 speed: Speed = Speed(), content_guides=None, style_guides=None,
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
        image and the history there (or into ``workdir``) and raises
        :class:`~imgfusion.style.optimize.StyleInterrupted` (a ``KeyboardInterrupt``) with
        ``.image`` and ``.history``.
    loss_plot : path, optional
        PNG of the loss curves (content, style, tv, total against iteration).
    weights : {"original", "imagenet", "random"} or path
        VGG19 weights (:mod:`imgfusion.style.weights`); the original (Caffe) one by default.
    precision : {"fp32", "tf32", "bf16"}
        TF32 or bf16 autocast are opt-ins on CUDA.
    device, seed, progress, workdir :
        Engine context: "auto" picks cuda, mps, cpu; ``seed`` drives the noise and random
        weights; ``progress(done, total, **info)``; the folder outputs are relative to.
    speed : Speed
        The speed options, not operator parameters (:class:`~imgfusion.style.pipeline.Speed`):
        ``Speed(channels_last=True, sync_every=10, compile=True)``.
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
    options = {k: v for k, v in locals().items() if k not in ("content", "style", "speed")}
    run = prepare(content, style, speed, options)
    side = SideFiles(snapshot_every, snapshot_dir, loss_plot, workdir)
    history: list[dict] = []
    try:
        x = run_pyramid(run.plan, lambda i, size_i, iters, prev: run_level(
            run, speed, i, size_i, iters, prev, history,
            lambda k, x, hw: side.snapshot(k, lambda: finish(run, x, hw), history)))
    except NonFiniteLoss as exc:
        side.rescue("nonfinite_last_good", exc.image, history)
        raise
    except StyleInterrupted as exc:
        side.rescue("interrupted", exc.image, history)
        raise
    out = _with_alpha(run, finish(run, x, run.final_hw))
    side.plot(history)
    return StyleResult(np.ascontiguousarray(out, dtype=np.float32), history)


def _with_alpha(run: StyleRun, out: np.ndarray) -> np.ndarray:
    """The content's alpha, resized to the output, put back."""
    if run.setup.alpha is None:
        return out
    a = resize(torch.from_numpy(run.setup.alpha)[None, None], run.final_hw)[0, 0].numpy()
    return np.concatenate([out, a[..., None]], axis=-1)


@forwards(neural_style, exclude=("style_weight",))
def content_reconstruction(content: np.ndarray, *, init: str = "noise", **kwargs) -> StyleResult:
    """Reconstruct the content from noise with the content loss alone (β = 0):
    :func:`neural_style` with ``style_weight=0`` and ``init="noise"``."""
    return neural_style(content, None, init=init, style_weight=0.0, **kwargs)


@forwards(neural_style, exclude=("content_weight",))
def texture_synthesis(style, *, size: int | tuple[int, int] = 256, init: str = "noise",
                      **kwargs) -> StyleResult:
    """Synthesise a texture from the style alone (α = 0): :func:`neural_style` with no
    content, ``content_weight=0``, ``init="noise"`` and an output ``size`` (the longest side
    with the first style image's aspect, or (rows, cols))."""
    return neural_style(None, style, init=init, content_weight=0.0, size=size, **kwargs)
