"""Feed-forward style: :func:`train_fast_style` trains a transformation network
(:mod:`~imgfusion.trained.transform_net`) for one style image on a set of content images,
with ``neural_style``'s losses and weights; :func:`fast_style` applies it to an image, or
(the engine maps it) to every frame of a video.

The model travels between steps as a :class:`FastStyleModel` (the network on the CPU,
its meta, its file), and is stored as a ``fast_style`` model file
(:mod:`~imgfusion.trained.modelfile`, format 1).
"""
from __future__ import annotations

import os
from typing import Annotated
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import ParameterError
from ..operators import Device, Image, InputPath, Range, Value, operator
from ..devices import resolve_device
from .checks import (FAST_MODEL, FAST_TRAINER, ONE_MODEL, check_fast_model_file,
                     check_network_size)
from .modelfile import load_model, module_shapes
from .transform_net import TransformNet, build

KIND, FORMAT = "fast_style", 1


def apply_net(net: torch.nn.Module, image: np.ndarray, device: torch.device) -> np.ndarray:
    """``net`` (on ``device``) on one RGB float32 H x W x 3 image, without gradients; the
    same size back (the network pads and crops any size)."""
    x = torch.from_numpy(np.ascontiguousarray(image, np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        y = net(x.to(device))
    return y[0].permute(1, 2, 0).float().cpu().numpy()


@dataclass(eq=False)
class FastStyleModel:
    """A trained transformation network (on the CPU), its ``meta`` and ``path``; moved to a
    device once per device, however many frames it styles."""

    net: TransformNet
    meta: dict
    path: str | None = None
    _placed: dict = field(default_factory=dict, repr=False)

    def on(self, device: torch.device) -> TransformNet:
        key = str(device)
        if key not in self._placed:
            self._placed[key] = (self.net if device.type == "cpu"
                                 else build(self.meta["arch"]).to(device).eval())
            if device.type != "cpu":
                self._placed[key].load_state_dict(self.net.state_dict())
        return self._placed[key]

    def __call__(self, image: np.ndarray, device: str | torch.device = "auto") -> np.ndarray:
        """Stylise an RGB float32 H x W x 3 image; returns the same size."""
        dev = device if isinstance(device, torch.device) else resolve_device(device)
        return apply_net(self.on(dev), image, dev)

    def __str__(self) -> str:
        arch = self.meta.get("arch", {})
        return f"<fast_style model {self.path or '(not saved)'} {arch}>"


def file_shapes(arch: dict) -> dict:
    """The tensors a fast_style file of ``arch`` holds (the model file checks them against
    its header on torch's meta device, before anything is built)."""
    return module_shapes(build(arch))


def _from_file(path: str, field_name: str) -> FastStyleModel:
    tensors, meta = load_model(path, KIND, max_format=FORMAT, shapes=file_shapes,
                               field=field_name)
    net = build(meta["arch"])
    net.load_state_dict(tensors)
    return FastStyleModel(net.eval(), meta, str(path))


@lru_cache(maxsize=8)
def _cached(real: str, mtime_ns: int, size: int, field_name: str) -> FastStyleModel:
    return _from_file(real, field_name)


def load_fast_style(path: str | os.PathLike, field_name: str = "model_file") -> FastStyleModel:
    """The model in ``path``, read once while the file is unchanged (a video's frames share it)."""
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except OSError:
        return _from_file(str(p), field_name)   # reports the missing file by name
    return _cached(os.path.realpath(p), st.st_mtime_ns, st.st_size, field_name)


def _model_of(model, model_file) -> FastStyleModel:
    if isinstance(model, FastStyleModel):
        if model_file is not None:
            raise ParameterError("model_file", "give the model as an input or as a file, "
                                               "not both")
        return model
    if isinstance(model, (str, os.PathLike)):
        raise ParameterError("model", f"got the path {str(model)!r}: a model file goes in "
                                      "model_file (model is a train_fast_style step's output)")
    if model is not None:
        raise ParameterError("model", f"expected a fast_style model (train_fast_style's "
                                      f"output), got {type(model).__name__}")
    if model_file is None:
        raise ParameterError("model", "fast_style needs a model: $step of train_fast_style, "
                                      "or model_file")
    return load_fast_style(model_file)


@operator(check=check_fast_model_file, renamed={"model_path": "model_file"},
          needs_one=FAST_MODEL, not_both=ONE_MODEL, made_by=FAST_TRAINER,
          shape_check="imgfusion.trained.checks:fits_network")
def fast_style(image: Image, model: Value | None = None, *, model_file: InputPath = None,
               strength: Annotated[float, Range(0, 1)] = 1.0, device: Device = "auto") -> Image:
    """Stylise an image (or every frame of a video) with a trained feed-forward style network: one forward pass.

    ``model`` is a :class:`FastStyleModel` (``train_fast_style``'s output) or ``None``
    with ``model_file``, a ``.safetensors`` file that :func:`train_fast_style` wrote.  The
    output has the image's size; grey images are styled as RGB, alpha is kept.  On a
    video the engine calls this once per frame; the model is loaded (and moved to the
    device) once.

    Parameters
    ----------
    image
        the image (or video) to stylise
    model
        train_fast_style's model
    model_file
        a .safetensors model file written by train_fast_style (instead of the model input)
    strength
        how much of the network's picture: 1 all of it, 0 the photo; between, the two
        blended pixel by pixel
    """
    from ..checks import join_alpha
    from ..style.checks import as_rgb

    m = _model_of(model, model_file)
    rgb, alpha = as_rgb(image, "image")
    check_network_size(rgb.shape[:2], "image")
    out = m(rgb, device)
    if strength < 1:
        out = strength * out + (1 - strength) * rgb
    return np.ascontiguousarray(join_alpha(out, alpha), dtype=np.float32)
