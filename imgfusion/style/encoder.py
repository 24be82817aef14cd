"""VGG19 features cut after the deepest layer the losses need, in one forward pass."""
from __future__ import annotations

from typing import Iterable, NamedTuple

import torch
from torch import nn

from .layers import INDEX, LAYERS, deepest

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Preprocessing(NamedTuple):
    """What a network wants from an RGB image in [0, 1]: ``((x[channels] * scale) - mean) / std``,
    with ``mean`` and ``std`` in the network's channel order (``std`` None: no division)."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] | None


IMAGENET = Preprocessing(False, 1.0, IMAGENET_MEAN, IMAGENET_STD)  # torchvision's VGG19
CAFFE = Preprocessing(True, 255.0, (103.939, 116.779, 123.68), None)  # the original VGG19


class VGGEncoder(nn.Module):
    """The first layers of VGG19 ``features``, returning the activations of ``layers``.

    Parameters
    ----------
    state : dict
        Features-only state dict (``"N.weight"``, ``"N.bias"``) covering the layers used,
        as returned by :func:`imgfusion.style.weights.load_features`.
    layers : iterable of str
        Layer names whose activations ``forward`` returns; the network stops after
        the deepest of them.
    pooling : {"max", "avg"}
        Max pooling as trained, or average pooling (Gatys et al. prefer it for synthesis).
    preprocessing : Preprocessing
        The input normalisation the weights were trained with: :data:`IMAGENET`
        (torchvision's, the default) or :data:`CAFFE` (the original VGG19's).

    ``forward(x)`` takes RGB images in [0, 1] (B x 3 x H x W), applies the
    preprocessing as its own step (exactly, before the zero-padded first convolution),
    and returns ``{name: activation}``.  The weights never require
    gradients.  A ReLU runs in place unless the convolution before it is requested.
    """

    def __init__(self, state: dict[str, torch.Tensor], layers: Iterable[str],
                 pooling: str = "max", preprocessing: Preprocessing = IMAGENET):
        super().__init__()
        self.layers = tuple(dict.fromkeys(layers))
        last = deepest(self.layers)
        wanted = {INDEX[n] for n in self.layers}
        modules: list[nn.Module] = []
        for i, (_, kind, cin, cout) in enumerate(LAYERS[:last + 1]):
            if kind == "conv":
                conv = nn.utils.skip_init(nn.Conv2d, cin, cout, 3, padding=1)  # no wasted init
                conv.weight.data.copy_(state[f"{i}.weight"])
                conv.bias.data.copy_(state[f"{i}.bias"])
                modules.append(conv)
            elif kind == "relu":
                modules.append(nn.ReLU(inplace=(i - 1) not in wanted))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        self.net = nn.ModuleList(modules)
        self._names = {INDEX[n]: n for n in self.layers}
        self.bgr, self.scale = preprocessing.bgr, float(preprocessing.scale)
        self.register_buffer("mean", torch.tensor(preprocessing.mean).view(1, 3, 1, 1))
        std = preprocessing.std
        self.register_buffer("std", None if std is None else torch.tensor(std).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] -> the network's input."""
        if self.bgr:
            x = x.flip(1)
        if self.scale != 1.0:
            x = x * self.scale
        x = x - self.mean
        return x if self.std is None else x / self.std

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.preprocess(x)
        out = {}
        for i, module in enumerate(self.net):
            h = module(h)
            name = self._names.get(i)
            if name is not None:
                out[name] = h
        return out
