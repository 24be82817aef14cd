"""Does the style cover the whole picture?  Tile-wise style distances.

The image is cut into a ``grid`` x ``grid`` array of tiles (rows and columns split as
evenly as the pixels allow); each tile goes through VGG19 on its own and the mean and
standard deviation of each channel are compared with the whole style image's: per
layer ``(|μ - μ_s|² + |σ - σ_s|²) / (|μ_s|² + |σ_s|²)`` (the statistics Risser et al.
2017 and AdaIN match), averaged over the layers.  Not the Gram distance of the style
loss: over the few positions of a small tile it is too noisy (measured: a flat grey
64 px tile scored 0.95 against the Hubble deep field, its own textured tiles 0.7 to
1.8; with means and deviations, 0.8 against 0.06 to 0.2).  :func:`unevenness` is the
worst tile's distance over the median's:

- the median, not the mean, so that one badly styled tile cannot hide by raising the
  reference it is compared with, and a few well styled ones cannot lower it;
- the worst tile, because a user sees the one dull patch (issue 21: a dimmed, barely
  styled left half next to a star field).

Every tile has the same size, so the bias of statistics taken over few positions is
common to all of them and cancels in the ratio; the style image's own tiles give the
unevenness the style itself has (a star field is not uniform either: the Hubble deep
field's own 64 px tiles have a worst over median of 3.9).  A picture half unstyled has
its median among the unstyled tiles, so read the grid, not the ratio alone.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np
import torch


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
def _statistics(encoder, image: np.ndarray) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per layer, each channel's mean and standard deviation over the positions."""
    x = torch.from_numpy(np.ascontiguousarray(image[..., :3], np.float32)).permute(2, 0, 1)
    feats = encoder(x[None])
    return {n: (feats[n][0].flatten(1).mean(1), feats[n][0].flatten(1).std(1))
            for n in LAYERS}


def _distance(tile: dict, style: dict) -> float:
    per_layer = []
    for n in LAYERS:
        (m, s), (ms, ss) = tile[n], style[n]
        err = (m - ms).pow(2).sum() + (s - ss).pow(2).sum()
        per_layer.append(float(err / (ms.pow(2).sum() + ss.pow(2).sum()).clamp_min(1e-30)))
    return float(np.mean(per_layer))


def tile_distances(image: np.ndarray, style: np.ndarray, *, grid: int = 4,
                   weights: str = "original", seed: int = 0) -> Evenness:
    """Style distance of each tile of ``image`` to the whole of ``style`` (given at the
    scale the run used), and the worst tile over the median."""
    if min(image.shape[:2]) < 16 * grid:
        raise ValueError(f"tiles of at least 16 px need an image of {16 * grid} px or more "
                         f"for a {grid} x {grid} grid, got {image.shape[:2]}")
    encoder = _encoder(str(weights), int(seed))
    target = _statistics(encoder, np.asarray(style, np.float32))
    d = np.array([_distance(_statistics(encoder, t), target) for t in tiles(image, grid)])
    return Evenness(d.reshape(grid, grid), unevenness(d))


def unevenness(distances: Sequence[float] | np.ndarray) -> float:
    """Worst over median of tile distances (1: perfectly even)."""
    d = np.asarray(distances, np.float64).ravel()
    return float(d.max() / max(np.median(d), 1e-30))
