"""Colour fidelity and seam visibility of the colour-keeping blend against plain Poisson and
plain alpha compositing (the two measures of :mod:`imgfusion.gradient.blend_measures`).

    python bench/color_keeping.py [--bands 3 6 10 16]

Cases (no style transfer, so it runs in seconds): a piece recoloured the way a style
recolours it (a warm palette and fine texture laid over its luminance) pasted by its mask's
centre into another photo: the coffee cup (cut out with GrabCut) into the rocket's sky, and
the cat's face (an ellipse) into the astronaut picture.  For each blend it prints the Lab
colour distance inside the piece (0: its colours kept) and the seam visibility (1: the
outline as visible as the target's own texture there).  A measurement, not a test.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's imgfusion
from imgfusion.gradient.blend_measures import blend_scores  # noqa: E402
from imgfusion.gradient.blending import poisson_blend  # noqa: E402
from imgfusion.gradient.color_keeping import banded_blend  # noqa: E402
from imgfusion.io.read import read_image  # noqa: E402
from imgfusion.layout.cutouts import cut_out  # noqa: E402
from imgfusion.layout.geometry import place, resize  # noqa: E402
from imgfusion.layout.masks import shape_mask  # noqa: E402
from imgfusion.layout.placement import Placement, resolve_placement  # noqa: E402


def recoloured(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """The luminance in a warm palette plus fine texture: what a style does to a piece."""
    from scipy.ndimage import gaussian_filter

    grey = image[..., :3] @ np.array([0.2125, 0.7154, 0.0721], np.float32)
    warm = grey[..., None] * np.array([1.0, 0.62, 0.35], np.float32) + [0.15, 0.05, 0.0]
    noise = gaussian_filter(np.random.default_rng(seed).standard_normal(image.shape[:2]), 1)
    return np.clip(warm + 0.08 * noise[..., None], 0, 1).astype(np.float32)


def cup_case():
    coffee = resize(read_image("sample:coffee"), longest=200)
    hint = shape_mask(coffee, center=(0.36, 0.48), extent=(0.66, 0.46))
    sure = shape_mask(coffee, center=(0.52, 0.48), extent=(0.12, 0.3), shape="rectangle")
    rocket = resize(read_image("sample:rocket"), longest=400)
    return "cup -> rocket", recoloured(coffee), rocket, cut_out(coffee, hint, sure), (0.3, 0.72)


def cat_case():
    cat = resize(read_image("sample:chelsea"), longest=200)
    face = shape_mask(cat, center=(0.45, 0.45), extent=(0.7, 0.45), feather=3.0)
    photo = resize(read_image("sample:astronaut"), longest=400)
    return "cat -> astronaut", recoloured(cat, 1), photo, face, (0.6, 0.7)


def measure(case, bands) -> None:
    name, piece, target, mask, at = case
    src, alpha, offset = resolve_placement(Placement(at=at, units="fraction"), piece, mask,
                                           target.shape[:2])
    rows = {"alpha": place(src, target, mask=alpha, offset=offset),
            "poisson": poisson_blend(src, target, alpha, offset=offset).image}
    for band in bands:
        rows[f"keep_colors band {band}"] = banded_blend(src, target, alpha, offset, band,
                                                        ("auto", 1e-8)).image
    print(f"{name}: colour distance (Lab) / seam visibility (x target's own)")
    for label, image in rows.items():
        s = blend_scores(image, src, target, alpha, offset)
        print(f"  {label:22s} {s['colour_distance']:8.2f} {s['seam_visibility']:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, nargs="+", default=[3, 6, 10, 16])
    args = parser.parse_args()
    for case in (cup_case(), cat_case()):
        measure(case, args.bands)


if __name__ == "__main__":
    main()
