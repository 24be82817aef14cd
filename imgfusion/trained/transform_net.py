"""The image transformation network of feed-forward style (Johnson, Alahi & Fei-Fei 2016),
with instance normalisation (Ulyanov, Vedaldi & Lempitsky 2017).

Layout, for ``width`` w and ``residual_blocks`` r (Johnson: w = 32, r = 5)::

    reflection-padded conv 9x9, w       instance norm, ReLU
    conv 3x3 stride 2, 2w               instance norm, ReLU      (down 1/2)
    conv 3x3 stride 2, 4w               instance norm, ReLU      (down 1/4)
    r residual blocks of two 3x3 convs, 4w, instance norm (ReLU between)
    nearest x2 upsample, conv 3x3, 2w   instance norm, ReLU      (Odena et al.: upsample +
    nearest x2 upsample, conv 3x3, w    instance norm, ReLU       conv, no checkerboard)
    conv 9x9, 3                         sigmoid -> RGB in [0, 1]

Every convolution pads by reflection.  The network is fully convolutional: any image
size works; :func:`stylise_tensor` pads a side that is not a multiple of 4 (by
reflection) and crops the result back.  ``arch`` (the model file's) is
``{"width": w, "residual_blocks": r}``.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

DEFAULT_ARCH = {"width": 16, "residual_blocks": 3}   # CPU-friendly; Johnson: 32 and 5
WIDTH_MAX, BLOCKS_MAX = 256, 32


def _conv(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride))


def _norm_relu(cin: int, cout: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [_conv(cin, cout, kernel, stride), nn.InstanceNorm2d(cout, affine=True),
            nn.ReLU(inplace=True)]


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(*_norm_relu(channels, channels, 3), _conv(channels, channels, 3),
                                  nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TransformNet(nn.Module):
    """RGB in [0, 1] (B x 3 x H x W, H and W multiples of 4) -> stylised RGB in [0, 1]."""

    def __init__(self, width: int = 16, residual_blocks: int = 3):
        super().__init__()
        w = int(width)
        self.net = nn.Sequential(
            *_norm_relu(3, w, 9), *_norm_relu(w, 2 * w, 3, 2), *_norm_relu(2 * w, 4 * w, 3, 2),
            *(ResidualBlock(4 * w) for _ in range(int(residual_blocks))),
            nn.Upsample(scale_factor=2, mode="nearest"), *_norm_relu(4 * w, 2 * w, 3),
            nn.Upsample(scale_factor=2, mode="nearest"), *_norm_relu(2 * w, w, 3),
            _conv(w, 3, 9), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def check_arch(arch: Mapping[str, Any], field: str = "arch") -> dict[str, int]:
    """``arch`` with integer width and residual_blocks in range (ValueError otherwise)."""
    out = {**DEFAULT_ARCH, **{k: arch[k] for k in DEFAULT_ARCH if k in arch}}
    extra = set(arch) - set(DEFAULT_ARCH)
    if extra:
        raise ValueError(f"{field}: unknown settings {sorted(extra)}")
    for name, top in (("width", WIDTH_MAX), ("residual_blocks", BLOCKS_MAX)):
        v = out[name]
        if isinstance(v, bool) or not isinstance(v, int) or not (name == "residual_blocks"
                                                               or v >= 1) or not 0 <= v <= top:
            raise ValueError(f"{field}: {name} must be an integer in "
                             f"{0 if name == 'residual_blocks' else 1} .. {top}, got {v!r}")
    return out


def build(arch: Mapping[str, Any]) -> TransformNet:
    return TransformNet(**check_arch(arch))


def stylise_tensor(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``net`` on B x 3 x H x W of any size: padded by reflection to multiples of 4, cropped."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % 4, (-w) % 4
    if ph or pw:
        mode = "reflect" if h > ph and w > pw else "replicate"
        x = nn.functional.pad(x, (0, pw, 0, ph), mode=mode)
    return net(x)[..., :h, :w]
