"""The convolutional VAE of the latent-shift style, and its residual refiner.

Encoder: strided (stride 2) convolutions, each followed by batch norm and ELU, then
two linear heads for the posterior mean μ and log standard deviation log σ (as the
seed, Mital's CADL ``vae.py``, names them).  Decoder: the mirror image, a linear
layer back to the last feature map, then per layer an upsampling to the matching
encoder size, a convolution, batch norm and ELU, and a 3 x 3 convolution to RGB with
a sigmoid.  Upsampling plus convolution rather than transposed convolutions: no
checkerboard artefacts, and any input size works (the sizes are recorded on the way
down).

The seed's network (sunsided/vae-style-transfer: 180 x 320 frames, filters
64, 64, 64, 128, 128, 192, 256 with kernels 7, 7, 5, 5, 3, 3, 3, 512 codes) is
:data:`SEED_ARCH`; the default, :data:`DEFAULT_ARCH`, is a smaller 128 px network
that trains on a GPU in minutes.

The refiner (optional) sharpens a decoded image ``y``: ``r(y) = y + f(y)``, a few
convolutions with one strided step and a skip connection (the seed's layout), the
last convolution zero-initialised so that an untrained refiner is the identity.  It
is trained on pairs (VAE reconstruction, original): see :func:`refiner_losses`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ParameterError


@dataclass(frozen=True)
class VaeArch:
    """What the network looks like: everything a model file needs to rebuild it.

    ``size`` is (rows, cols) of the images it takes; ``filters`` and ``kernels`` one
    entry per encoder layer (each halves the size); ``latent`` the number of codes;
    ``refiner_width`` the refiner's channels (0: no refiner).
    """

    size: tuple[int, int] = (128, 128)
    filters: tuple[int, ...] = (32, 64, 128, 192, 256)
    kernels: tuple[int, ...] = (5, 5, 3, 3, 3)
    latent: int = 128
    refiner_width: int = 32
    channels: int = field(default=3)

    def __post_init__(self):
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        object.__setattr__(self, "filters", tuple(int(v) for v in self.filters))
        object.__setattr__(self, "kernels", tuple(int(v) for v in self.kernels))
        check_arch(self)

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "VaeArch":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def encoded_sizes(self) -> list[tuple[int, int]]:
        """Input size, then the size after each strided layer."""
        sizes = [self.size]
        for _ in self.filters:
            h, w = sizes[-1]
            sizes.append(((h + 1) // 2, (w + 1) // 2))
        return sizes


def check_arch(arch: VaeArch) -> None:
    """Refuse an architecture that cannot be built, naming the field at fault."""
    if len(arch.size) != 2 or min(arch.size) < 4:
        raise ParameterError("size", f"needs [rows, cols] of at least 4 px, got {arch.size}")
    if not arch.filters or min(arch.filters) < 1:
        raise ParameterError("filters", f"needs one positive channel count per layer, got "
                                        f"{list(arch.filters)}")
    if len(arch.kernels) != len(arch.filters):
        raise ParameterError("kernels", f"one kernel size per layer of filters: got "
                                        f"{len(arch.kernels)} for {len(arch.filters)} layers")
    if min(arch.kernels) < 1 or any(k % 2 == 0 for k in arch.kernels):
        raise ParameterError("kernels", f"kernel sizes must be odd and positive, got "
                                        f"{list(arch.kernels)}")
    if arch.latent < 1:
        raise ParameterError("latent", f"must be >= 1, got {arch.latent}")
    if arch.refiner_width < 0:
        raise ParameterError("refiner_width", f"must be >= 0, got {arch.refiner_width}")
    if 2 ** len(arch.filters) > 2 * max(arch.size):
        raise ParameterError("filters", f"{len(arch.filters)} stride-2 layers shrink a "
                                        f"{arch.size[0]} x {arch.size[1]} image below one "
                                        f"pixel; use fewer layers or a larger size")


SEED_ARCH = VaeArch(size=(180, 320), filters=(64, 64, 64, 128, 128, 192, 256),
                    kernels=(7, 7, 5, 5, 3, 3, 3), latent=512, refiner_width=32)
DEFAULT_ARCH = VaeArch()
PRESETS = {"default": DEFAULT_ARCH, "seed": SEED_ARCH}


def build_arch(preset: str, size, filters, kernels, latent, refiner_width) -> VaeArch:
    """The preset's architecture with the sizes given (not None) changed."""
    base = PRESETS[preset].as_dict()
    changes = {"size": size, "filters": filters, "kernels": kernels, "latent": latent,
               "refiner_width": refiner_width}
    if filters is not None and kernels is None and len(filters) != len(base["kernels"]):
        changes["kernels"] = [3] * len(filters)
    return VaeArch.from_dict({**base, **{k: v for k, v in changes.items() if v is not None}})


def _block(cin: int, cout: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2),
                         nn.BatchNorm2d(cout), nn.ELU())


class ConvVAE(nn.Module):
    """``encode(x) -> (μ, log σ)``, ``decode(z) -> image``; x is B x 3 x H x W in [0, 1]."""

    def __init__(self, arch: VaeArch = DEFAULT_ARCH):
        super().__init__()
        self.arch = arch
        self.sizes = arch.encoded_sizes()
        chans = (arch.channels, *arch.filters)
        self.encoder = nn.Sequential(*[_block(chans[i], chans[i + 1], k, 2)
                                       for i, k in enumerate(arch.kernels)])
        h, w = self.sizes[-1]
        flat = arch.filters[-1] * h * w
        self.mu = nn.Linear(flat, arch.latent)
        self.log_sigma = nn.Linear(flat, arch.latent)
        self.expand = nn.Linear(arch.latent, flat)
        outs = (arch.filters[0], *arch.filters[:-1])
        self.decoder = nn.ModuleList([_block(arch.filters[i], outs[i], arch.kernels[i], 1)
                                      for i in reversed(range(len(arch.filters)))])
        self.to_rgb = nn.Conv2d(arch.filters[0], arch.channels, 3, padding=1)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x).flatten(1)
        return self.mu(h), self.log_sigma(h).clamp(-10.0, 5.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h, w = self.sizes[-1]
        x = self.expand(z).view(z.shape[0], self.arch.filters[-1], h, w)
        n = len(self.decoder)
        for j, block in enumerate(self.decoder):
            x = F.interpolate(x, size=self.sizes[n - 1 - j], mode="nearest")
            x = block(x)
        return torch.sigmoid(self.to_rgb(x))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """(reconstruction of a sampled z, μ, log σ)."""
        mu, log_sigma = self.encode(x)
        z = sample(mu, log_sigma, generator)
        return self.decode(z), mu, log_sigma


def sample(mu: torch.Tensor, log_sigma: torch.Tensor,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + ε · σ with ε ~ N(0, 1) (the reparameterisation)."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype) \
        if generator is not None else torch.randn_like(mu)
    return mu + eps * log_sigma.exp()


def kl_divergence(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) || N(0, 1)) summed over the codes, one value per image."""
    return 0.5 * (mu.pow(2) + (2 * log_sigma).exp() - 1 - 2 * log_sigma).sum(dim=1)


def vae_losses(model: ConvVAE, x: torch.Tensor, beta: float,
               generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The seed's objective with a weight β on the KL term (β = 1: the plain VAE).

    ``loss`` = mean over the batch of (Σ squared error over pixels + β KL); ``mse`` is
    the mean squared error per pixel value and ``kl`` the KL per image (reported).
    """
    recon, mu, log_sigma = model(x, generator)
    se = (recon - x).pow(2).flatten(1).sum(dim=1)
    kl = kl_divergence(mu, log_sigma)
    return {"loss": (se + beta * kl).mean(), "mse": se.mean().detach() / x[0].numel(),
            "kl": kl.mean().detach()}


class Refiner(nn.Module):
    """``r(y) = y + f(y)``: conv, strided conv, three convs, upsampling, skip-add, conv."""

    def __init__(self, width: int = 32, channels: int = 3):
        super().__init__()
        w = width
        self.head = nn.Sequential(nn.Conv2d(channels, w, 3, padding=1), nn.ELU())
        self.down = nn.Sequential(nn.Conv2d(w, w, 3, stride=2, padding=1), nn.ELU(),
                                  nn.Conv2d(w, w, 3, padding=1), nn.ELU(),
                                  nn.Conv2d(w, 2 * w, 3, padding=1), nn.ELU(),
                                  nn.Conv2d(2 * w, w, 3, padding=1), nn.ELU())
        self.tail = nn.Conv2d(w, channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        h = self.head(y)
        d = F.interpolate(self.down(h), size=y.shape[-2:], mode="bilinear", align_corners=False)
        return (y + self.tail(h + d)).clamp(0.0, 1.0)


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


def refiner_losses(refiner: Refiner, decoded: torch.Tensor, target: torch.Tensor,
                   edge_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """Pull the refined decode toward the input, in values and in edges.

    ``loss`` = mean squared error to the input + ``edge_weight`` x mean absolute
    error of the image gradients.  The seed also pushed the result away from the
    blurry decode with 0.4·10⁴ / ||r(y) − y||²; that term is left out on purpose: it
    has no minimiser (it keeps falling as the output runs off anywhere), its gradient
    is unbounded at the start (an identity refiner has r(y) = y), and it adds nothing
    the pull toward the input does not already ask for where the input differs from
    the decode.  The edge term is the well-posed way to ask for sharpness: it is
    smallest when the refined edges match the input's.
    """
    out = refiner(decoded)
    mse = (out - target).pow(2).mean()
    (oy, ox), (ty, tx) = _gradients(out), _gradients(target)
    edges = (oy - ty).abs().mean() + (ox - tx).abs().mean()
    return {"loss": mse + edge_weight * edges, "mse": mse.detach(), "edges": edges.detach()}
