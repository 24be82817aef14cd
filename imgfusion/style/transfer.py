"""``neural_style``: Gatys et al. style transfer by optimising the image, and its presets.

The function is a pipeline of the named pieces in :mod:`imgfusion.style.pipeline`:
prepare (checks, network), then per pyramid level its targets and its optimisation,
then the output image; the side files (snapshots, loss plot, rescue images) are
written here, by :class:`~imgfusion.style.side_files.SideFiles`, not inside the loop.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated, NamedTuple

import numpy as np

from ..operators import (Data, Device, Fields, Image, Images, Progress, Seed, WorkDir,
                         operator)
from .optimize import NonFiniteLoss, StyleInterrupted
from .checks import check_content_reconstruction, check_style, check_texture_synthesis
from .options import (OutputSize, Speed, StyleColor, StyleFiles, StyleInit, StyleLosses,
                      StyleSchedule)
from .pipeline import StyleContext, StyleInputs, StyleSettings, finish, prepare, run_level
from . import tiles
from .pyramid import run_pyramid
from .side_files import SideFiles


class StyleResult(NamedTuple):
    """The stylised image and its loss history.

    Attributes
    ----------
    image
        the stylised image (H x W x 3, or 4 with the content's alpha)
    loss_history
        per iteration: iteration, level and the weighted content, style, tv and total
        losses
    """

    image: Image
    loss_history: Data


@operator(check=check_style, goes_with={"init_image": ("init", "image")},
          shape_check="imgfusion.style.budget:plan_fits")
def neural_style(content: Image, style: Images = None, init_image: Image | None = None, *,
                 size: OutputSize = None,
                 losses: StyleLosses = StyleLosses(), schedule: StyleSchedule = StyleSchedule(),
                 files: StyleFiles = StyleFiles(), color: StyleColor = StyleColor(),
                 init: StyleInit = StyleInit(), speed: Speed = Speed(), device: Device = "auto",
                 seed: Seed = 0, progress: Progress = None,
                 workdir: WorkDir = None) -> StyleResult:
    """Gatys et al. neural style transfer: optimise an image to match content and style VGG19 features.

    Neural style transfer (Gatys, Ecker, Bethge 2016) by optimising the image's pixels.
    The option groups (``losses``, ``schedule``, ``files``, ``color``, ``init``, ``speed``;
    :mod:`imgfusion.style.options`) are flat keys in a recipe (``style_weight: 3``).
    Spatial control (region guides) is :func:`imgfusion.masked.spatial_style.masked_style`
    (``method: guided`` or ``regions``), through :func:`stylise`.

    Parameters
    ----------
    content
        the photograph whose layout is kept.  Grey in, grey out: when it and every style
        image are grey (H x W, or three channels equal within 1/255), only the luminance
        is optimised and the result is grey (R = G = B); a colour style, or a coloured
        init_image, makes a colour run
    style
        one style image or a list (style_blend_weights)
    init_image
        starting image for init: image (a coloured one on grey inputs: a colour run)
    size
        longest side of the output, or [rows, cols]; null (default) keeps the content's
        size
    losses : StyleLosses
        Layers, weights (α, β, tv; scale-free losses, :mod:`.losses`), style blend and
        scale, pooling and the VGG19 weights (:mod:`imgfusion.style.weights`).  Here
        style_grid 4 and style_grid_power 2 by default, so the style covers the whole
        picture: on five pairs at 256 px the worst of 16 tiles came within 1.3-1.9x the
        median (1.2-3.3x with the mean over a 2 x 2 grid), for a content distance 2-30 %
        higher (bench/evenness.py)
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
        losses back every ``sync_every`` iterations, ``torch.compile``; ``memory_limit``:
        an output whose optimisation needs more is stylised at a size that fits, then
        refined at full size in overlapping tiles (``tile_iterations``, ``tile_overlap``).
    device, seed, progress, workdir
        Engine context: "auto" picks cuda, mps, cpu; ``seed`` drives the noise and random
        weights; ``progress(done, total, **info)``; the folder outputs are relative to.

    Notes
    -----
    ``content`` is H x W x C float in [0, 1] (C = 1, 3 or 4; an alpha channel is passed
    through to the output).  ``style`` may be None from Python when ``style_weight=0``.

    Raises
    ------
    ParameterError
        Bad input, naming the parameter.
    NonFiniteLoss
        The loss became NaN: names the iteration; ``.image`` is the last finite image
        (also written to ``workdir`` as ``nonfinite_last_good.png`` when there is one).
    """
    settings = StyleSettings(size, losses, schedule, files, color, init, speed)
    return stylise(StyleInputs(content, style, init_image), settings,
                   StyleContext(device, seed, progress), workdir)


def stylise(inputs: StyleInputs, settings: StyleSettings, context: StyleContext = StyleContext(),
            workdir=None) -> StyleResult:
    """:func:`neural_style` on its inputs, options and context as they travel inside the
    family: region guides (``inputs.content_guides``/``style_guides``, Gatys 2017,
    :mod:`imgfusion.style.guided`; ``settings.guides`` carries them to each layer) come
    from masked_style, the temporal loss (``context.extra_loss``) from video_style.  A run
    larger than ``speed.memory_limit`` is tiled (:func:`.tiles.tiled_stylise`)."""
    plan = tiles.plan_if_too_large(inputs, settings, context)
    if plan is not None:
        image, history = tiles.tiled_stylise(inputs, settings, context, plan=plan)
        return StyleResult(np.ascontiguousarray(image, dtype=np.float32), history)
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
    out = tiles.with_alpha(run, finish(run, x, run.final_hw), run.final_hw)
    side.plot(history)
    return StyleResult(np.ascontiguousarray(out, dtype=np.float32), history)


# The presets' loss options: the other loss's layers and weight are not theirs.
CONTENT_LOSSES = Fields("content_layers", "content_weight", "tv_weight", "range_weight",
                        "pooling", "weights")
STYLE_LOSSES = Fields("style_layers", "style_weight", "style_grid", "style_grid_power",
                      "style_blend_weights", "style_scale", "tv_weight", "range_weight",
                      "pooling", "weights")


@operator(check=check_content_reconstruction)
def content_reconstruction(content: Image, *, size: OutputSize = None,
                           losses: Annotated[StyleLosses, CONTENT_LOSSES] = StyleLosses(),
                           schedule: StyleSchedule = StyleSchedule(),
                           files: StyleFiles = StyleFiles(),
                           init: Annotated[StyleInit, Fields("init")] = StyleInit(init="noise"),
                           speed: Speed = Speed(),
                           device: Device = "auto", seed: Seed = 0, progress: Progress = None,
                           workdir: WorkDir = None) -> StyleResult:
    """Reconstruct an image from noise using its VGG19 features at the content layers (style weight 0).

    :func:`neural_style` with ``style_weight=0`` (whatever ``losses`` says) and
    ``init="noise"``.

    Parameters
    ----------
    content
        the image to reconstruct; a grey one (H x W, or channels equal within 1/255) is
        reconstructed grey, its luminance alone optimised
    size
        longest side of the output, or [rows, cols]; null (default) keeps the content's
        size
    losses, schedule, files, init, speed
        as for neural_style (of losses and init, the fields the preset uses)
    device, seed, progress, workdir
        engine context, as for neural_style
    """
    settings = StyleSettings(size, replace(losses, style_weight=0.0), schedule, files,
                             init=init, speed=speed)
    return stylise(StyleInputs(content), settings, StyleContext(device, seed, progress), workdir)


@operator(check=check_texture_synthesis)
def texture_synthesis(style: Images, *, size: OutputSize = 256,
                      losses: Annotated[StyleLosses, STYLE_LOSSES] = StyleLosses(),
                      schedule: StyleSchedule = StyleSchedule(), files: StyleFiles = StyleFiles(),
                      init: Annotated[StyleInit, Fields("init")] = StyleInit(init="noise"),
                      speed: Speed = Speed(),
                      device: Device = "auto", seed: Seed = 0, progress: Progress = None,
                      workdir: WorkDir = None) -> StyleResult:
    """Synthesise a texture from noise matching a style image's Gram matrices (content weight 0).

    :func:`neural_style` with no content, ``content_weight=0`` (whatever ``losses``
    says), ``init="noise"`` and an output ``size`` (the longest side with the first style
    image's aspect, or (rows, cols)).

    Parameters
    ----------
    style
        the texture (or textures, blended); grey ones (H x W, or channels equal within
        1/255) give a grey texture, its luminance alone optimised
    size
        longest side of the output (with the first style image's aspect), or [rows, cols]
    losses, schedule, files, init, speed
        neural_style's options; of the losses only the style loss's and tv, of init init
    device, seed, progress, workdir
        the engine's context
    """
    settings = StyleSettings(size, replace(losses, content_weight=0.0), schedule, files,
                             init=init, speed=speed)
    return stylise(StyleInputs(None, style), settings, StyleContext(device, seed, progress),
                   workdir)
