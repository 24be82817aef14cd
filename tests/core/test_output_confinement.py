"""Every path imgfusion writes stays inside the output folder, refused at validation with
the step and field named, and refused again by the writer at run time."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import ParameterError, RecipeError, StepFailed
from imgfusion.io.write import atomic_write, write_image
from imgfusion.paths import write_session
from imgfusion.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[2]
DRIVE = Path(__file__).parent / "hostile" / "drive.py"
PHOTO = "imgfusion: 1\nsteps:\n  - id: photo\n    op: load\n    path: sample:camera\n"


def save(path: str) -> str:
    return PHOTO + f"  - op: save\n    path: {path}\n"


def style(field: str, value: str) -> str:
    return PHOTO + ("  - op: neural_style\n    content: $photo\n    style: $photo\n"
                    f"    weights: random\n    {field}: {value}\n")


CASES = [
    ("dotdot", save("../escape.png"), "save2", "path", "climbs out"),
    ("dotdot_inside", save("sub/../../escape.png"), "save2", "path", "climbs out"),
    ("absolute", save("OUTSIDE/escape.png"), "save2", "path", "absolute path"),
    ("home", save("~/escape.png"), "save2", "path", "absolute path"),
    ("nul", save('"a\\0.png"'), "save2", "path", "NUL byte"),
    ("long_name", save("a" * 300 + ".png"), "save2", "path", "file names are limited"),
    ("long_path", save("/".join(["d" * 200] * 25) + "/x.png"), "save2", "path",
     "the limit is 4000"),
    ("run_json", PHOTO + "  - op: save\n    path: run.json\n", "save2", "path",
     "the run's own record"),
    ("recipe_itself", save("recipe.yaml"), "save2", "path", "input of this recipe"),
    ("link_out", save("link/escape.png"), "save2", "path", "outside the output folder"),
    ("snapshot_dir_up", style("snapshot_dir", ".."), "neural_style2", "snapshot_dir",
     "climbs out"),
    ("snapshot_dir_abs", style("snapshot_dir", "OUTSIDE"), "neural_style2", "snapshot_dir",
     "absolute path"),
    ("loss_plot_run_json", style("loss_plot", "run.json"), "neural_style2", "loss_plot",
     "the run's own record"),
    ("loss_plot_link", style("loss_plot", "link/plot.png"), "neural_style2", "loss_plot",
     "outside the output folder"),
    ("swept_name_too_long",
     PHOTO + "  - op: shape_mask\n    like: $photo\n    sweep:\n      feather: [1, 2]\n"
             f"  - op: save\n    path: {'m' * 232}.png\n",
     "save3", "path", "file names are limited"),
    ("swept_output_path", PHOTO + "  - op: save\n    sweep:\n      path: [a.png, b.png]\n",
     "save2", "sweep.path", "not swept"),
]


def _tree(folder: Path) -> dict[str, float]:
    return {str(p): p.lstat().st_mtime for p in folder.rglob("*")}


@pytest.mark.parametrize("name,text,step,field,needle", CASES, ids=[c[0] for c in CASES])
def test_escaping_output_is_refused_by_validate_and_run(tmp_path, name, text, step, field,
                                                        needle):
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "link").symlink_to(outside, target_is_directory=True)
    recipe = work / "recipe.yaml"
    recipe.write_text(text.replace("OUTSIDE", str(outside)))
    before = _tree(tmp_path)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, str(DRIVE), str(recipe)], capture_output=True,
                          text=True, timeout=120, cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    for outcome in json.loads(proc.stdout):
        err = outcome["stderr"]
        assert outcome["rc"] == 2, (outcome["command"], err)
        assert f"step {step}, field '{field}'" in err and needle in err, err
        assert "Traceback" not in err
    assert _tree(tmp_path) == before


def test_an_output_inside_the_folder_through_a_link_is_allowed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(save("alias/ok.png"))
    result = run_recipe(load_recipe(recipe))
    assert (tmp_path / "real" / "ok.png").is_file()
    assert str(tmp_path / "alias" / "ok.png") in result.written


def test_an_input_image_is_never_an_output(tmp_path):
    write_image(tmp_path / "in.png", np.zeros((4, 4, 3), np.float32))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - op: load\n    path: in.png\n"
                      "  - op: save\n    path: ./in.png\n    overwrite: true\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(recipe)
    [p] = info.value.problems
    assert (p.step, p.field) == ("save2", "path") and "input of this recipe" in p.message


# -- the writer's own guard, at run time ------------------------------------------------
def test_writer_refuses_outside_the_session_folder_and_protected_files(tmp_path):
    out, src = tmp_path / "out", tmp_path / "in.png"
    out.mkdir()
    src.write_bytes(b"input")
    write = lambda fh: fh.write(b"x")  # noqa: E731
    with write_session(out, [src, out / "run.json"]) as session:
        for dest in (tmp_path / "escape.bin", out / ".." / "escape.bin", out / "run.json", src):
            with pytest.raises(ParameterError, match="refusing to write"):
                atomic_write(dest, write, overwrite=True)
        atomic_write(out / "sub" / "ok.bin", write)
    assert session.written == [str(out / "sub" / "ok.bin")]
    assert src.read_bytes() == b"input" and sorted(os.listdir(tmp_path)) == ["in.png", "out"]
    atomic_write(tmp_path / "free.bin", write)  # no session open: the Python API is unguarded
    assert (tmp_path / "free.bin").is_file()


def test_an_operator_writing_outside_at_run_time_fails_with_exit_1(tmp_path, monkeypatch):
    recipe = tmp_path / "work" / "r.yaml"
    recipe.parent.mkdir()
    recipe.write_text(PHOTO + "  - id: gray\n    op: to_gray\n")
    loaded = load_recipe(recipe)

    def sneaky(image):
        write_image(tmp_path / "escape.png", image)
        return image

    monkeypatch.setattr(loaded.step("gray").op, "func", sneaky)
    with pytest.raises(StepFailed) as info:
        run_recipe(loaded)
    assert info.value.exit_code == 1 and "outside the output folder" in str(info.value)
    assert not (tmp_path / "escape.png").exists()
    report = json.loads((recipe.parent / "run.json").read_text())
    assert report["status"] == "failed" and "escape.png" in report["error"]


def test_lies_inside_follows_links_and_does_not_match_a_name_prefix(tmp_path):
    from imgfusion.paths import lies_inside

    root, twin = tmp_path / "out", tmp_path / "out2"
    (root / "sub").mkdir(parents=True)
    twin.mkdir()
    (root / "away").symlink_to(twin)
    assert lies_inside(root, root) and lies_inside(root / "sub" / "x.png", root)
    assert not lies_inside(twin / "x.png", root)          # "out2" starts with "out"
    assert not lies_inside(root / "away" / "x.png", root)  # a link out of the folder
    assert not lies_inside(root / ".." / "x.png", root)


def test_a_plot_or_checkpoint_named_for_another_format_is_refused_at_validation(tmp_path):
    """loss.jpg held PNG data, ck.safetensors a torch pickle, plotdir a PNG without an
    extension: each is refused naming the field, and the right names pass."""
    def problems(plot: str, ckpt: str, style_plot: str, te_plot: str) -> list:
        steps = [{"id": "a", "op": "load", "path": "sample:astronaut"},
                 {"id": "m", "op": "train_fast_style", "content": ["$a"], "style": "$a",
                  "path": "fs.safetensors", "steps": 2, "loss_plot": plot,
                  "checkpoint": ckpt},
                 {"id": "s", "op": "neural_style", "content": "$a", "style": "$a",
                  "size": 32, "iterations": 1, "loss_plot": style_plot},
                 {"id": "c", "op": "synthetic_video", "background": "$a", "frames": 3},
                 {"id": "te", "op": "temporal_error", "videos": ["$c"], "content": "$c",
                  "plot": te_plot},
                 {"op": "save", "image": "$s", "path": "s.png"},
                 {"op": "save_json", "data": "$te", "path": "te.json"}]
        try:
            load_recipe({"imgfusion": 1, "steps": steps}, out_dir=tmp_path)
        except RecipeError as exc:
            return [(p.step, p.field) for p in exc.problems]
        return []

    assert problems("loss.jpg", "ck.safetensors", "plotdir", "plot.jpg") == [
        ("m", "checkpoint"), ("m", "loss_plot"), ("s", "loss_plot"), ("te", "plot")]
    assert problems("loss.png", "ck.pt", "p.png", "t.PNG") == []


def test_a_file_where_an_output_folder_must_be_is_refused_at_validation(tmp_path):
    """It failed at run time ('File exists'), after the steps before had written theirs."""
    (tmp_path / "afile").write_text("mine")
    steps = [{"id": "m", "op": "shape_mask", "size": [8, 8]},
             {"op": "save", "image": "$m", "path": "first.png"},
             {"op": "save", "image": "$m", "path": "afile/sub/x.png"}]
    with pytest.raises(RecipeError) as err:
        load_recipe({"imgfusion": 1, "steps": steps}, out_dir=tmp_path)
    [problem] = err.value.problems
    assert problem.field == "path" and "afile is a file" in problem.message
    assert (tmp_path / "afile").read_text() == "mine"
