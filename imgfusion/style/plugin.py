"""Registration of the neural-style operators: neural_style and its two reconstruction presets.

The functions live in :mod:`imgfusion.style.transfer` (named as strings so that
listing operators does not import torch).  The presets call the same function.  Each
registration names its flat-key twin (``neural_style_flat``), which gathers the flat
options into the option groups of :mod:`imgfusion.style.options` that the function takes.
"""
from __future__ import annotations

from dataclasses import replace

from ..hookspecs import hookimpl
from ..operators import Input, Operator, Output, OutputPath, Param, problems
from ..limits import (ITERATIONS_MAX, LEARNING_RATE, SCALE_MAX, SIDE_MAX, WEIGHT_MAX)

LAYER_SPEC = list[str] | dict[str, float]
CONTEXT = ("device", "seed", "progress", "workdir")
OUTPUTS = (Output("image"),
           Output("loss_history", "data",
                  help="per iteration: iteration, level and the weighted content, style, tv "
                       "and total losses"))

PARAMS = (
    Param("content_layers", LAYER_SPEC, ["relu4_2"], min=0, max=WEIGHT_MAX,
          help="VGG19 layers of the content loss: a list (equal weights) or {layer: weight}"),
    Param("style_layers", LAYER_SPEC, ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
          min=0, max=WEIGHT_MAX,
          help="VGG19 layers of the style loss: a list (weights 1/n) or {layer: weight}"),
    Param("content_weight", float, 1.0, min=0, max=WEIGHT_MAX,
          help="alpha: weight of the content loss (per layer: squared feature distance "
               "relative to the content's)"),
    Param("style_weight", float, 3.0, min=0, max=WEIGHT_MAX,
          help="beta: weight of the style loss (per layer: squared Gram distance relative "
               "to the style's Gram)"),
    Param("tv_weight", float, 0.0, min=0, max=WEIGHT_MAX,
          help="weight of the total-variation smoothing loss"),
    Param("style_blend_weights", list[float] | None, None, min=0, max=WEIGHT_MAX,
          help="one weight per style image, normalised to sum to 1 (default: equal)"),
    Param("pooling", str, "max", choices=("max", "avg"), help="VGG19 pooling"),
    Param("size", int | tuple[int, int] | None, None, min=1, max=SIDE_MAX,
          help="longest side of the output, or [rows, cols]; null (default) keeps the "
               "content's size"),
    Param("style_scale", float, 1.0, min=1e-3, max=SCALE_MAX,
          help="style images are resized to style_scale x the output's longest side"),
    Param("init", str, "content", choices=("content", "style", "noise", "white", "image"),
          help="starting image: content, style, white noise, a white canvas, or init_image"),
    Param("optimizer", str, "lbfgs", choices=("lbfgs", "adam"), help="optimisation method"),
    Param("learning_rate", float | None, None, min=LEARNING_RATE[0], max=LEARNING_RATE[1],
          help="step size; default 1 for lbfgs, 0.02 for adam"),
    Param("iterations", int, 300, min=1, max=ITERATIONS_MAX,
          help="loss evaluations (per pyramid level)"),
    Param("tolerance", float, 1e-3, min=0, max=1,
          help="stop when the total loss changed less than this (relative) over `window` "
               "iterations; 0 never stops early"),
    Param("window", int, 50, min=1, max=ITERATIONS_MAX, help="iterations over which `tolerance` is checked"),
    Param("original_colors", bool, False,
          help="post-hoc: keep the output's luminance, put back the content's colours"),
    Param("color_control", str, "none", choices=("none", "luminance", "histogram"),
          help="Gatys 2017: luminance-only transfer, or match the style's colours to the "
               "content's"),
    Param("histogram_mode", str, "pca", choices=("chol", "pca", "sym"),
          help="matrix square root of color_control: histogram"),
    Param("pyramid", list[tuple[int, int]] | None, None, min=1, max=ITERATIONS_MAX,
          help="coarse to fine [[size, iterations], ...]; replaces size and iterations"),
    Param("coarse_to_fine", int, 512, min=0, max=1 << 16,
          help="without a pyramid, an output whose longest side is above this many px is "
               "optimised at half size first (iterations), then at full size (0.4 x "
               "iterations); 0 never"),
    Param("quality", str, "custom", choices=("custom", "draft", "standard", "best"),
          help="preset for the schedule fields left at their defaults: draft (100 "
               "iterations, stop at 1e-3 over 20, coarse to fine above 256 px), standard "
               "(300, 1e-3 over 50, above 512), best (1000, 1e-4 over 50, above 1024)"),
    Param("snapshot_every", int, 0, min=0, max=ITERATIONS_MAX,
          help="write a snapshot every N iterations (0: never)"),
    Param("snapshot_dir", OutputPath, None,
          help="folder of the snapshots, the loss history and interrupted runs"),
    Param("loss_plot", OutputPath, None,
          help="PNG of the loss curves (content, style, tv, total) against iteration"),
    Param("weights", str, "original",
          help="VGG19 weights: original (Simonyan & Zisserman's Caffe VGG19, installed with "
               "imgfusion), imagenet (torchvision's, downloaded once), random (tests only: "
               "not artistic), or the path of a local state dict"),
    Param("precision", str, "fp32", choices=("fp32", "tf32", "bf16"),
          help="tf32 or bf16 autocast: opt-ins on CUDA"),
)
INIT_RESIZE = Param("init_resize", bool, False,
                    help="stretch an init_image whose size is neither the content's nor the "
                         "output's (otherwise an error)")
_P = {p.name: p for p in PARAMS}


def _check_style(p):
    """What validation can know: the weights load, the pyramid's sizes are in range."""
    from .checks import check_pyramid, check_weights

    check_weights(p.get("weights", "original"))
    check_pyramid(p.get("pyramid"), SIDE_MAX)


CHECK = problems(_check_style)
_RUN = ("pooling", "size", "optimizer", "learning_rate", "iterations", "tolerance", "window",
        "tv_weight", "pyramid", "coarse_to_fine", "quality", "snapshot_every", "snapshot_dir", "loss_plot", "weights",
        "precision")


def _pick(*names: str, **defaults) -> list[Param]:
    return [replace(_P[n], default=defaults[n]) if n in defaults else _P[n] for n in names]


def _style_op(name: str, summary: str, inputs, params) -> Operator:
    """A neural-style operator: same function module, outputs, context and check."""
    return Operator(name=name, func=f"imgfusion.style.transfer:{name}_flat", summary=summary,
                    inputs=inputs, params=params, outputs=OUTPUTS, context=CONTEXT,
                    check=CHECK)


def _preset_params(init_choices, *names: str, **defaults) -> list[Param]:
    return [replace(p, choices=init_choices) if p.name == "init" else p
            for p in _pick(*names, *_RUN, **defaults)]


NEURAL_STYLE = _style_op(
    "neural_style",
    "Gatys et al. neural style transfer: optimise an image to match content and style "
    "VGG19 features.",
    [Input("content", help="the photograph whose layout is kept"),
     Input("style", many=True, help="one style image or a list (style_blend_weights)"),
     Input("init_image", optional=True, help="starting image for init: image")],
    (*PARAMS, INIT_RESIZE))

CONTENT_RECONSTRUCTION = _style_op(
    "content_reconstruction",
    "Reconstruct an image from noise using its VGG19 features at the content layers "
    "(style weight 0).",
    [Input("content", help="the image to reconstruct")],
    _preset_params(("noise", "white", "content"), "content_layers", "content_weight", "init",
                   init="noise"))

TEXTURE_SYNTHESIS = _style_op(
    "texture_synthesis",
    "Synthesise a texture from noise matching a style image's Gram matrices "
    "(content weight 0).",
    [Input("style", many=True, help="the texture (or textures, blended)")],
    _preset_params(("noise", "white", "style"), "style_layers", "style_weight",
                   "style_blend_weights", "style_scale", "init", init="noise", size=256))


@hookimpl
def imgfusion_register_operators(register):
    for op in (NEURAL_STYLE, CONTENT_RECONSTRUCTION, TEXTURE_SYNTHESIS):
        register(op)
