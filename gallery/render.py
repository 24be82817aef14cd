"""Render every gallery recipe into gallery/out/<name>/ and rewrite gallery/README.md.

    python gallery/render.py                 # all recipes
    python gallery/render.py poisson_blend   # only these (by file stem)

Each recipe's top-level ``description:`` is its caption; the index shows every
PNG the recipe saved.  Recipes that need pretrained VGG19 weights are rendered
with whatever ``weights:`` they name, and their caption says which.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from imgfusion.engine import run_recipe
from imgfusion.recipe import load_recipe

HERE = Path(__file__).resolve().parent


def render(names: list[str]) -> None:
    recipes = sorted(HERE.glob("*.yaml"))
    recipes = [r for r in recipes if r.name != "demo.yaml"]
    for path in recipes:
        if names and path.stem not in names:
            continue
        print(f"rendering {path.name}", file=sys.stderr)
        run_recipe(load_recipe(path, out_dir=HERE / "out" / path.stem, overwrite=True))
    write_index(recipes)


def write_index(recipes: list[Path]) -> None:
    lines = ["# Gallery", "",
             "Each picture below is what the recipe beside it writes; re-render them all with",
             "`python gallery/render.py` (or one with `imgfusion run gallery/NAME.yaml --out DIR`).",
             ""]
    for path in recipes:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        lines += [f"## [{path.stem}]({path.name})", "", str(raw.get("description", "")).strip(), ""]
        for png in sorted((HERE / "out" / path.stem).glob("**/*.png")):
            rel = png.relative_to(HERE)
            lines.append(f"![{png.stem}]({rel.as_posix()})")
        lines.append("")
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    render(sys.argv[1:])
