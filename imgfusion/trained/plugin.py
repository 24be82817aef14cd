"""Built-in plugin: the trained style networks.

Two blocks, one per network family, each registering its own operators; the
parameters every trainer shares (:data:`TRAINING_PARAMS`, through
:func:`training_params`) come first.  Functions are named as ``"module:function"``
strings, so listing operators does not import torch.
"""
from __future__ import annotations

from dataclasses import replace

from ..hookspecs import hookimpl
from ..limits import ITERATIONS_MAX, LEARNING_RATE, SIDE_MAX
from ..operators import Input, InputPath, Operator, Output, OutputPath, Param, problems

STEPS_MAX = 10_000_000
BATCH_MAX = 4096

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


OPERATORS: list = []   # each family's block below appends its operators


# -- conv-VAE: the latent-shift style (train_style_vae, vae_style) ---------------------------

_VAE = "imgfusion.trained"
VAE_MODES = ("mean", "legacy", "sampled")


def _check_train_vae(p) -> None:
    from ..errors import ParameterError
    from ..style.checks import check_weights
    from .data import check_count, count_folder
    from .vae_train import build_arch

    build_arch(p.get("preset", "default"), p.get("size"), p.get("filters"), p.get("kernels"),
               p.get("latent"), p.get("refiner_width"))
    weights = p.get("vgg_weights", "original")
    if weights is not None:   # neural_style's own check, under this operator's field name
        try:
            check_weights(weights)
        except ParameterError as exc:
            raise ParameterError("vgg_weights", exc.message) from None
    for name in ("paintings_folder", "frames_folder"):
        if p.get(name):
            check_count(count_folder(p[name], name), 3, name, "images (2 to train, 1 held out)")


def _check_vae_file(p) -> None:
    if p.get("model_file"):
        from .vae_io import check_vae_file

        check_vae_file(p["model_file"])


TRAIN_STYLE_VAE = Operator(
    name="train_style_vae", func=f"{_VAE}.vae_train:train_style_vae",
    summary="Train the conv-VAE latent-shift style on paintings and video frames (and its "
            "refiner); write the model file.",
    inputs=[Input("paintings", many=True, optional=True, help="the paintings (images)"),
            Input("frames", "video", optional=True, help="a video whose frames are the "
                                                         "\"content\" class")],
    params=[
        Param("paintings_folder", InputPath, None, help="folder of painting images"),
        Param("frames_folder", InputPath, None, help="folder of frame images"),
        Param("frame_step", int, 1, min=1, max=STEPS_MAX, help="take every n-th frame"),
        Param("max_frames", int | None, None, min=2, max=STEPS_MAX,
              help="at most this many frames (null: all)"),
        Param("preset", str, "default", choices=("default", "seed"),
              help="default: 128 px, 5 layers, 128 codes; seed: the original 180 x 320, "
                   "7 layers (64 ... 256 filters, kernels 7 ... 3), 512 codes"),
        Param("size", tuple[int, int] | None, None, min=4, max=SIDE_MAX,
              help="[rows, cols] the images are resized to (null: the preset's)"),
        Param("filters", list[int] | None, None, min=1, max=4096,
              help="channels per encoder layer, each halving the size (null: the preset's)"),
        Param("kernels", list[int] | None, None, min=1, max=31,
              help="odd kernel size per layer (null: the preset's, or 3s)"),
        Param("latent", int | None, None, min=1, max=65536, help="number of codes"),
        Param("beta", float, 1.0, min=0, max=1e6, help="weight of the KL term"),
        Param("refiner", bool, True, help="train the residual refiner after the VAE"),
        Param("refiner_steps", int, 300, min=0, max=STEPS_MAX, help="refiner training steps"),
        Param("refiner_width", int | None, None, min=1, max=1024, help="refiner channels"),
        Param("vgg_weights", str | None, "original",
              help="VGG19 of the Gram measure (paintings' Gram matrices stored with the "
                   "model); null: none"),
        *training_params(steps=2000, batch_size=16),
    ],
    outputs=[Output("model", "data", help="the trained model, for vae_style"),
             Output("path", "data", help="the model file written"),
             Output("report", "data", help="held-out PSNR (first epoch, end), probe "
                                           "accuracy, class-mean distance, losses")],
    context=TRAINING_CONTEXT,
    check=problems(_check_train_vae),
)

VAE_STYLE = Operator(
    name="vae_style", func=f"{_VAE}.vae_apply:vae_style",
    summary="Shift an image's or a video's VAE codes toward the paintings: "
            "z' = mu + strength (m_paintings - m_frames), decoded and refined.",
    inputs=[Input("content", "video", help="an image, or a video (streamed)"),
            Input("model", "any", optional=True, help="train_style_vae's model output")],
    params=[
        Param("model_file", InputPath, None, help="a style_vae model file (instead of model)"),
        Param("strength", float, 0.5, min=0, max=1,
              help="alpha: 0 the frame's own code, 1 moved by the whole class difference"),
        Param("mode", str, "mean", choices=VAE_MODES,
              help="mean: shift mu; legacy: the seed's z - 0.25 m_frames + 0.5 m_paintings "
                   "on a sampled z; sampled: the mean shift on a sampled z"),
        Param("refine", bool, True, help="run the refiner (when the model has one)"),
        Param("smoothing", float, 0.2, min=0, max=0.99,
              help="video: weight of the previous output in the moving average"),
        Param("frames_dir", OutputPath, None,
              help="video: folder of the styled frames, written as they finish (null: "
                   "none, styled as it is read)"),
        Param("overwrite", bool, False, help="replace another run's frames in frames_dir"),
        Param("measures", bool, True,
              help="report VGG Gram and content distances and the temporal error"),
    ],
    outputs=[Output("image", help="the styled image (a video for a video)"),
             Output("report", "data", help="shift distance, probe, Gram, content and "
                                           "temporal measures")],
    context=("device", "seed", "progress", "workdir"),
    check=problems(_check_vae_file),
)

OPERATORS += [TRAIN_STYLE_VAE, VAE_STYLE]


@hookimpl
def imgfusion_register_operators(register):
    for op in OPERATORS:
        register(op)


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


def _check_fast(p) -> None:
    if p.get("model_path") is not None:
        from .modelfile import check_model_file

        check_model_file(p["model_path"], "fast_style", field="model_path")


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

FAST_STYLE = Operator(
    name="fast_style", func="imgfusion.trained.fast_style:fast_style",
    summary="Stylise an image (or every frame of a video) with a trained feed-forward style "
            "network: one forward pass.",
    inputs=[Input("image", help="the image (or video) to stylise"),
            Input("model", "any", optional=True, help="train_fast_style's model")],
    params=[Param("model_path", InputPath, None,
                  help="a .safetensors model file written by train_fast_style (instead of "
                       "the model input)")],
    context=("device",),
    check=problems(_check_fast),
)
OPERATORS += [TRAIN_FAST_STYLE, FAST_STYLE]
# == end of feed-forward style ==
