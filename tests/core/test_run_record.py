"""What run.json records: the device really used, every file written (side files too),
and a run-time failure (exit 1, status and error, no temporary files left)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imgfusion.cli import main
from imgfusion.devices import device_name as resolve_device
from imgfusion.engine import run_recipe
from imgfusion.errors import StepFailed
from imgfusion.io.write import write_image
from imgfusion.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[2]
STYLE = """\
imgfusion: 1
device: auto
steps:
  - id: photo
    op: load
    path: sample:astronaut
  - id: small
    op: resize
    longest: 32
  - id: styled
    op: neural_style
    content: $small
    style: $small
    weights: random
    size: null
    content_layers: [relu1_1]
    style_layers: [relu1_1]
    iterations: 2
    snapshot_every: 1
    snapshot_dir: snaps
    loss_plot: plots/loss.png
  - op: save
    path: styled.png
"""


@pytest.fixture(scope="module")
def style_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("style")
    (folder / "r.yaml").write_text(STYLE)
    return folder, load_recipe(folder / "r.yaml")


def test_run_json_lists_side_files_and_the_device_really_used(style_run, capsys):
    folder, recipe = style_run
    assert main(["run", str(folder / "r.yaml")]) == 0
    printed = capsys.readouterr().out.split()
    report = json.loads((folder / "run.json").read_text())
    side = [folder / "snaps" / "iter_00001.png", folder / "snaps" / "iter_00002.png",
            folder / "snaps" / "loss_history.json", folder / "plots" / "loss.png"]
    for path in [*side, folder / "styled.png"]:
        assert path.is_file() and str(path) in report["written"] and str(path) in printed
    assert sorted(printed) == sorted(report["written"])
    styled = next(s for s in report["steps"] if s["id"] == "styled")
    assert set(map(str, side)) <= set(styled["variants"][0]["files"])
    assert report["device"] == styled["device"] == resolve_device("auto") != "auto"
    assert report["device_requested"] == "auto"


def test_auto_resolves_to_a_concrete_device():
    import torch

    expected = ("cuda:0" if torch.cuda.is_available() else
                "mps" if torch.backends.mps.is_available() else "cpu")
    assert resolve_device("auto") == expected
    assert resolve_device("cpu") == "cpu"


def test_a_recipe_without_a_device_step_never_imports_torch(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - op: load\n    path: sample:camera\n"
                      "  - op: save\n    path: out.png\n")
    script = ("import sys; from imgfusion.cli import main; rc = main(['run', sys.argv[1]]); "
              "print('torch' in sys.modules); sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-c", script, str(recipe)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "False"
    assert json.loads((tmp_path / "run.json").read_text())["device"] == "cpu"


FAILING = """\
imgfusion: 1
steps:
  - id: photo
    op: load
    path: sample:camera
  - op: save
    path: first.png
  - id: gray
    op: to_gray
    image: $photo
"""


def test_a_run_time_failure_exits_1_and_is_recorded_with_its_side_files(tmp_path,
                                                                        monkeypatch, capsys):
    import imgfusion.layout.compose
    from imgfusion.errors import ParameterError

    (tmp_path / "r.yaml").write_text(FAILING)

    def fails_after_a_side_file(image):
        write_image(tmp_path / "rescue" / "last_good.png", image)
        raise ParameterError("image", "went wrong halfway")

    monkeypatch.setattr(imgfusion.layout.compose, "to_gray", fails_after_a_side_file)
    assert main(["run", str(tmp_path / "r.yaml")]) == 1
    assert "step gray (to_gray), field 'image': went wrong halfway" in capsys.readouterr().err
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == "failed" and "went wrong halfway" in report["error"]
    rescue = str(tmp_path / "rescue" / "last_good.png")
    assert report["written"] == [str(tmp_path / "first.png"), rescue]
    assert report["steps"][-1]["id"] == "gray"
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


def test_an_interrupted_write_leaves_no_temporary_file_and_is_recorded(tmp_path, monkeypatch):
    from PIL import Image

    (tmp_path / "r.yaml").write_text(FAILING)
    real = Image.Image.save

    def interrupted(self, fh, *a, **kw):
        real(self, fh, *a, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_recipe(load_recipe(tmp_path / "r.yaml"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml", "run.json"]
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "interrupted"


def test_step_failed_is_exit_1_for_every_cause():
    from imgfusion.errors import ParameterError

    for cause in (ParameterError("x", "bad"), RuntimeError("boom")):
        assert StepFailed("s", "op", cause).exit_code == 1


def test_an_interrupted_run_lists_only_the_files_still_there(write_recipe, tmp_path,
                                                             monkeypatch):
    """An interrupted save_video printed and recorded 809 frames of its .part folder,
    which it had removed."""
    import imgfusion.engine as engine

    real = engine._run_variant

    def stopped(recipe, step, *rest):
        if step.id == "later":   # a frame recorded, then its .part folder removed
            from imgfusion.paths import check_destination

            gone = tmp_path / "o" / ".frames.part" / "frame_00001.png"
            check_destination(gone).record(gone)
            raise KeyboardInterrupt
        return real(recipe, step, *rest)

    monkeypatch.setattr(engine, "_run_variant", stopped)
    recipe = load_recipe(write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps: [{id: a, op: const, value: 0.25}, {id: first, op: write, path: out/a.npy},
                {id: later, op: write, image: $a, path: out/b.npy}]
    """), out_dir=tmp_path / "o")
    with pytest.raises(KeyboardInterrupt) as info:
        run_recipe(recipe)
    kept = [str(tmp_path / "o" / "out" / "a.npy")]
    assert info.value.written == kept
    report = json.loads((tmp_path / "o" / "run.json").read_text())
    assert (report["status"], report["written"]) == ("interrupted", kept)
