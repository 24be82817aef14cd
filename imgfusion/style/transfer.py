"""``neural_style``: Gatys et al. style transfer by optimising the image, and its presets.

The function is a pipeline of the named pieces in :mod:`imgfusion.style.pipeline`:
prepare (checks, network), then per pyramid level its targets and its optimisation,
then the output image; the side files (snapshots, loss plot, rescue images) are
written here, by :class:`~imgfusion.style.side_files.SideFiles`, not inside the loop.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, NamedTuple

import numpy as np
import torch

from .optimize import NonFiniteLoss, StyleInterrupted
from .options import (Speed, StyleColor, StyleFiles, StyleGuides, StyleInit, StyleLosses,
                      StyleSchedule, flat_adapter)
from .pipeline import (StyleContext, StyleInputs, StyleRun, StyleSettings, finish, prepare,
                       resize, run_level)
from .pyramid import run_pyramid
from .side_files import SideFiles


class StyleResult(NamedTuple):
    """The stylised image (H x W x 3, or 4 with the content's alpha) and the loss history:
    one dict per iteration with ``iteration``, ``level`` and the weighted ``content``,
    ``style``, ``tv`` losses and their ``total``."""

    image: np.ndarray
    loss_history: list[dict]


def neural_style(content: np.ndarray | None, style=None, init_image: np.ndarray | None = None,
                 content_guides=None, style_guides=None, *,
                 size: int | tuple[int, int] | None = None,
                 losses: StyleLosses = StyleLosses(), schedule: StyleSchedule = StyleSchedule(),
                 files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                 init: StyleInit = StyleInit(), speed: Speed = Speed(),
                 guides: StyleGuides = StyleGuides(), device: str = "auto", seed: int = 0,
                 progress: Callable[..., Any] | None = None, workdir=None) -> StyleResult:
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
    content_guides, style_guides :
        Spatial control (Gatys et al. 2017, :mod:`imgfusion.style.guided`): R region
        guides at the content's size (R x H x W, or a list of H x W masks); region r takes
        the style of ``style[r]`` (one style image per region; ``style_blend_weights`` is
        not used), restricted to ``style_guides[r]`` (a mask at that style image's size, or
        None).  ``guides`` carries them to each layer.  None (default): unguided.
    size : int, (rows, cols) or None
        Longest side of the output (or its exact shape); None (default): the content's.
    losses : StyleLosses
        Layers, weights (α, β, tv; scale-free losses, :mod:`.losses`), style blend and
        scale, pooling and the VGG19 weights (:mod:`imgfusion.style.weights`).
    schedule : StyleSchedule
        Optimiser (L-BFGS or Adam), learning rate, iterations (per level), early stop
        (``tolerance`` over ``window`` iterations), coarse-to-fine ``pyramid``.
    files : StyleFiles
        Every ``snapshot_every`` iterations write ``iter_NNNNN.png`` and
        ``loss_history.json`` into ``snapshot_dir`` (relative to ``workdir``; default
        ``workdir/snapshots``).  Ctrl-C writes the latest image and the history there (or
        into ``workdir``) and raises :class:`~imgfusion.style.optimize.StyleInterrupted`
        (a ``KeyboardInterrupt``) with ``.image`` and ``.history``.  ``loss_plot``: PNG of
        the loss curves.
    color : StyleColor
        ``original_colors`` (post-hoc), or Gatys et al. 2017's ``color_control``:
        optimise the luminance only, or match the style's colour histogram to the
        content's before the transfer (``histogram_mode``).
    init : StyleInit
        Start from the content, the (resized) style, uniform white noise, a plain white
        canvas, or ``init_image`` (stretched with ``init_resize``).
    speed : Speed
        Precision (TF32 or bf16 autocast are opt-ins on CUDA), channels-last, reading the
        losses back every ``sync_every`` iterations, ``torch.compile``.
    guides : StyleGuides
        How ``content_guides`` and ``style_guides`` reach each layer.
    device, seed, progress, workdir :
        Engine context: "auto" picks cuda, mps, cpu; ``seed`` drives the noise and random
        weights; ``progress(done, total, **info)``; the folder outputs are relative to.

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
    settings = StyleSettings(size, losses, schedule, files, color, init, speed, guides)
    return stylise(StyleInputs(content, style, init_image, content_guides, style_guides),
                   settings, StyleContext(device, seed, progress), workdir)


def stylise(inputs: StyleInputs, settings: StyleSettings, context: StyleContext = StyleContext(),
            workdir=None) -> StyleResult:
    """:func:`neural_style` on its inputs, options and context as they travel inside the
    family (video adds its temporal loss as ``context.extra_loss``)."""
    run = prepare(inputs, settings, context)
    f = settings.files
    side = SideFiles(f.snapshot_every, f.snapshot_dir, f.loss_plot, workdir)
    history: list[dict] = []
    try:
        x = run_pyramid(run.plan, lambda i, size_i, iters, prev: run_level(
            run, i, size_i, iters, prev, history,
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


def content_reconstruction(content: np.ndarray, *, size: int | tuple[int, int] | None = None,
                           losses: StyleLosses = StyleLosses(),
                           schedule: StyleSchedule = StyleSchedule(),
                           files: StyleFiles = StyleFiles(),
                           init: StyleInit = StyleInit(init="noise"), speed: Speed = Speed(),
                           device: str = "auto", seed: int = 0, progress=None,
                           workdir=None) -> StyleResult:
    """Reconstruct the content from noise with the content loss alone (β = 0):
    :func:`neural_style` with ``style_weight=0`` (whatever ``losses`` says) and
    ``init="noise"``."""
    settings = StyleSettings(size, replace(losses, style_weight=0.0), schedule, files,
                             init=init, speed=speed)
    return stylise(StyleInputs(content), settings, StyleContext(device, seed, progress), workdir)


def texture_synthesis(style, *, size: int | tuple[int, int] = 256,
                      losses: StyleLosses = StyleLosses(),
                      schedule: StyleSchedule = StyleSchedule(), files: StyleFiles = StyleFiles(),
                      init: StyleInit = StyleInit(init="noise"), speed: Speed = Speed(),
                      device: str = "auto", seed: int = 0, progress=None,
                      workdir=None) -> StyleResult:
    """Synthesise a texture from the style alone (α = 0): :func:`neural_style` with no
    content, ``content_weight=0`` (whatever ``losses`` says), ``init="noise"`` and an output
    ``size`` (the longest side with the first style image's aspect, or (rows, cols))."""
    settings = StyleSettings(size, replace(losses, content_weight=0.0), schedule, files,
                             init=init, speed=speed)
    return stylise(StyleInputs(None, style), settings, StyleContext(device, seed, progress),
                   workdir)


# The registrations (plugin.py) name one Param per option and call these with flat keys.
neural_style_flat = flat_adapter(neural_style)
content_reconstruction_flat = flat_adapter(content_reconstruction)
texture_synthesis_flat = flat_adapter(texture_synthesis)
