"""A trained VAE style model: the networks plus what the shift and the measures need.

:class:`VaeStyleModel` holds the VAE, the optional refiner, the class means
``m_paintings`` and ``m_frames`` (means of μ over each training set), the linear
probe on μ, and, when the training measured them, the paintings' mean VGG Gram
matrices (with the name of the VGG weights they were computed with).  It is what
``train_style_vae`` returns for later steps and what its model file holds;
:func:`tensors` / :func:`from_tensors` convert it to and from the flat tensor dict
of a safetensors file.

Images cross this module as float32 H x W x C arrays in [0, 1]; inside they are
B x 3 x H x W tensors at the model's size (frames of another size are resized with
area interpolation on the way in).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from ..limits import SIDE_MAX
from .vae_latent import Probe
from .vae_measures import GRAM_LAYERS
from .vae_net import ConvVAE, Refiner, VaeArch


@dataclass
class VaeStyleModel:
    vae: ConvVAE
    refiner: Refiner | None
    m_paintings: torch.Tensor
    m_frames: torch.Tensor
    probe: Probe
    grams: dict[str, torch.Tensor] | None = None
    gram_weights: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def arch(self) -> VaeArch:
        return self.vae.arch

    @property
    def device(self) -> torch.device:
        return self.m_paintings.device

    def to(self, device) -> "VaeStyleModel":
        self.vae.to(device).eval()
        if self.refiner is not None:
            self.refiner.to(device).eval()
        self.m_paintings, self.m_frames = self.m_paintings.to(device), self.m_frames.to(device)
        self.probe = Probe(self.probe.weight.to(device), self.probe.bias.to(device))
        return self

    def __repr__(self) -> str:  # what a recipe's run record shows for the model output
        a = self.arch
        return (f"<VAE style model {a.size[0]}x{a.size[1]}, {len(a.filters)} layers, "
                f"{a.latent} codes, refiner {'yes' if self.refiner is not None else 'no'}>")


def images_to_tensor(images: Sequence[np.ndarray], size: tuple[int, int],
                     device) -> torch.Tensor:
    """RGB H x W x C images (grey replicated, alpha dropped) -> B x 3 x rows x cols."""
    import cv2

    out = []
    for image in images:
        rgb = np.asarray(image, np.float32)
        rgb = np.repeat(rgb[..., :1], 3, -1) if rgb.shape[2] < 3 else rgb[..., :3]
        if rgb.shape[:2] != tuple(size):
            rgb = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        out.append(rgb.reshape(size[0], size[1], 3))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous().to(device)


def tensor_to_images(x: torch.Tensor) -> list[np.ndarray]:
    arr = x.detach().clamp(0, 1).permute(0, 2, 3, 1).float().cpu().numpy()
    return [np.ascontiguousarray(a, dtype=np.float32) for a in arr]


@torch.no_grad()
def encode(model: VaeStyleModel, x: torch.Tensor, batch: int = 32):
    """(μ, log σ) of a batch of images, in chunks of ``batch``."""
    model.vae.eval()
    parts = [model.vae.encode(x[i:i + batch]) for i in range(0, len(x), batch)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


@torch.no_grad()
def decode(model: VaeStyleModel, z: torch.Tensor, refine: bool = True,
           batch: int = 32) -> torch.Tensor:
    """Decoded images of codes z (refined when the model has a refiner and ``refine``)."""
    model.vae.eval()
    out = []
    for i in range(0, len(z), batch):
        y = model.vae.decode(z[i:i + batch])
        if refine and model.refiner is not None:
            model.refiner.eval()
            y = model.refiner(y)
        out.append(y)
    return torch.cat(out)


def tensors(model: VaeStyleModel) -> dict[str, torch.Tensor]:
    """The flat, CPU, contiguous tensor dict a model file stores."""
    out = {f"vae.{k}": v for k, v in model.vae.state_dict().items()}
    if model.refiner is not None:
        out.update({f"refiner.{k}": v for k, v in model.refiner.state_dict().items()})
    out.update({"m_paintings": model.m_paintings, "m_frames": model.m_frames,
                "probe.weight": model.probe.weight, "probe.bias": model.probe.bias})
    for name, g in (model.grams or {}).items():
        out[f"gram.{name}"] = g
    return {k: v.detach().cpu().contiguous() for k, v in out.items()}


def _prefixed(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def from_tensors(state: dict[str, torch.Tensor], arch: dict, meta: dict) -> VaeStyleModel:
    """Rebuild a model from :func:`tensors`' dict and the file's ``arch`` (see
    :func:`file_arch`; strict: a missing or misshapen tensor raises, naming it)."""
    net = VaeArch.from_dict(arch["vae"])
    vae = ConvVAE(net)
    vae.load_state_dict(_prefixed(state, "vae."), strict=True)
    refiner = None
    if arch.get("refiner"):
        refiner = Refiner(net.refiner_width, net.channels)
        refiner.load_state_dict(_prefixed(state, "refiner."), strict=True)
    grams = {n: state[f"gram.{n}"] for n in arch.get("gram_layers", ())} or None
    return VaeStyleModel(vae.eval(), refiner, state["m_paintings"], state["m_frames"],
                         Probe(state["probe.weight"], state["probe.bias"]), grams,
                         meta.get("gram_weights"), dict(meta))


def file_arch(model: VaeStyleModel) -> dict:
    """What a model file's ``arch`` records: the network, whether a refiner and which
    Gram matrices come with it (together they fix every tensor's name and shape)."""
    return {"vae": model.arch.as_dict(), "refiner": model.refiner is not None,
            "gram_layers": sorted(model.grams or {})}


# What a model file's ``arch["vae"]`` may declare: beyond these no trained model goes, and
# a file claiming more is refused before a network is built (or even laid out).
FILE_BOUNDS = {"size": SIDE_MAX, "filters": 4096, "kernels": 31, "latent": 65536,
               "refiner_width": 1024, "channels": 4}
LAYERS_MAX = 16


def bounded_arch(d) -> VaeArch:
    """The network a model file's ``arch["vae"]`` declares, every number in
    :data:`FILE_BOUNDS` (ValueError naming the setting otherwise)."""
    if not isinstance(d, dict) or set(d) - set(FILE_BOUNDS):
        raise ValueError(f"arch.vae must be a mapping of {', '.join(FILE_BOUNDS)}")
    for name, value in d.items():
        values = value if isinstance(value, list) else [value]
        if name in ("filters", "kernels") and len(values) > LAYERS_MAX:
            raise ValueError(f"arch.vae.{name}: {len(values)} layers, above {LAYERS_MAX}")
        if not all(type(v) is int and 0 <= v <= FILE_BOUNDS[name] for v in values):
            raise ValueError(f"arch.vae.{name} must hold integers in 0 .. "
                             f"{FILE_BOUNDS[name]}, got {str(value)[:80]}")
    return VaeArch.from_dict(d)


def expected_shapes(arch: dict) -> dict[str, tuple[int, ...]]:
    """Every tensor name and shape a model file of ``arch`` must hold."""
    from .modelfile import module_shapes
    from ..style.layers import LAYERS, INDEX

    net = bounded_arch(arch["vae"])
    out = {f"vae.{k}": v for k, v in module_shapes(ConvVAE(net)).items()}
    if arch.get("refiner"):
        out.update({f"refiner.{k}": v for k, v in
                    module_shapes(Refiner(net.refiner_width, net.channels)).items()})
    out.update({"m_paintings": (net.latent,), "m_frames": (net.latent,),
                "probe.weight": (net.latent,), "probe.bias": ()})
    for name in arch.get("gram_layers", ()):
        if name not in GRAM_LAYERS:
            raise ValueError(f"unknown Gram layer {name!r}")
        c = LAYERS[INDEX[name]][3]
        out[f"gram.{name}"] = (c, c)
    return out
