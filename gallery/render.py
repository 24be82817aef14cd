"""Render the gallery: every recipe of imgfusion/gallery_recipes/ into gallery/results/<name>/.

    python gallery/render.py                 # all recipes
    python gallery/render.py poisson_blend   # only these (by file stem)

Recipes whose steps take VGG19 ``weights`` are rendered with the pretrained
weights when they are in the torch cache, and otherwise with ``weights: random``
(the captions in README.md say which made the committed pictures).
"""
from __future__ import annotations

import sys
from pathlib import Path

from imgfusion.demo import gallery_dir
from imgfusion.engine import run_recipe
from imgfusion.recipe import load_recipe

HERE = Path(__file__).resolve().parent


def weight_overrides(path: Path) -> list[str]:
    """``--set STEP.weights=random`` for each step that asks for pretrained weights we lack.

    Read from the YAML, not the validated recipe: validation refuses ``weights: imagenet``
    when the file is neither cached nor downloadable, which is the case handled here.
    """
    import yaml

    from imgfusion.plugins import load_registry
    from imgfusion.style.weights import imagenet_weights_cached

    if imagenet_weights_cached():
        return []
    registry = load_registry()
    steps = yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]
    return [f"{s.get('id', str(s['op']) + str(n))}.weights=random"
            for n, s in enumerate(steps, 1)
            if s["op"] in registry and registry[s["op"]].param("weights") is not None
            and s.get("weights", "imagenet") == "imagenet"]


def render(names: list[str]) -> None:
    recipes = [p for p in sorted(gallery_dir().glob("*.yaml")) if p.name != "demo.yaml"]
    for path in recipes:
        if names and path.stem not in names:
            continue
        overrides = weight_overrides(path)
        note = f" with {', '.join(overrides)}" if overrides else ""
        print(f"rendering {path.name}{note}", file=sys.stderr)
        recipe = load_recipe(path, overrides=overrides, out_dir=HERE / "results" / path.stem,
                             overwrite=True)
        run_recipe(recipe)


if __name__ == "__main__":
    render(sys.argv[1:])
