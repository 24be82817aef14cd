"""imgfusion batch from the command line: results, exit codes, and bad input (exit 2,
nothing submitted: the output folder is not even created)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgfusion.batch import testing
from imgfusion.cli import main

ROOT = Path(__file__).resolve().parents[2]


def batch(tree, *extra, bind=None, out="out"):
    bind = bind or f"photo.path={tree / 'in'}/**/*.png"
    return main(["batch", str(tree / "recipe.yaml"), "--bind", bind, "--out",
                 str(tree / out), "--workers", "2", *extra])


def test_all_done_then_a_rerun_skips_everything(tree, capsys):
    assert batch(tree) == 0
    assert "19 items: 19 done, 0 failed, 0 skipped" in capsys.readouterr().out
    summary = json.loads((tree / "out" / "batch.json").read_text())
    assert (summary["status"], summary["done"]) == ("ok", 19)
    assert batch(tree, "--resume") == 0
    assert "0 done, 0 failed, 19 skipped" in capsys.readouterr().out
    changed = tree / "in" / "a" / "img06.png"
    changed.write_bytes((tree / "in" / "a" / "img08.png").read_bytes())   # a new photo
    assert batch(tree) == 0
    assert "1 done, 0 failed, 18 skipped" in capsys.readouterr().out
    assert (tree / "out" / "a__img06" / "mixed.png").read_bytes() == \
        (tree / "out" / "a__img08" / "mixed.png").read_bytes()


def test_a_failed_item_is_named_and_exits_1(tree, capsys):
    (tree / "in" / "a" / "img04.png").write_text("not an image")
    assert batch(tree) == 1
    captured = capsys.readouterr()
    assert "18 done, 1 failed" in captured.out
    assert "failed: " + str(tree / "in" / "a" / "img04.png") in captured.err


BAD = [
    (dict(bind="photo.path=nowhere/*.png"), "matches no file"),
    (dict(bind="foto.path=in/*/*.png"), "no step 'foto' (did you mean 'photo'?)"),
    (dict(bind="photo.paht=in/*/*.png"), "field 'paht': unknown parameter of load "
                                         "(did you mean 'path'?)"),
    (dict(bind="small.size=in/*/*.png"), "field 'size'"),
    (dict(out="in/a"), "is an input folder"),
    (dict(extra=("--executor", "dask")), "executor 'dask' is not installed: pip install "
                                         "imgfusion-dask"),
    (dict(extra=("--executor", "locl")), "unknown executor 'locl' (did you mean 'local'?)"),
    (dict(extra=("--address", "tcp://127.0.0.1:1")), "--address is for the dask and ray"),
    (dict(extra=("--resume",)), "holds no batch to resume"),
]


@pytest.mark.parametrize("case, message", BAD, ids=[m[:24] for _, m in BAD])
def test_bad_input_exits_2_before_anything_runs(tree, capsys, monkeypatch, case, message):
    monkeypatch.chdir(tree)
    monkeypatch.setenv("IMGFUSION_DISABLE_PLUGINS", "dask,ray")   # as if not installed
    bind = case.get("bind", "photo.path=in/*/*.png")
    out = case.get("out", "out")
    code = main(["batch", "recipe.yaml", "--bind", bind, "--out", out, *case.get("extra", ())])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tree / "out").exists()
    assert not (tree / "in" / "a" / "batch.json").exists()


def test_outputs_must_stay_inside_the_item_folder(tree, capsys):
    recipe = tree / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("path: mixed.png",
                                                 f"path: {tree / 'mixed.png'}"))
    assert batch(tree) == 2
    err = capsys.readouterr().err
    # the recipe validator refuses an absolute output path before the batch's own check
    assert "step save6, field 'path'" in err and "give a path relative to it" in err
    assert not (tree / "out").exists()


def test_an_output_folder_of_another_recipe_is_refused(tree, capsys):
    assert batch(tree, "--set", "small.size=[4, 4]") == 0
    capsys.readouterr()
    assert batch(tree) == 2
    assert "holds the batch of another recipe" in capsys.readouterr().err
    (tree / "other").mkdir()
    (tree / "other" / "notes.txt").write_text("mine")
    assert batch(tree, out="other") == 2
    assert "is not empty and holds no imgfusion batch" in capsys.readouterr().err


def test_two_binds_advance_together_with_a_broadcast_file(tree):
    recipe = tree / "recipe.yaml"
    text = recipe.read_text().replace(
        "  - {id: mask, op: shape_mask, like: $photo, feather: 2}\n",
        "  - {id: mask, op: load_mask, channel: gray}\n")
    recipe.write_text(text)
    mask = tree / "in" / "b" / "same.tif"
    code = main(["batch", str(recipe), "--bind", f"photo.path={tree / 'in'}/a/*.png",
                 "--bind", f"mask.path={mask}", "--out", str(tree / "out"), "--workers", "1"])
    assert code == 0
    lines = testing.manifest_lines(tree / "out")
    assert len(lines) == 9 and all(ln["inputs"]["mask.path"] == str(mask) for ln in lines)
    assert sorted(ln["folder"] for ln in lines)[0] == "img02"   # named after photo.path


def test_plugins_lists_the_local_executor(capsys):
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["executors"] == ["local"] for r in rows)


def test_ctrl_c_writes_the_manifest_and_a_rerun_does_only_the_rest(tree):
    logs = tree / "logs"
    logs.mkdir()
    testing.write_recipe(tree, testing.test_load(logs, sleep=0.15))
    cmd = [sys.executable, "-m", "imgfusion.cli", "batch", str(tree / "recipe.yaml"),
           "--bind", f"photo.path={tree / 'in'}/**/*.png", "--out", str(tree / "out"),
           "--workers", "2", "--chunk", "1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    manifest = tree / "out" / "manifest.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and (
            not manifest.exists() or len(manifest.read_text().splitlines()) < 4):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "not run (interrupted)" in out
    first = testing.manifest_lines(tree / "out")
    assert 4 <= len(first) < 19 and all(ln["status"] == "done" for ln in first)
    assert not (tree / "out" / ".partial").exists()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{19 - len(first)} done, 0 failed, {len(first)} skipped" in done.stdout
    counts = testing.runs(logs)
    assert all(counts[Path(ln["input"]).name] == 1 for ln in first)
    assert len(testing.manifest_lines(tree / "out")) == 19


def test_a_folder_the_user_made_is_never_replaced(tree, capsys):
    bad = tree / "in" / "a" / "img04.png"
    bad.write_text("not an image yet")
    assert batch(tree) == 1
    mine = tree / "out" / "a__img04"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    testing.make_inputs(tree / "in")            # img04 is an image again
    capsys.readouterr()
    assert batch(tree) == 1
    assert "was not written by this batch" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "mine"


def _clip(path: Path, frames: int = 5) -> Path:
    import numpy as np

    from imgfusion.video.frames import from_frames
    from imgfusion.video.writer import save_video

    rng = np.random.default_rng(0)
    images = [rng.random((16, 16, 3)).astype(np.float32) for _ in range(frames)]
    save_video(from_frames(images, fps=5.0), path=str(path))
    return path


def test_a_videos_frames_are_the_inputs_and_a_rerun_skips_them(tree, capsys, monkeypatch):
    monkeypatch.setenv("IMGFUSION_CACHE", str(tree / "cache"))
    clip = _clip(tree / "clip.gif")
    assert batch(tree, bind=f"photo.path=frames:{clip}") == 0
    assert "5 items: 5 done, 0 failed, 0 skipped" in capsys.readouterr().out
    folders = sorted(p.name for p in (tree / "out").iterdir() if p.is_dir() and
                     not p.name.startswith("."))
    assert folders == [f"frame_{i:06d}" for i in range(1, 6)]
    assert all((tree / "out" / f / "mixed.png").is_file() for f in folders)
    frames = sorted((tree / "cache" / "frames").glob("clip-*/frame_*.png"))
    assert len(frames) == 5 and not list((tree / "cache" / "frames").glob("*.part-*"))
    assert batch(tree, bind=f"photo.path=frames:{clip}") == 0     # same files: all skipped
    assert "0 done, 0 failed, 5 skipped" in capsys.readouterr().out


def test_a_missing_video_is_named_and_nothing_runs(tree, capsys):
    assert batch(tree, bind=f"photo.path=frames:{tree / 'nope.mp4'}") == 2
    err = capsys.readouterr().err
    assert "--bind photo.path" in err and "nope.mp4" in err
    assert not (tree / "out").exists()


def test_swept_input_paths_mean_the_recipes_folder(tmp_path, monkeypatch, capsys):
    """Each item's run read a swept relative path against the working folder (and so
    did a --set pin of one, which now stays a sweep): every item failed."""
    import numpy as np

    from imgfusion.io.write import write_image

    (tmp_path / "rec").mkdir()
    (tmp_path / "ins").mkdir()
    for path in ("rec/s1.png", "rec/s2.png", "rec/placeholder.png", "ins/a.png", "ins/b.png"):
        write_image(tmp_path / path, np.full((16, 16, 3), 0.5, np.float32))
    (tmp_path / "rec" / "b.yaml").write_text(
        "imgfusion: 1\nsteps:\n  - {id: photo, op: load, path: placeholder.png}\n"
        "  - {id: other, op: load, sweep: {path: [s1.png, s2.png]}}\n"
        "  - {op: save, image: $other, path: other.png}\n"
        "  - {op: save, image: $photo, path: photo.png}\n")
    monkeypatch.chdir(tmp_path / "ins")
    for out, extra in (("O", ()), ("P", ("--set", "other.path=s1.png"))):
        assert main(["batch", str(tmp_path / "rec" / "b.yaml"), "--bind",
                     f"photo.path={tmp_path / 'ins'}/*.png", "--out", str(tmp_path / out),
                     "--workers", "1", *extra]) == 0
        assert "2 items: 2 done, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["batch", "demo", "run"])
def test_out_under_a_file_is_a_usage_error_in_every_command(tree, capsys, command):
    """batch (and serve) failed with an internal error (exit 1) on a file in the way."""
    (tree / "afile").write_text("mine")
    out = str(tree / "afile" / "sub")
    args = {"batch": ["batch", str(tree / "recipe.yaml"), "--bind",
                      f"photo.path={tree / 'in'}/**/*.png", "--out", out],
            "demo": ["demo", "--quick", "--out", out],
            "run": ["run", str(tree / "recipe.yaml"), "--out", out]}[command]
    assert main(args) == 2
    assert "afile is a file; --out names a folder" in capsys.readouterr().err
    assert (tree / "afile").read_text() == "mine"


@pytest.mark.parametrize("extra, message", [
    (["--set", "photo.path=x.png"], "--set photo.path and --bind photo.path name one"),
    (["--bind", "photo.path=x.png"], "--bind photo.path is given twice")])
def test_a_bound_parameter_given_again_is_a_usage_error(tree, capsys, extra, message):
    """The --set was silently replaced by the bind (and a second bind accepted)."""
    assert batch(tree, *extra) == 2
    assert message in capsys.readouterr().err
    assert not (tree / "out").exists()
