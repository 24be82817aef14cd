"""What recipe validation checks of the trained operators before anything runs.

Each ``check(params)`` raises :class:`~imgfusion.errors.ParameterError` naming the field;
the operators name them in ``@operator(check=...)``.  Light: the heavy modules (torch)
are imported inside, when validation runs a check.
"""
from __future__ import annotations

from ..errors import ParameterError


# the traits of the operators that apply a trained model (recipe validation): one of
# model and model_file (needs_one, not_both), and a model from its trainer (made_by)
FAST_MODEL = {"model": "a train_fast_style step's model, $STEP.model",
              "model_file": "a saved model file"}
VAE_MODEL = {"model": "a train_style_vae step's model, $STEP.model",
             "model_file": "a saved model file"}
ONE_MODEL = (("model", "model_file"),)
FAST_TRAINER = {"model": ("train_fast_style",)}
VAE_TRAINER = {"model": ("train_style_vae",)}


MIN_SIDE = 16   # px: the fast-style network halves twice and pads by reflection


def check_network_size(hw, field: str, frames: bool = False) -> None:
    """An image (or frames) the fast-style network can take: sides of MIN_SIDE px or more."""
    if min(hw) < MIN_SIDE:
        what = f"frames of {hw[0]} x {hw[1]} are" if frames else f"{hw[0]} x {hw[1]} is"
        raise ParameterError(field, f"{what} too small for the network: sides of at least "
                                    f"{MIN_SIDE} px")


def fits_network(params, inputs) -> None:
    """The shape check of fast_style and fast_video_style, where the size is known."""
    for field in ("image", "video"):
        size = getattr(inputs.get(field), "size", None)
        if size is not None:
            check_network_size(size, field, frames=field == "video")


def check_train_vae(params) -> None:
    """train_style_vae: the network the sizes make, the VGG weights, the folders' counts."""
    from ..style.checks import check_weights
    from .data import check_count, count_folder
    from .vae_net import build_arch

    p = params
    build_arch(p.get("preset", "default"), p.get("size"), p.get("filters"), p.get("kernels"),
               p.get("latent"), p.get("refiner_width"))
    weights = p.get("vgg_weights", "original")
    if weights is not None:   # neural_style's own check, under this operator's field name
        try:
            check_weights(weights)
        except ParameterError as exc:
            raise ParameterError("vgg_weights", exc.message) from None
    for name in ("paintings_dir", "frames_dir"):
        if p.get(name):
            check_count(count_folder(p[name], name), 3, name, "images (2 to train, 1 held out)")


def check_vae_model_file(params) -> None:
    """vae_style: ``model_file``'s header is a style_vae model's."""
    if params.get("model_file"):
        from .vae_io import check_vae_file

        check_vae_file(params["model_file"])


def check_fast_model_file(params) -> None:
    """fast_style: ``model_file``'s header is a fast_style model's."""
    if params.get("model_file") is not None:
        from .modelfile import check_model_file

        check_model_file(params["model_file"], "fast_style", field="model_file")


def check_fast_video(params) -> None:
    """fast_video_style: the model file's header, and the flow method's weights on disk."""
    from ..video.flow_op import check_flow_options

    check_fast_model_file(params)
    check_flow_options(params)
