"""How a tile's result joins the canvas of a tiled level without a dull seam.

The tiles' results are summed with their blend weights (:func:`.tile_plan.blend_weights`)
and divided by the summed weights.  Where two tiles overlap, that average of two textures
that only partly agree has less detail than either (two uncorrelated textures of equal
weight keep half their energy), so the overlap strips show as duller bands.

A variance-preserving blend (Heitz and Neyret 2018: ``Σ w_i x_i / sqrt(Σ w_i²)``)
assumes uncorrelated tiles; neighbouring tiles here are partly correlated (each starts
from the canvas its neighbours left), and that normalisation would amplify what they
share.  So the correlation is measured: the blend is split into a low-pass part and bands
of detail (differences of Gaussians of :data:`BANDS` pixels, like a Laplacian pyramid's
levels, so each scale gets its own gain); each tile's local energy per band (the squared
band, averaged over :func:`energy_sigma`) joins a weighted sum like its pixels, and so do
the squared weights.  The blend's energy against the tiles' gives the correlation over
that window, and the gain of each band follows the weights pixel by pixel
(:func:`band_gain`).  Where one tile alone holds a pixel, or the tiles agree, the gain is
1 and the blend is the plain average.

Measured alternatives (bench/style_tiles.py): one band above a 2 px Gaussian with the
gain taken as the square root of the energy ratio itself (no model of the weights) left
the synthetic test's strips at 0.95 of a single texture: the energy window smeared the
narrow dip where the weights cross; the model with the correlation clipped at 0 instead
of -1 left 0.967 (a biased estimate of a correlation near 0).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .tile_plan import Tile

BANDS = (1.0, 2.0, 4.0, 8.0)  # px: the Gaussians between the bands of detail
ENERGY_SIGMA = 4.0     # px: the least window over which a band's energy is compared
MAX_GAIN = 2.0         # the most a band of the blend's detail is amplified (4 x its energy)
EPS = 1e-12
BLEND_PLANES = 1 + len(BANDS)   # full-size planes: Σ w², each band's weighted energy


def gaussian(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """``x`` (1 x C x H x W) blurred by a separable Gaussian, edges reflected."""
    radius = min(math.ceil(3 * sigma), min(x.shape[-2:]) - 1)
    if radius < 1:
        return x
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).repeat(x.shape[1], 1, 1)[:, None]         # C x 1 x 1 x taps
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.transpose(2, 3),
                 groups=x.shape[1])
    return F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k, groups=x.shape[1])


def split(x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(low-pass part, bands of detail finest first) of ``x``: they sum to ``x``."""
    blurred = [gaussian(x, sigma) for sigma in BANDS]
    return blurred[-1], [a - b for a, b in zip([x, *blurred], blurred)]


def energy_sigma(sigma: float) -> float:
    """The window over which the energy of the band above a Gaussian ``sigma`` is taken."""
    return max(ENERGY_SIGMA, 2 * sigma)


def detail_energy(bands: list[torch.Tensor]) -> torch.Tensor:
    """Local means of each band's square, summed over the channels: 1 x bands x H x W."""
    return torch.cat([gaussian((d ** 2).sum(1, keepdim=True), energy_sigma(sigma))
                      for d, sigma in zip(bands, BANDS)], 1)


def halo() -> int:
    """Pixels around a tile that its restored detail depends on."""
    return math.ceil(3 * BANDS[-1]) + math.ceil(3 * energy_sigma(BANDS[-1]))


class TileBlend:
    """The weighted sums of a tiled level (pixels, weights, detail energy) and the canvas,
    whose pixels under each tile blended in become the detail-restored blend so far."""

    def __init__(self, canvas: torch.Tensor):
        self.canvas = canvas
        self.total = torch.zeros_like(canvas)
        self.weight = torch.zeros((1, 1, *canvas.shape[-2:]))
        self.square = torch.zeros_like(self.weight)
        self.energy = torch.zeros((1, len(BANDS), *canvas.shape[-2:]))

    def add(self, tile: Tile, out: torch.Tensor, w: torch.Tensor) -> None:
        """Add ``out`` (the tile's result) with weights ``w``; the canvas under the tile
        becomes the blend so far (where no weight is in yet, it keeps what it had)."""
        rows, cols = tile.slices
        region = self.around(tile)
        inner = (..., slice(tile.top - region[0].start, tile.top - region[0].start + tile.height),
                 slice(tile.left - region[1].start, tile.left - region[1].start + tile.width))
        self.total[..., rows, cols] += w * out
        self.weight[..., rows, cols] += w
        self.square[..., rows, cols] += w ** 2
        self.energy[..., rows, cols] += w * self.tile_energy(region, inner, out)
        self.canvas[..., rows, cols] = self.restored(region)[inner]

    def tile_energy(self, region, inner, out: torch.Tensor) -> torch.Tensor:
        """The local energy of each band of ``out``, seen within the canvas around it
        (``region``, the tile at ``inner`` in it) rather than against its own mirror."""
        seen = self.canvas[(..., *region)].clone()
        seen[inner] = out
        return detail_energy(split(seen)[1])[inner]

    def around(self, tile: Tile) -> tuple[slice, slice]:
        """The tile's rows and columns widened by :func:`halo` within the image."""
        h, w, pad = *self.canvas.shape[-2:], halo()
        return (slice(max(0, tile.top - pad), min(h, tile.top + tile.height + pad)),
                slice(max(0, tile.left - pad), min(w, tile.left + tile.width + pad)))

    def restored(self, region: tuple[slice, slice]) -> torch.Tensor:
        """The blend over ``region`` with each band of its detail scaled by
        :func:`band_gain`."""
        where = (..., *region)
        weight = self.weight[where]
        have = weight > 0
        safe = weight.clamp_min(EPS)
        blend = torch.where(have, self.total[where] / safe, self.canvas[where])
        low, bands = split(blend)
        ratio = detail_energy(bands) / (self.energy[where] / safe).clamp_min(EPS)
        alone = torch.where(have, self.square[where] / safe ** 2, torch.ones_like(weight))
        gains = [band_gain(alone, r, sigma) for r, sigma in zip(ratio.unbind(1), BANDS)]
        return low + sum(g * d for g, d in zip(gains, bands))


def band_gain(alone: torch.Tensor, ratio: torch.Tensor, sigma: float) -> torch.Tensor:
    """The gain of the band above Gaussian ``sigma`` at each pixel.

    ``alone`` is ``Σ w_i² / (Σ w_i)²``: the share of the tiles' energy a blend keeps when
    they are uncorrelated (1 where one tile holds the pixel); with correlation ``ρ`` it
    keeps ``alone + ρ (1 - alone)``.  ``ratio`` (the blend's energy over the tiles', both
    over :func:`energy_sigma`) gives ``ρ`` against ``alone`` averaged over the same
    window; the gain ``(alone + ρ (1 - alone))^-1/2`` then follows the weights pixel by
    pixel, at most :data:`MAX_GAIN`."""
    mean = gaussian(alone, energy_sigma(sigma))
    rho = ((ratio[:, None] - mean) / (1 - mean).clamp_min(1e-3)).clamp(-1, 1)
    kept = alone + rho * (1 - alone)
    return kept.clamp_min(MAX_GAIN ** -2).rsqrt()
