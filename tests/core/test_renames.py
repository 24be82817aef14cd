"""A renamed field: its old name still works, with a warning; both names together are an
error naming the old one; a rename must point at a field the operator has."""
import numpy as np
import pytest

from imgfusion.cli import main
from imgfusion.declare import read_function
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.markers import DeclarationError
from imgfusion.operators import Image, operator
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe
from imgfusion.renames import RenamedFieldWarning


@operator(renamed={"amount": "gain"})
def brighten(image: Image, *, gain: float = 1.0) -> Image:
    """Multiply an image.

    Parameters
    ----------
    gain
        the factor
    """
    return image * gain


def registry():
    reg = load_registry(entry_points=False)
    reg.add(read_function(brighten), "test")
    return reg


def recipe(step: str) -> dict:
    return {"imgfusion": 1, "steps": [{"id": "photo", "op": "load", "path": "sample:coffee"},
                                      {"id": "b", "op": "brighten", "image": "$photo", **step}]}


def test_a_python_call_takes_the_old_name_with_a_warning():
    image = np.full((2, 2, 3), 0.25, np.float32)
    with pytest.warns(RenamedFieldWarning, match="'amount' is now called 'gain'"):
        out = brighten(image, amount=2.0)
    assert np.allclose(out, 0.5)


def test_a_python_call_with_both_names_names_the_old_one():
    with pytest.raises(ParameterError) as info:
        brighten(np.zeros((2, 2, 3), np.float32), amount=2.0, gain=3.0)
    assert info.value.field == "amount" and "give 'gain' only" in str(info.value)


def test_a_recipe_step_takes_the_old_name_with_a_warning():
    with pytest.warns(RenamedFieldWarning, match="step 'b': 'amount' is now called 'gain'"):
        loaded = load_recipe(recipe({"amount": 2.0}), registry=registry())
    step = loaded.steps[1]
    assert step.params["gain"] == 2.0 and "amount" not in step.params


def test_a_sweep_takes_the_old_name():
    with pytest.warns(RenamedFieldWarning, match="sweep"):
        loaded = load_recipe(recipe({"sweep": {"amount": [1.0, 2.0]}}), registry=registry())
    assert list(loaded.steps[1].sweep) == ["gain"]


def test_a_recipe_step_with_both_names_is_one_problem_naming_the_old_one():
    with pytest.raises(RecipeError) as info:
        load_recipe(recipe({"amount": 2.0, "gain": 3.0}), registry=registry())
    problems = info.value.problems
    assert [(p.step, p.field) for p in problems] == [("b", "amount")]
    assert "old name of 'gain'" in problems[0].message


def test_a_rename_must_point_at_a_field():
    @operator(renamed={"amount": "strength"})
    def dim(image: Image, *, gain: float = 1.0) -> Image:
        return image

    with pytest.raises(DeclarationError, match="renamed 'amount' -> 'strength'"):
        read_function(dim)


def test_the_trained_operators_take_their_old_names():
    reg = load_registry(entry_points=False)
    old = {"fast_style": {"model_path": "model_file"},
           "fast_video_style": {"model_path": "model_file"},
           "train_style_vae": {"paintings_folder": "paintings_dir",
                               "frames_folder": "frames_dir"}}
    for name, renamed in old.items():
        described = {p["name"]: p["old_names"] for p in reg[name].describe()["params"]}
        assert all(described[new] == [was] for was, new in renamed.items())


def test_info_names_the_old_name(capsys):
    assert main(["info", "fast_style"]) == 0
    assert "model_file: input path, default None; formerly model_path" in capsys.readouterr().out


def test_set_pins_a_field_swept_or_given_under_its_other_name():
    """``--set`` on the new name pins a field the recipe sweeps under its old name (and
    the reverse), and replaces a value given under the other name."""
    swept = recipe({"sweep": {"amount": [1.0, 2.0]}})
    loaded = load_recipe(swept, overrides=["b.gain=3"], registry=registry())
    assert [v["gain"] for v in loaded.steps[1].variants] == [3.0]   # a sweep of one value
    again = load_recipe(recipe({"sweep": {"gain": [1.0, 2.0]}}),   # pinned under the sweep's
                        overrides=["b.amount=3"], registry=registry())   # name, no warning
    assert [v["gain"] for v in again.steps[1].variants] == [3.0]
    given = load_recipe(recipe({"amount": 2.0}), overrides=["b.gain=4"], registry=registry())
    assert given.steps[1].params["gain"] == 4.0
