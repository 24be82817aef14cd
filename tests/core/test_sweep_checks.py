"""An operator's check sees each swept value: a sweep over resize's scale or longest runs."""
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import RecipeError
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe

REGISTRY = load_registry(entry_points=False)


def _recipe(resize_step):
    return {"imgfusion": 1, "steps": [
        {"id": "img", "op": "shape_mask", "size": [40, 60]},
        {"id": "small", "op": "resize", "image": "$img", **resize_step}]}


@pytest.mark.parametrize("sweep", [{"scale": [0.5, 0.25]}, {"longest": [30, 12]}])
def test_a_sweep_over_scale_or_longest_validates(sweep):
    recipe = load_recipe(_recipe({"sweep": sweep}), registry=REGISTRY)
    assert len(recipe.step("small").variants) == 2


def test_the_swept_resize_runs_each_value(tmp_path):
    raw = _recipe({"sweep": {"longest": [30, 12]}})
    raw["steps"].append({"op": "save", "image": "$small", "path": "small.png"})
    recipe = load_recipe(raw, registry=REGISTRY, out_dir=tmp_path)
    run_recipe(recipe)
    from imgfusion.io.read import read_mask
    sizes = sorted(read_mask(str(p)).shape for p in tmp_path.glob("small_*.png"))
    assert sizes == [(8, 12), (20, 30)]


def test_a_sweep_still_gets_the_check_problems():
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe({"size": [10, 10], "sweep": {"scale": [0.5]}}), registry=REGISTRY)
    assert "exactly one of size, scale and longest" in str(err.value)
    assert err.value.problems[0].step == "small"


@pytest.mark.parametrize("values", [[0.5, 0.50], [0.5, 0.25, 0.5]])
def test_a_value_swept_twice_is_refused_naming_it(values):
    """It ran twice, and both runs wrote one file (refused later as two writers)."""
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe({"sweep": {"scale": values}}), registry=REGISTRY)
    [problem] = err.value.problems
    assert (problem.step, problem.field) == ("small", "sweep.scale")
    assert "0.5 is listed twice" in problem.message


def test_each_swept_value_meets_the_shape_checks_at_validation(tmp_path):
    """A sweep over poisson_blend's offset with one value off the target passed
    validation and failed at run time, after the steps before had written files."""
    steps = [{"id": "bg", "op": "shape_mask", "size": [40, 60]},
             {"id": "m", "op": "shape_mask", "size": [10, 10]},
             {"id": "b", "op": "poisson_blend", "source": "$m", "target": "$bg", "mask": "$m",
              "sweep": {"offset": [[5, 5], [100, 100]]}},
             {"op": "save", "image": "$b", "path": "b.png"}]
    with pytest.raises(RecipeError) as err:
        load_recipe({"imgfusion": 1, "steps": steps}, registry=REGISTRY, out_dir=tmp_path)
    [problem] = err.value.problems
    assert (problem.step, problem.field) == ("b", "sweep.offset")
    assert "swept: offset=(100, 100)" in problem.message
    steps[2]["sweep"]["offset"] = [[5, 5], [30, 50]]
    assert len(load_recipe({"imgfusion": 1, "steps": steps}, registry=REGISTRY,
                           out_dir=tmp_path).step("b").variants) == 2


def test_a_crashing_shape_check_is_reported_not_raised(monkeypatch, tmp_path):
    """A plugin's shape check that fails on a list input ended validation with an
    internal error; it is reported as the step's problem, as operator checks are."""
    from imgfusion.recipe import shapes

    steps = [{"id": "bg", "op": "shape_mask", "size": [40, 60]},
             {"id": "b", "op": "poisson_blend", "source": "$bg", "target": "$bg",
              "mask": "$bg"}]
    recipe = load_recipe({"imgfusion": 1, "steps": steps}, registry=REGISTRY,
                         out_dir=tmp_path)

    real = shapes.resolve_target
    monkeypatch.setattr(shapes, "resolve_target", lambda target: (
        (lambda params, inputs: [].size) if target.endswith(":source_lands") else real(target)))
    [problem] = [p for p in shapes.shape_problems(list(recipe.steps)) if p.step == "b"]
    assert "poisson_blend's size check failed: AttributeError" in problem.message
