"""Bilinear resampling shared by ``resize`` and the placements' ``scale`` and ``fit``.

An RGBA image is resampled with its colour weighted by its alpha (premultiplied), so
the colour of transparent pixels (often black) does not bleed into the edge of what
is opaque: a cut-out scaled up or down keeps its own colours to its outline.
"""
from __future__ import annotations

import numpy as np

TRANSPARENT = 1e-6   # alpha at or below which a resampled pixel's colour is not divided


def resample(image: np.ndarray, hw: tuple[int, int], anti_aliasing: bool) -> np.ndarray:
    """``image`` (H x W or H x W x C, float) at ``hw``: bilinear, edge-extended, a Gaussian
    pre-filter with ``anti_aliasing``; an RGBA image's colour premultiplied by its alpha."""
    from skimage.transform import resize

    def plain(a: np.ndarray) -> np.ndarray:
        return resize(a, tuple(hw) + a.shape[2:], order=1, mode="edge",
                      anti_aliasing=anti_aliasing, preserve_range=True)

    if image.ndim != 3 or image.shape[2] != 4 or (image[..., 3] >= 1).all():
        return plain(image)
    alpha = plain(image[..., 3:])
    weighted = plain(image[..., :3] * image[..., 3:])
    colour = np.where(alpha > TRANSPARENT, weighted / np.maximum(alpha, TRANSPARENT),
                      plain(image[..., :3]))
    return np.concatenate([colour, alpha], axis=2)


def hidden_filled(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``colour`` (H x W x C) with each wholly transparent pixel (alpha 0) given the colour
    of the nearest pixel that shows: what no one sees cannot change what they do (a
    stylised cutout's rim took the colour stored under its transparent pixels)."""
    hidden = np.asarray(alpha) <= 0
    if not hidden.any() or hidden.all():
        return colour
    from scipy.ndimage import distance_transform_edt

    _, (rows, cols) = distance_transform_edt(hidden, return_indices=True)
    return colour[rows, cols]
