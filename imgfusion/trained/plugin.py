"""Built-in plugin: the trained style networks.

train_style_vae, vae_style and fast_style are declared by their functions (their
modules registered by path, read from source); train_fast_style is still a record,
with the training parameters (:data:`TRAINING_PARAMS`, through :func:`training_params`)
that train_style_vae now declares in its signature.  Listing operators imports no torch.
"""
from __future__ import annotations

from dataclasses import replace

from ..hookspecs import hookimpl
from ..limits import ITERATIONS_MAX, LEARNING_RATE, SIDE_MAX
from ..operators import Input, InputPath, Operator, Output, OutputPath, Param, problems
from .limits import BATCH_MAX, STEPS_MAX


# -- shared by every trainer (imgfusion.trained.training.train's options) -----------------
TRAINING_PARAMS = (
    Param("path", OutputPath, help="the model file to write (.safetensors; a .json of its "
                                   "architecture and training is written next to it)"),
    Param("steps", int, 1000, min=1, max=STEPS_MAX, help="training steps (optimizer updates)"),
    Param("batch_size", int, 4, min=1, max=BATCH_MAX, help="images per step"),
    Param("learning_rate", float, 1e-3, min=LEARNING_RATE[0], max=LEARNING_RATE[1],
          help="Adam step size"),
    Param("validation", float, 0.1, min=0, max=0.9,
          help="share of the training images held out to measure the validation loss"),
    Param("validate_every", int, 100, min=0, max=ITERATIONS_MAX,
          help="steps between validation losses (0: at the end only)"),
    Param("checkpoint", OutputPath, None,
          help="checkpoint file (model, optimizer, step, random state, losses), written "
               "atomically every checkpoint_every steps, at the end and on Ctrl-C"),
    Param("checkpoint_every", int, 100, min=0, max=ITERATIONS_MAX,
          help="steps between checkpoints (0: at the end and on Ctrl-C only)"),
    Param("resume", bool, False,
          help="continue from the checkpoint when it exists (rewriting it, so a re-run needs "
               "overwrite: true or --overwrite, as for any existing output)"),
    Param("loss_plot", OutputPath, None,
          help="PNG of the training and validation losses against step"),
    Param("overwrite", bool, False,
          help="replace an existing model file (and start over an existing checkpoint)"),
)
_TRAINING = {p.name: p for p in TRAINING_PARAMS}
TRAINING_CONTEXT = ("device", "seed", "progress", "workdir", "protect")


def training_params(**defaults) -> list[Param]:
    """:data:`TRAINING_PARAMS`, with the defaults a trainer changes."""
    unknown = set(defaults) - set(_TRAINING)
    if unknown:
        raise ValueError(f"not training parameters: {sorted(unknown)}")
    return [replace(p, default=defaults[p.name]) if p.name in defaults else p
            for p in TRAINING_PARAMS]


# == feed-forward style (Johnson et al. 2016, instance norm): train_fast_style, fast_style ==

FRAMES_MAX = 10_000_000
IMAGES_MAX = 100_000
FAST_MIN_SIDE = 16   # imgfusion.trained.fast_style.MIN_SIDE
_LOSS_NAMES = ("content_layers", "style_layers", "content_weight", "style_weight", "tv_weight",
               "style_scale", "weights", "pooling")


def _neural_style_losses() -> list[Param]:
    """neural_style's loss options, as that operator declares them."""
    from ..style.plugin import PARAMS

    shared = {p.name: p for p in PARAMS}
    return [shared[n] for n in _LOSS_NAMES]


def _check_train_fast(p) -> None:
    from ..style.checks import check_weights
    from .fast_train import check_training

    check_weights(p.get("weights", "original"))
    check_training(p)


TRAIN_FAST_STYLE = Operator(
    name="train_fast_style", func="imgfusion.trained.fast_train:train_fast_style_flat",
    summary="Train a feed-forward style network (Johnson et al. 2016, instance norm) for one "
            "style image on content images, with neural_style's losses.",
    inputs=[Input("content", "video", optional=True, many=True,
                  help="content images and/or videos (every `every`-th frame); with "
                       "content_dir or instead of it"),
            Input("style", help="the style image the network learns")],
    params=[
        Param("content_dir", InputPath, None, help="a folder of content images"),
        Param("every", int, 1, min=1, max=FRAMES_MAX, help="take every every-th video frame"),
        Param("max_images", int, 1000, min=1, max=IMAGES_MAX,
              help="most content images (frames) taken"),
        Param("train_size", int | tuple[int, int], 128, min=FAST_MIN_SIDE, max=SIDE_MAX,
              help="side of the training images (or [rows, cols]): the content images are "
                   "resized to it, or cropped with crops"),
        Param("crops", int, 0, min=0, max=IMAGES_MAX,
              help="train on this many seeded random crops of train_size from the content images "
                   "(0: the images resized)"),
        Param("width", int, 16, min=1, max=256,
              help="channels of the first layer (then 2x, 4x); Johnson et al.: 32"),
        Param("residual_blocks", int, 3, min=0, max=32, help="Johnson et al.: 5"),
        *training_params(steps=1000, batch_size=4, learning_rate=1e-3),
        Param("compare_iterations", int, 0, min=0, max=ITERATIONS_MAX,
              help="also run neural_style for this many iterations on the held-out images "
                   "and report both losses and times (0: not run)"),
        *_neural_style_losses(),
    ],
    outputs=[Output("model", "data", help="the trained model, for fast_style"),
             Output("path", "data", help="the model file written"),
             Output("report", "data", help="losses, validation losses, time per step; on "
                                           "held-out images the losses and time per frame "
                                           "(and neural_style's with compare_iterations)")],
    context=TRAINING_CONTEXT,
    check=problems(_check_train_fast),
)



@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.trained.vae_train")
    register("imgfusion.trained.vae_apply")
    register("imgfusion.trained.fast_style")
    # Still an Operator record, until the core declares a many-video input (content) and
    # option-group fields an operator leaves out (style_blend_weights): see the report.
    register(TRAIN_FAST_STYLE)
# == end of feed-forward style ==
