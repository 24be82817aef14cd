"""A recipe names the style options flat; validation and the engine gather them into the
option groups, each field defaulting to the operator's default instance's value."""
import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import RecipeError
from imgfusion.recipe import load_recipe
from imgfusion.style.transfer import content_reconstruction

pytestmark = pytest.mark.filterwarnings("ignore::imgfusion.style.weights.RandomWeightsWarning")
FLAT = {"weights": "random", "iterations": 2, "content_layers": ["relu1_1"], "size": 16,
        "optimizer": "adam"}


def _recipe(tmp_path, **step):
    steps = [{"id": "photo", "op": "load", "path": "sample:coffee"},
             {"id": "rec", "op": "content_reconstruction", "content": "$photo", **step}]
    return _load(tmp_path, steps)


def _load(tmp_path, steps):
    import yaml

    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"imgfusion": 1, "device": "cpu", "seed": 0,
                                    "steps": steps}))
    return load_recipe(path)


def _problems(tmp_path, **step):
    with pytest.raises(RecipeError) as info:
        _recipe(tmp_path, **step)
    return {(p.step, p.field): p for p in info.value.problems}


def test_flat_keys_run_with_the_presets_default_init(tmp_path):
    """init is not named: the engine builds StyleInit from the preset's default (noise)."""
    result = run_recipe(_recipe(tmp_path, **FLAT), write_report=False)
    photo = result.output("photo")
    same = content_reconstruction(photo, device="cpu", seed=0, **FLAT)
    from_content = content_reconstruction(photo, device="cpu", seed=0, init="content", **FLAT)
    assert np.array_equal(result.output("rec"), same.image)
    assert not np.array_equal(same.image, from_content.image)


def test_a_misspelt_flat_key_is_reported_with_the_close_match(tmp_path):
    found = _problems(tmp_path, content_wieght=2.0, **FLAT)
    problem = found["rec", "content_wieght"]
    assert "unknown parameter" in problem.message and problem.suggestion == "content_weight"


def test_a_preset_refuses_the_other_loss_and_an_init_it_cannot_start_from(tmp_path):
    assert ("rec", "style_weight") in _problems(tmp_path, style_weight=3.0, **FLAT)
    assert "only one input image" in _problems(tmp_path, **FLAT, init="style")["rec",
                                                                              "init"].message
