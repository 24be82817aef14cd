"""The run record never replaces a file: not a recipe or a user's file carrying its name,
not the record of an earlier run (kept as ``run-<time>.json``)."""
import json
import os

from imgfusion.cli import main
from imgfusion.paths import is_record_name, next_record

SHAPE = '{"imgfusion": 1, "steps": [{"op": "shape_mask", "size": [4, 4]}]}\n'


def _records(folder):
    return sorted(p.name for p in folder.glob("run-*.json"))


def test_a_recipe_named_run_json_is_run_and_kept_unchanged(tmp_path):
    recipe = tmp_path / "run.json"
    recipe.write_text(SHAPE)
    assert main(["run", str(recipe)]) == 0
    assert recipe.read_text() == SHAPE
    [record] = _records(tmp_path)
    assert json.loads((tmp_path / record).read_text())["status"] == "ok"


def test_a_users_run_json_in_the_output_folder_is_left_alone(tmp_path):
    (tmp_path / "r.json").write_text(SHAPE)
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text('{"mine": true}\n')
    assert main(["run", str(tmp_path / "r.json"), "--out", str(out)]) == 0
    assert json.loads((out / "run.json").read_text()) == {"mine": True}
    assert len(_records(out)) == 1


def test_each_run_keeps_the_earlier_runs_record(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(SHAPE)
    assert main(["run", str(recipe)]) == 0
    first = (tmp_path / "run.json").read_text()
    os.utime(tmp_path / "run.json", (1_600_000_000, 1_600_000_000))
    assert main(["run", str(recipe)]) == 0
    assert main(["run", str(recipe)]) == 0
    names = _records(tmp_path)
    assert len(names) == 2 and names[0] == "run-20200913T122640Z.json"
    assert (tmp_path / names[0]).read_text() == first
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "ok"


def test_record_names_are_reserved_for_outputs(write_recipe, capsys):
    saves = ("  - op: save\n    path: run-20200913T122640Z.json.png\n"
             "  - op: save\n    path: run-20200913T122640Z.json\n")
    recipe = write_recipe("imgfusion: 1\nsteps:\n  - op: shape_mask\n    size: [4, 4]\n" + saves)
    assert main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "step save2" not in err and "step save3, field 'path'" in err
    assert "run's own record" in err
    assert is_record_name("run-20200913T122640Z-2.json") and not is_record_name("run-1.json")


def test_next_record_numbers_records_of_the_same_second(tmp_path):
    for n in range(3):
        path = next_record(tmp_path)
        path.write_text(json.dumps({"status": "ok", "versions": {}, "steps": [], "n": n}))
        os.utime(path, (1_600_000_000, 1_600_000_000))
    assert _records(tmp_path) == ["run-20200913T122640Z-2.json", "run-20200913T122640Z.json"]
    kept = [json.loads((tmp_path / n).read_text())["n"] for n in _records(tmp_path)]
    assert sorted(kept) == [0, 1]
