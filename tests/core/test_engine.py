"""Running recipes: references, overrides, sweeps, run.json, failures."""
import json

import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import RecipeError, StepFailed
from imgfusion.recipe import load_recipe

CHAIN = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - id: a
        op: const
        value: 0.5
      - id: b
        op: add
      - id: c
        op: add
        amount: 0.2
      - id: s
        op: split
        image: $a
      - id: m
        op: add
        image: $s.image
"""


def test_chain_and_omitted_inputs_take_the_previous_output(write_recipe):
    result = run_recipe(load_recipe(write_recipe(CHAIN)), write_report=False)
    np.testing.assert_allclose(result.output("c"), 0.8, atol=1e-6)
    np.testing.assert_allclose(result.output("m"), 0.6, atol=1e-6)
    assert result.output("s", "mask").dtype == bool


def test_overrides_are_parsed_with_the_parameter_type(write_recipe):
    recipe = load_recipe(write_recipe(CHAIN), overrides=["a.value=0.1", "c.amount=-0.05",
                                                         "seed=7"])
    assert recipe.step("a").params["value"] == pytest.approx(0.1)
    assert recipe.seed == 7
    np.testing.assert_allclose(run_recipe(recipe, write_report=False).output("c"), 0.15,
                               atol=1e-6)


def test_bad_overrides_are_validation_errors(write_recipe):
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(CHAIN), overrides=["a.value=lots", "cc.amount=0.1",
                                                    "a.vlaue=0.3"])
    found = {(p.step, p.field): p for p in info.value.problems}
    assert "expected float" in found[("a", "value")].message
    assert found[("cc", None)].suggestion == "c"
    assert found[("a", "vlaue")].suggestion == "value"


ANONYMOUS = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - op: const
        value: 0.5
      - op: add
        amount: 0.1
"""


def test_overrides_reach_steps_by_the_ids_made_for_them(write_recipe):
    """A step without ``id:`` is named ``add2`` in errors, ``--until`` and ``--bind``;
    ``--set add2.amount=...`` reaches it by that name too."""
    recipe = load_recipe(write_recipe(ANONYMOUS), overrides=["add2.amount=0.25"])
    assert recipe.step("add2").params["amount"] == pytest.approx(0.25)
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(ANONYMOUS), overrides=["add1.amount=0.25"])
    assert info.value.problems[0].suggestion in ("add2", "const1")


SWEEP = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - id: a
        op: const
        sweep: {value: [0.1, 0.2], size: [[2, 2], [3, 3]]}
      - id: b
        op: add
        amount: 0.5
      - id: w
        op: write
        path: out/b.npy
      - id: sheet
        op: collect
        images: $b
"""


def test_sweeps_run_the_cartesian_product_and_propagate(write_recipe, tmp_path):
    recipe = load_recipe(write_recipe(SWEEP))
    assert [len(s.variants) for s in recipe.steps] == [4, 4, 4, 1]
    result = run_recipe(recipe)
    values = sorted(float(v.outputs["image"].mean()) for v in result.results["b"])
    assert values == pytest.approx([0.6, 0.6, 0.7, 0.7])
    for v in result.results["b"]:
        assert v.outputs["image"].shape[:2] == tuple(v.labels["size"])
        assert float(v.outputs["image"].mean()) == pytest.approx(v.labels["value"] + 0.5)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["b_value-0.1_size-2+2.npy", "b_value-0.1_size-3+3.npy",
                     "b_value-0.2_size-2+2.npy", "b_value-0.2_size-3+3.npy"]
    for path in (tmp_path / "out").iterdir():
        value = float(path.name.split("value-")[1].split("_")[0])
        np.testing.assert_allclose(np.load(path), value + 0.5, atol=1e-6)
    labels = result.output("sheet", "labels")
    assert {(d["value"], tuple(d["size"])) for d in labels} == {
        (0.1, (2, 2)), (0.1, (3, 3)), (0.2, (2, 2)), (0.2, (3, 3))}


def test_a_value_and_a_sweep_of_one_parameter_is_a_problem(write_recipe):
    """The sweep would silently replace the value."""
    text = SWEEP.replace("op: const\n", "op: const\n        value: 0.3\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text))
    assert [(p.step, p.field) for p in info.value.problems] == [("a", "value")]
    assert "keep one" in info.value.problems[0].message


def test_set_pins_a_swept_parameter_to_one_labelled_value(write_recipe, tmp_path):
    """A sweep of that one value: the variants keep its label, so a contact sheet's cols
    naming it still finds it (it was refused as 'no label')."""
    recipe = load_recipe(write_recipe(SWEEP), overrides=["a.value=0.3"])
    a = recipe.step("a")
    assert a.sweep["value"] == [pytest.approx(0.3)] and "value" not in a.given
    assert list(a.sweep) == ["value", "size"]   # in its place: file names keep their order
    assert len(a.variants) == 2 and [v["value"] for v in a.variants] == [0.3, 0.3]
    pinned = load_recipe(write_recipe(SWEEP), overrides=["a.value=0.3", "a.size=[2, 2]"])
    assert len(pinned.step("a").variants) == 1
    sheet = load_recipe(write_recipe(SWEEP), overrides=["a.value=0.3"], out_dir=tmp_path / "o")
    labels = run_recipe(sheet).output("sheet", "labels")
    assert {(d["value"], tuple(d["size"])) for d in labels} == {(0.3, (2, 2)), (0.3, (3, 3))}
    both = load_recipe(write_recipe(SWEEP), overrides=["a.value=0.3", "a.size=[2, 2]"],
                       out_dir=tmp_path / "p")   # one variant: its labels reach what follows
    labels = run_recipe(both).output("sheet", "labels")   # (a contact sheet's cols) and the
    assert labels == [{"value": 0.3, "size": (2, 2)}]     # file names
    assert [p.name for p in (tmp_path / "p" / "out").iterdir()] == ["b_value-0.3_size-2+2.npy"]


def test_run_json_records_params_versions_and_seconds(write_recipe, tmp_path):
    result = run_recipe(load_recipe(write_recipe(SWEEP), out_dir=tmp_path / "o"))
    report = json.loads((tmp_path / "o" / "run.json").read_text())
    assert report["status"] == "ok"
    assert [s["id"] for s in report["steps"]] == ["a", "b", "w", "sheet"]
    assert all(s["seconds"] >= 0 and s["params"] is not None for s in report["steps"])
    assert report["versions"]["numpy"] == np.__version__
    assert report["recipe"]["steps"][0]["sweep"]["value"] == [0.1, 0.2]
    assert sorted(report["written"]) == sorted(result.written) and len(result.written) == 4


FAILING = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - id: a
        op: const
      - id: w
        op: write
        path: first.npy
      - id: boom
        op: explode
        image: $a
        message: no luck
"""


def test_a_failing_operator_names_step_and_op_and_keeps_completed_outputs(write_recipe,
                                                                          tmp_path):
    with pytest.raises(StepFailed) as info:
        run_recipe(load_recipe(write_recipe(FAILING)))
    assert "step boom (explode)" in str(info.value) and "no luck" in str(info.value)
    assert info.value.exit_code == 1
    assert (tmp_path / "first.npy").is_file()
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == "failed" and "no luck" in report["error"]


def test_a_failed_run_still_prints_the_files_it_wrote(write_recipe, tmp_path, capsys):
    from imgfusion.cli import main

    assert main(["run", str(write_recipe(FAILING))]) == 1
    captured = capsys.readouterr()
    assert captured.out.split() == [str(tmp_path / "first.npy")]
    assert "no luck" in captured.err


def test_keyboard_interrupt_passes_through_and_is_recorded(write_recipe, tmp_path,
                                                           monkeypatch):
    import imgfusion.operators as ops

    recipe = load_recipe(write_recipe(FAILING))
    boom = recipe.step("boom").op

    def interrupted(**kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(boom, "func", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_recipe(recipe)
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "interrupted"
    assert ops  # the module stays importable


def test_parameter_errors_at_run_time_name_the_field_and_exit_1(write_recipe, monkeypatch):
    from imgfusion.errors import ParameterError

    recipe = load_recipe(write_recipe(FAILING))

    def bad(image, **kw):
        raise ParameterError("image", "is empty")

    monkeypatch.setattr(recipe.step("boom").op, "func", bad)
    with pytest.raises(StepFailed) as info:
        run_recipe(recipe, write_report=False)
    assert info.value.exit_code == 1
    assert str(info.value) == "step boom (explode), field 'image': is empty"


def test_overrides_leave_the_callers_mapping_alone(write_recipe):
    import yaml

    raw = yaml.safe_load(write_recipe(SWEEP).read_text())
    before = yaml.safe_dump(raw)
    load_recipe(raw, overrides=["a.value=0.3", "b.amount=0.1"])
    assert yaml.safe_dump(raw) == before
