"""`imgfusion run --until STEP`: run up to a step (a preview, say), and stop there."""
import json

from imgfusion.cli import main

RECIPE = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - {id: a, op: const, value: 0.25}
      - {id: first, op: write, path: out/a.npy}
      - {id: later, op: write, image: $a, path: out/b.npy}
"""

def test_until_stops_after_the_step_and_records_it(write_recipe, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(write_recipe(RECIPE)), "--out", str(out), "--until", "first"]) == 0
    assert capsys.readouterr().out.split() == [str(out / "out" / "a.npy")]
    assert not (out / "out" / "b.npy").exists()
    report = json.loads((out / "run.json").read_text())
    assert report["until"] == "first" and report["status"] == "ok"
    assert [s["id"] for s in report["steps"]] == ["a", "first"]


def test_an_unknown_step_exits_2_before_anything_runs(write_recipe, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(write_recipe(RECIPE)), "--out", str(out), "--until", "frist"]) == 2
    err = capsys.readouterr().err
    assert "--until" in err and "'first'" in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*"))


def test_the_rest_runs_after_until_and_writes_the_preview_again(write_recipe, tmp_path,
                                                                capsys):
    """The files the stopped run wrote, unchanged since, are written again unasked; once
    the whole recipe has run, or when the user has changed such a file, they are not."""
    recipe, out = str(write_recipe(RECIPE)), tmp_path / "o"
    assert main(["run", recipe, "--out", str(out), "--until", "first"]) == 0
    assert main(["run", recipe, "--out", str(out)]) == 0
    assert (out / "out" / "b.npy").is_file()
    capsys.readouterr()
    assert main(["run", recipe, "--out", str(out)]) == 2      # a whole run: nothing to resume
    assert "a.npy exists" in capsys.readouterr().err
    edited = tmp_path / "p"
    assert main(["run", recipe, "--out", str(edited), "--until", "first"]) == 0
    with open(edited / "out" / "a.npy", "ab") as fh:              # the user's change
        fh.write(b"\0")
    capsys.readouterr()
    assert main(["run", recipe, "--out", str(edited)]) == 2
    assert "a.npy exists" in capsys.readouterr().err


def test_another_recipe_may_not_rewrite_what_a_stopped_run_wrote(write_recipe, tmp_path,
                                                                 capsys):
    out = tmp_path / "o"
    first = str(write_recipe(RECIPE, "a.yaml"))
    other = str(write_recipe(RECIPE.replace("0.25", "0.5"), "b.yaml"))
    assert main(["run", first, "--out", str(out), "--until", "first"]) == 0
    capsys.readouterr()
    assert main(["run", other, "--out", str(out)]) == 2
    assert "a.npy exists" in capsys.readouterr().err


FRAMES = """
    imgfusion: 1
    steps:
      - {id: bg, op: load, path: "sample:coffee"}
      - {id: clip, op: synthetic_video, background: $bg, frames: 2, size: [16, 16]}
      - {id: preview, op: save_video, video: $clip, path: preview}
      - {id: later, op: save, image: $bg, path: later.png}
"""


def test_a_frame_folder_is_refused_before_running_and_resumed_after_until(
        write_recipe, tmp_path, capsys):
    recipe, out = str(write_recipe(FRAMES)), tmp_path / "o"
    assert main(["run", recipe, "--out", str(out), "--until", "preview"]) == 0
    assert sorted(p.name for p in (out / "preview").iterdir()) == ["frame_00001.png",
                                                                   "frame_00002.png"]
    assert main(["run", recipe, "--out", str(out)]) == 0       # its own frames: again
    assert (out / "later.png").is_file()
    capsys.readouterr()
    assert main(["run", recipe, "--out", str(out)]) == 2       # a whole run's: refused first
    assert "preview exists; set 'overwrite: true'" in capsys.readouterr().err
    (out / "preview" / "notes.txt").write_text("mine")        # never replaced, even asked
    assert main(["run", recipe, "--out", str(out), "--overwrite"]) == 2
    assert "holds files this step does not write (notes.txt)" in capsys.readouterr().err
    assert (out / "preview" / "notes.txt").read_text() == "mine"


SNAPS = """
    imgfusion: 1
    steps:
      - {id: c, op: load, path: "sample:chelsea"}
      - {id: ns, op: neural_style, content: $c, style: $c, size: 24, weights: random,
         iterations: 2, snapshot_every: 2, snapshot_dir: snaps}
      - {op: save, image: $ns, path: ns.png}
"""


def test_snapshots_never_replace_files_unasked(write_recipe, tmp_path, capsys):
    out = tmp_path / "o"
    (out / "snaps").mkdir(parents=True)
    (out / "snaps" / "loss_history.json").write_text("mine")
    (out / "snaps" / "notes.txt").write_text("mine too")   # not a file the run writes
    recipe = str(write_recipe(SNAPS))
    assert main(["run", recipe, "--out", str(out)]) == 2
    assert "holds an earlier run's files that this step writes (loss_history.json)" in \
        capsys.readouterr().err
    assert (out / "snaps" / "loss_history.json").read_text() == "mine"
    assert main(["run", recipe, "--out", str(out), "--overwrite"]) == 0
    assert (out / "snaps" / "notes.txt").read_text() == "mine too"


def test_a_mistyped_until_is_said_with_the_other_problems(write_recipe, tmp_path, capsys):
    recipe, out = str(write_recipe(RECIPE)), tmp_path / "o"
    assert main(["run", recipe, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", recipe, "--out", str(out), "--until", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "a.npy exists" in err and "field '--until': no step 'nosuch'" in err


def test_a_preview_runs_again_beside_the_files_of_later_steps(write_recipe, tmp_path, capsys):
    """--until after a full run was refused for the later steps' files, which it does not
    write; the preview's own file is still protected."""
    out, recipe = tmp_path / "o", str(write_recipe(RECIPE))
    assert main(["run", recipe, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", recipe, "--out", str(out), "--until", "first"]) == 2
    err = capsys.readouterr().err
    assert "a.npy exists" in err and "b.npy" not in err
    (out / "out" / "a.npy").unlink()
    assert main(["run", recipe, "--out", str(out), "--until", "first"]) == 0
    assert capsys.readouterr().out.split() == [str(out / "out" / "a.npy")]


def test_stopping_at_a_step_that_writes_nothing_is_warned(write_recipe, tmp_path, capsys):
    """--until on a step without a file (a lazy video's frames are not even computed)
    returned 0 with nothing written and no word."""
    out = tmp_path / "o"
    assert main(["run", str(write_recipe(RECIPE)), "--out", str(out), "--until", "a"]) == 0
    err = capsys.readouterr().err
    assert "--until a: step a (const) writes no file" in err
    assert main(["run", str(write_recipe(RECIPE)), "--out", str(tmp_path / "p"),
                 "--until", "first"]) == 0
    assert "--until" not in capsys.readouterr().err
