"""How a blend did: colour fidelity inside the pasted piece, and seam visibility.

Both work in the target's frame on the piece as it landed (``alpha`` placed at
``offset``, clipped to the target):

- **colour distance**: CIELAB mean and standard deviation per channel over the
  piece's solid part (alpha >= 0.5) of the result against the same statistics of
  the piece itself; the Euclidean norm of the six differences (Lab units; 0 = the
  piece's colours kept, plain Poisson typically shifts them by tens).
- **seam visibility**: the mean squared difference across the 4-neighbour pairs
  that cross the outline of the solid part, in the result, divided by the same in
  the target alone (1 = the seam is as visible as the target's own texture there).
"""
from __future__ import annotations

import numpy as np

from ..checks import split_alpha, to_colour
from ..errors import ParameterError
from ..layout.placement import landed


def _lab(image: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2lab

    colour, _ = split_alpha(image)
    return rgb2lab(to_colour(colour, 3).astype(np.float64))


def colour_distance(result, piece, alpha, offset) -> float:
    """Distance of the result's Lab statistics inside the piece from the piece's own."""
    solid = landed(alpha, offset, result.shape[:2]) >= 0.5
    if not solid.any():
        raise ParameterError("mask", "no solid part of the piece lands inside the target")
    ours = _lab(result)[solid]
    theirs = _lab(landed(piece, offset, result.shape[:2]))[solid]
    diffs = np.concatenate([ours.mean(0) - theirs.mean(0), ours.std(0) - theirs.std(0)])
    return float(np.sqrt((diffs ** 2).sum()))


def _crossing_energy(image: np.ndarray, solid: np.ndarray) -> float:
    colour = split_alpha(image)[0].astype(np.float64)
    energies = []
    for axis in (0, 1):
        crossing = np.diff(solid.astype(np.int8), axis=axis) != 0
        step = np.diff(colour, axis=axis)
        energies.append((step ** 2).sum(axis=2)[crossing])
    return float(np.concatenate(energies).mean())


def seam_visibility(result, target, alpha, offset) -> float:
    """Gradient energy across the piece's outline in ``result`` against ``target``'s own."""
    solid = landed(alpha, offset, target.shape[:2]) >= 0.5
    if not solid.any() or solid.all():
        raise ParameterError("mask", "the piece has no outline inside the target")
    return _crossing_energy(result, solid) / max(_crossing_energy(target, solid), 1e-12)


def blend_scores(result, piece, target, alpha, offset) -> dict[str, float]:
    """Both measures of one blend, as a dict for an operator's info."""
    return {"colour_distance": round(colour_distance(result, piece, alpha, offset), 4),
            "seam_visibility": round(seam_visibility(result, target, alpha, offset), 4)}
