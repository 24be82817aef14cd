"""The mask-guided gallery recipes and the demo's headline validate (nothing is run)."""
from pathlib import Path

import pytest
import yaml

from imgfusion.demo import demo_recipes
from imgfusion.recipe import load_recipe

GALLERY = Path(__file__).resolve().parents[2] / "imgfusion" / "gallery_recipes"
RECIPES = ["stylized_cutout", "stylized_cutout_steps", "two_regions", "style_sweep", "stylized_cup",
           "style_defaults"]


@pytest.fixture(autouse=True)
def _weights_reachable(monkeypatch):
    """The recipes ask for weights: imagenet, which validation refuses on an offline machine
    without the cached file; these tests are about the recipes, not this machine's cache."""
    monkeypatch.setattr("imgfusion.style.checks.can_download", lambda *a, **k: True)


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_validates_and_has_a_caption_that_names_its_weights(name, tmp_path):
    path = GALLERY / f"{name}.yaml"
    recipe = load_recipe(path, out_dir=tmp_path)
    assert recipe.steps
    caption = " ".join(yaml.safe_load(path.read_text(encoding="utf-8"))["description"].split())
    assert "original VGG19" in caption  # real style transfer, with the default weights
    assert all(step.params.get("weights", "original") == "original" for step in recipe.steps)


def test_sweep_is_the_five_by_five_grid(tmp_path):
    recipe = load_recipe(GALLERY / "style_sweep.yaml", out_dir=tmp_path)
    styled = next(s for s in recipe.steps if s.id == "styled")
    assert len(styled.variants) == 25


def test_demo_headline_is_the_stylised_cutout():
    with_weights = demo_recipes(GALLERY, with_weights=True)
    assert with_weights[0] == GALLERY / "stylized_cutout.yaml"
    assert GALLERY / "stylized_cutout.yaml" not in demo_recipes(GALLERY, with_weights=False)
