"""Does the style cover the whole picture?  Tile-wise style distances.

The image is cut into a ``grid`` x ``grid`` array of tiles (rows and columns split as
evenly as the pixels allow); each tile goes through VGG19 on its own and its Gram
matrices are compared with the whole style image's: per layer
``Σ (G_tile - A)² / Σ A²`` (the style loss of :mod:`imgfusion.style.losses`), averaged
over the layers.  :func:`unevenness` is the worst tile's distance over the median's:

- the median, not the mean, so that one badly styled tile cannot hide by raising the
  reference it is compared with, and a few well styled ones cannot lower it;
- the worst tile, because a user sees the one dull patch (issue 21: a dimmed, barely
  styled left half next to a star field).

Every tile has the same size, so the bias of a Gram matrix taken over few positions is
common to all of them and cancels in the ratio; the style image's own tiles give the
unevenness the style itself has (a star field is not uniform either).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np
import torch

from .losses import gram, squared_norm

LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


class Evenness(NamedTuple):
    """The grid of tile distances and its worst tile over its median."""

    distances: np.ndarray      # grid x grid
    ratio: float               # max / median


@lru_cache(maxsize=2)
def _encoder(weights: str, seed: int):
    from .encoder import VGGEncoder
    from .layers import deepest
    from .weights import load_features, preprocessing_for

    state = load_features(weights, upto=deepest(LAYERS) + 1, seed=seed)
    return VGGEncoder(state, LAYERS, "max", preprocessing_for(weights))


def tiles(image: np.ndarray, grid: int) -> list[np.ndarray]:
    """The ``grid`` x ``grid`` tiles of ``image``, row by row."""
    rows = np.array_split(np.arange(image.shape[0]), grid)
    cols = np.array_split(np.arange(image.shape[1]), grid)
    return [image[r[0]:r[-1] + 1, c[0]:c[-1] + 1] for r in rows for c in cols]


@torch.no_grad()
def _grams(encoder, image: np.ndarray) -> dict[str, torch.Tensor]:
    x = torch.from_numpy(np.ascontiguousarray(image[..., :3], np.float32)).permute(2, 0, 1)
    feats = encoder(x[None])
    return {n: gram(feats[n])[0] for n in LAYERS}


def _distance(g: dict[str, torch.Tensor], a: dict[str, torch.Tensor]) -> float:
    return float(np.mean([float((g[n] - a[n]).pow(2).sum() / squared_norm(a[n]))
                          for n in LAYERS]))


def tile_distances(image: np.ndarray, style: np.ndarray, *, grid: int = 4,
                   weights: str = "original", seed: int = 0) -> Evenness:
    """Style distance of each tile of ``image`` to the whole of ``style`` (given at the
    scale the run used), and the worst tile over the median."""
    if min(image.shape[:2]) < 16 * grid:
        raise ValueError(f"tiles of at least 16 px need an image of {16 * grid} px or more "
                         f"for a {grid} x {grid} grid, got {image.shape[:2]}")
    encoder = _encoder(str(weights), int(seed))
    target = _grams(encoder, np.asarray(style, np.float32))
    d = np.array([_distance(_grams(encoder, t), target) for t in tiles(image, grid)])
    return Evenness(d.reshape(grid, grid), unevenness(d))


def unevenness(distances: Sequence[float] | np.ndarray) -> float:
    """Worst over median of tile distances (1: perfectly even)."""
    d = np.asarray(distances, np.float64).ravel()
    return float(d.max() / max(np.median(d), 1e-30))
