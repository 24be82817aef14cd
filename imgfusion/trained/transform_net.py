"""The image transformation network of feed-forward style (Johnson, Alahi & Fei-Fei 2016),
with instance normalisation (Ulyanov, Vedaldi & Lempitsky 2017).

Layout, for ``width`` w and ``residual_blocks`` r (Johnson: w = 32, r = 5)::

    reflection-padded conv 9x9, w       instance norm, ReLU
    conv 3x3 stride 2, 2w               instance norm, ReLU      (down 1/2)
    conv 3x3 stride 2, 4w               instance norm, ReLU      (down 1/4)
    r residual blocks of two 3x3 convs, 4w, instance norm (ReLU between)
    x2 upsample, conv 3x3, 2w           instance norm, ReLU      (Odena et al.: upsample +
    x2 upsample, conv 3x3, w            instance norm, ReLU       conv, no checkerboard)
    conv 9x9, 3                         the output (below)

Every convolution pads by reflection.  The network is fully convolutional: any image
size works; the network pads a side that is not a multiple of 4 (by reflection, after
``pad``) and crops the result back.  ``arch`` (the model file's) is
``{"width": w, "residual_blocks": r, "output": o, "pad": p, "resample": s}``:

``resample``
    ``"smooth"`` (``train_fast_style``'s default): a fixed 5 x 5 binomial blur before each
    stride-2 convolution (Zhang 2019) and bilinear upsampling.  ``"nearest"`` (files
    written before ``resample`` existed): plain strides and nearest upsampling.  With
    those, what the network paints depends on where a pixel falls on the strides' 4 px
    grid, and a network trained toward a sparse style (the Hubble field's stars) put its
    points of light on that grid: a lattice of dots, most of the high-pass energy at a
    period of 4 px (``fast_measures.grid_share``).  A one-pixel shift of the photo
    changes most of a random nearest network's residual, and about 0.3x as much of a
    smooth one's (``tests/trained/test_fast_keeps_photo.py``).

``output``
    ``"colour_residual"`` (``train_fast_style``'s ``colour_stage``): ``"residual"`` after
    a learned per-channel colour transform of the photo, ``scale x photo + shift`` (starting at 1
    and 0, so the untrained network is still the identity).  A style's global colour
    is then three numbers per channel that the network learns within tens of steps
    (they train at :data:`COLOUR_LR_SCALE` x the learning rate), leaving the
    convolutions the texture: without it, 150 steps barely moved the photo toward a
    dark style's colours, and a plain colour blend scored a better style distance; with
    it, a near-black style (the Hubble deep field) darkened held-out photos to 0.2x
    their brightness over 300 steps, which ``train_fast_style``'s content budget (on by
    default with it) stops;
    ``"residual"``: the last convolution's 3 channels are added to the input photo
    (the convolution starts at zero, so an untrained network is the identity and
    training moves away from the photo only as far as the style loss pays for),
    clipped to [0, 1]; while training the clip passes gradients through unchanged
    (straight-through), so the loss sees the picture the user gets while a clipped
    pixel still learns (no pixel is stuck the way a saturated sigmoid's is);
    ``"sigmoid"`` (files written before ``output`` existed): a sigmoid of the last
    convolution.  A sigmoid output trained toward a dark style (the Hubble deep field)
    saturates: once a pixel's logit is far below 0 its gradient vanishes and the
    content loss can no longer pull it back, and a network started far from the photo
    settles on the style's near-black mean (mean 16/255 in issue 21).
``pad``
    the input is padded by this many px by reflection and the output cropped back
    (lengstrom/fast-style-transfer pad by 40 px and crop): the pixels near the border
    see a neighbourhood like the interior's, so the residual layers do not learn
    border patterns (streaks); 0 in older files.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, Mapping

import torch
from torch import nn

from .limits import BLOCKS_MAX, PAD_MAX, WIDTH_MAX

# what a file that does not name a setting meant (files before ``output``, ``pad`` and
# ``resample``)
DEFAULT_ARCH = {"width": 16, "residual_blocks": 3, "output": "sigmoid", "pad": 0,
                "resample": "nearest"}
OUTPUTS = ("sigmoid", "residual", "colour_residual")
RESAMPLES = ("nearest", "smooth")
_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)  # the low-pass before a stride of 2 (Zhang 2019)
COLOUR_LR_SCALE = 30  # the colour transform's learning rate, in multiples of the network's


def _conv(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride))


def _norm_relu(cin: int, cout: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [_conv(cin, cout, kernel, stride), nn.InstanceNorm2d(cout, affine=True),
            nn.ReLU(inplace=True)]


class Blur(nn.Module):
    """A fixed 5 x 5 binomial low-pass per channel, reflection padded: what a stride of 2
    after it keeps is much less aliased (Zhang 2019, "Making convolutional networks
    shift-invariant again")."""

    def __init__(self, channels: int):
        super().__init__()
        k = torch.tensor(_BINOMIAL)
        k = (k[:, None] * k[None, :]) / k.sum() ** 2
        self.register_buffer("kernel", k.expand(channels, 1, 5, 5).clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
        return nn.functional.conv2d(x, self.kernel, groups=x.shape[1])


def _down(cin: int, cout: int, smooth: bool) -> list[nn.Module]:
    return ([Blur(cin)] if smooth else []) + _norm_relu(cin, cout, 3, 2)


def _up(cin: int, cout: int, smooth: bool) -> list[nn.Module]:
    up = (nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False) if smooth
          else nn.Upsample(scale_factor=2, mode="nearest"))
    return [up, *_norm_relu(cin, cout, 3)]


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(*_norm_relu(channels, channels, 3), _conv(channels, channels, 3),
                                  nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TransformNet(nn.Module):
    """RGB in [0, 1] (B x 3 x H x W, any size: padded by reflection, ``pad`` px and to
    multiples of 4, and cropped back) -> stylised RGB in [0, 1]."""

    def __init__(self, width: int = 16, residual_blocks: int = 3, output: str = "sigmoid",
                 pad: int = 0, resample: str = "nearest"):
        super().__init__()
        check_arch({"width": width, "residual_blocks": residual_blocks, "output": output,
                    "pad": pad, "resample": resample}, "TransformNet")
        w, smooth = int(width), resample == "smooth"
        self.residual, self.pad = output in ("residual", "colour_residual"), int(pad)
        self.colour = output == "colour_residual"
        if self.colour:
            self.scale = nn.Parameter(torch.ones(1, 3, 1, 1))
            self.shift = nn.Parameter(torch.zeros(1, 3, 1, 1))
        last = _conv(w, 3, 9)
        if self.residual:   # the identity at the start
            nn.init.zeros_(last[1].weight)
            nn.init.zeros_(last[1].bias)
        self.net = nn.Sequential(
            *_norm_relu(3, w, 9), *_down(w, 2 * w, smooth), *_down(2 * w, 4 * w, smooth),
            *(ResidualBlock(4 * w) for _ in range(int(residual_blocks))),
            *_up(4 * w, 2 * w, smooth), *_up(2 * w, w, smooth),
            last, *(() if self.residual else (nn.Sigmoid(),)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        y = self.net(_padded(x, self.pad))[..., self.pad:self.pad + h, self.pad:self.pad + w]
        if not self.residual:
            return y
        y = (self.scale * x + self.shift if self.colour else x) + y
        clipped = y.clamp(0, 1)
        return y + (clipped - y).detach() if self.training else clipped


def parameter_groups(net: TransformNet, lr: float) -> list[dict]:
    """Adam's parameter groups: the colour transform at :data:`COLOUR_LR_SCALE` x ``lr``."""
    colour = [p for n, p in net.named_parameters() if n in ("scale", "shift")]
    rest = [p for n, p in net.named_parameters() if n not in ("scale", "shift")]
    return [{"params": rest, "lr": lr}] + (
        [{"params": colour, "lr": lr * COLOUR_LR_SCALE}] if colour else [])


class ArchError(ValueError):
    """An ``arch`` that :func:`check_arch` refuses; ``setting`` names the one at fault
    (None: settings it does not know)."""

    def __init__(self, setting: str | None, message: str):
        super().__init__(message)
        self.setting = setting


def check_arch(arch: Mapping[str, Any], field: str = "arch") -> dict[str, Any]:
    """``arch`` with integer width, residual_blocks and pad in range (Python ints in the
    result, numpy's accepted) and a known output and resample (:class:`ArchError`
    otherwise); a setting not named takes its :data:`DEFAULT_ARCH` value."""
    out = {**DEFAULT_ARCH, **{k: arch[k] for k in DEFAULT_ARCH if k in arch}}
    extra = set(arch) - set(DEFAULT_ARCH)
    if extra:
        raise ArchError(None, f"{field}: unknown settings {sorted(extra)}")
    for name, low, top in (("width", 1, WIDTH_MAX), ("residual_blocks", 0, BLOCKS_MAX),
                           ("pad", 0, PAD_MAX)):
        v = out[name]
        if isinstance(v, bool) or not isinstance(v, Integral) or not low <= v <= top:
            raise ArchError(name, f"{field}: {name} must be an integer in {low} .. {top}, "
                                  f"got {v!r}")
        out[name] = int(v)
    for name, known in (("output", OUTPUTS), ("resample", RESAMPLES)):
        if out[name] not in known:
            raise ArchError(name, f"{field}: {name} must be one of {', '.join(known)}, "
                                  f"got {out[name]!r}")
    return out


def build(arch: Mapping[str, Any]) -> TransformNet:
    return TransformNet(**check_arch(arch))


def _padded(x: torch.Tensor, pad: int) -> torch.Tensor:
    """``x`` padded by ``pad`` px on every side and further at the bottom and right to
    sides that are multiples of 4; by reflection, or by replication where the image is
    too small to reflect."""
    h, w = x.shape[-2:]
    ph, pw = (-h - 2 * pad) % 4, (-w - 2 * pad) % 4
    if not (pad or ph or pw):
        return x
    mode = "reflect" if h > pad + ph and w > pad + pw else "replicate"
    return nn.functional.pad(x, (pad, pad + pw, pad, pad + ph), mode=mode)
