"""Hostile batch runs (issue 20): an --out the glob reads, a bad input that sorts first,
SIGTERM, and Ctrl-C in the middle of a chunk.  Signals go to real subprocesses, each
bounded in time."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgfusion.batch import testing
from imgfusion.batch.inputs import Bind, check_out_folder
from imgfusion.batch.job import prepare
from imgfusion.batch.work import run_chunk
from imgfusion.cli import main
from imgfusion.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
N = 19   # the tree's PNGs


def batch(tree, bind, out, *extra):
    return main(["batch", str(tree / "recipe.yaml"), "--bind", bind, "--out", str(out),
                 "--workers", "2", *extra])


# -- --out inside the tree a glob reads ------------------------------------------------

def test_out_inside_a_recursive_globs_tree_is_refused_up_front(tree, capsys):
    code = batch(tree, f"photo.path={tree / 'in'}/**/*.png", tree / "in" / "styled")
    assert code == 2
    err = capsys.readouterr().err
    assert f"--out {tree / 'in' / 'styled'}" in err and "**/*.png" in err and "rerun" in err
    assert not (tree / "in" / "styled").exists()


def test_a_relative_recursive_glob_refuses_an_out_below_the_working_folder(tree, capsys,
                                                                           monkeypatch):
    monkeypatch.chdir(tree)
    assert main(["batch", "recipe.yaml", "--bind", "photo.path=**/*.png", "--out", "out"]) == 2
    assert "the glob '**/*.png' of --bind photo.path" in capsys.readouterr().err
    assert not (tree / "out").exists()


@pytest.mark.parametrize("pattern, out, refused", [
    ("in/**/*.png", "in/a/deep/out", True),
    ("in/*/*/*.png", "in/styled", True),       # reaches in/styled/<item>/mixed.png
    ("in/*/*.jsonl", "in/styled", True),       # reaches in/styled/manifest.jsonl
    ("in/*/*.png", "in/styled", False),        # only in/styled/*.png: none written there
    ("in/a/*.png", "in/b/out", False),
    ("in/**/*.png", "elsewhere/out", False),
])
def test_which_out_folders_a_glob_can_reach(tree, monkeypatch, pattern, out, refused):
    monkeypatch.chdir(tree)
    bind = Bind("photo", "path", pattern)
    if refused:
        with pytest.raises(UsageError, match="lies inside the tree"):
            check_out_folder((tree / out).resolve(), [bind])
    else:
        check_out_folder((tree / out).resolve(), [bind])


def test_an_out_the_glob_cannot_reach_runs_and_resumes(tree, capsys):
    bind = f"photo.path={tree / 'in'}/*/*.png"
    assert batch(tree, bind, tree / "in" / "styled") == 0
    assert batch(tree, bind, tree / "in" / "styled") == 0
    assert f"0 done, 0 failed, {N} skipped" in capsys.readouterr().out


# -- validation reads no item's file ---------------------------------------------------

def test_an_unreadable_input_that_sorts_first_fails_alone(tree, capsys):
    first = tree / "in" / "a" / "aaa.png"
    first.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert batch(tree, f"photo.path={tree / 'in'}/**/*.png", tree / "out") == 1
    captured = capsys.readouterr()
    assert f"{N + 1} items: {N} done, 1 failed" in captured.out
    lines = testing.manifest_lines(tree / "out")
    [bad] = [ln for ln in lines if ln["status"] == "failed"]
    assert bad["input"] == str(first) and "step photo, field 'path'" in bad["error"]
    assert len(lines) == N + 1


def test_validation_probes_no_items_file(tree, monkeypatch):
    import imgfusion.io.read as read

    probed = []
    real = read.probe_image
    monkeypatch.setattr(read, "probe_image", lambda path, *a, **k: (probed.append(str(path)),
                                                                    real(path, *a, **k))[1])
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={tree / 'in'}/**/*.*"],
                            tree / "out")
    assert len(items) == N + 1 and probed == []
    Path(items[0].inputs[0]).write_text("no image")           # the first item, now bad
    records = run_chunk(job, items[:2])
    assert [r["status"] for r in records] == ["failed", "done"]
    assert probed[:1] == [items[0].inputs[0]]                  # the item checked it itself


# -- signals ---------------------------------------------------------------------------

def _start(tree: Path, sleep: float, *extra: str) -> subprocess.Popen:
    logs = tree / "logs"
    logs.mkdir(exist_ok=True)
    testing.write_recipe(tree, testing.test_load(logs, sleep=sleep))
    cmd = [sys.executable, "-m", "imgfusion.cli", "batch", str(tree / "recipe.yaml"),
           "--bind", f"photo.path={tree / 'in'}/**/*.png", "--out", str(tree / "out"),
           "--workers", "2", *extra]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _folders_done(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/.imgfusion-batch.json")}


def _signal_after(proc: subprocess.Popen, out: Path, n: int, sig: int, group: bool):
    """Send ``sig`` once ``n`` items are complete on disk (60 s at most); wait (60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and len(_folders_done(out)) < n:
        time.sleep(0.05)
    os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
    try:
        return proc.communicate(timeout=60)
    finally:
        proc.kill()


@pytest.mark.parametrize("group", [False, True], ids=["driver", "process group"])
def test_sigterm_exits_143_with_every_finished_item_in_the_manifest(tree, group):
    proc = _start(tree, 0.4)
    out, err = _signal_after(proc, tree / "out", 2, signal.SIGTERM, group)
    assert proc.returncode == 143, err
    assert "imgfusion: terminated" in err and "Traceback" not in err
    assert "leaked semaphore" not in err
    folders = _folders_done(tree / "out")
    lines = testing.manifest_lines(tree / "out")
    assert {ln["folder"] for ln in lines if ln["status"] == "done"} == folders
    assert f"{len(folders)} done" in out and not (tree / "out" / ".partial").exists()


def test_ctrl_c_mid_chunk_counts_true_and_the_rerun_skips_what_finished(tree):
    proc = _start(tree, 0.4, "--chunk", "4")       # items finish long before their chunk
    out, err = _signal_after(proc, tree / "out", 3, signal.SIGINT, group=True)
    assert proc.returncode == 130, err
    assert "leaked semaphore" not in err and "Traceback" not in err
    folders = _folders_done(tree / "out")
    lines = testing.manifest_lines(tree / "out")
    assert 3 <= len(folders) < N and len(lines) == len(folders)
    assert f"{N} items: {len(folders)} done, 0 failed, 0 skipped" in out
    again = _start(tree, 0.4)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert f"{N - len(folders)} done, 0 failed, {len(folders)} skipped" in out
    counts = testing.runs(tree / "logs")
    assert all(counts[Path(ln["input"]).name] == 1 for ln in lines), counts


# -- the manifest records each item at once ----------------------------------------------

def test_each_item_appends_its_line_as_it_finishes(tree):
    job, items, _ = prepare(tree / "recipe.yaml", [f"photo.path={tree / 'in'}/**/*.png"],
                            tree / "out")
    (tree / "out").mkdir()
    run_chunk(job, items[:1])
    assert [ln["input"] for ln in testing.manifest_lines(tree / "out")] == [items[0].inputs[0]]
    run_chunk(job, items[1:3])       # no driver, no compaction: the worker wrote each line
    lines = testing.manifest_lines(tree / "out")
    assert [ln["status"] for ln in lines] == ["done"] * 3


def test_a_rerun_counts_folders_complete_on_disk_as_skipped(tree, capsys):
    bind = f"photo.path={tree / 'in'}/**/*.png"
    assert batch(tree, bind, tree / "out") == 0
    manifest = tree / "out" / "manifest.jsonl"
    kept = manifest.read_text().splitlines()[:5]
    manifest.write_text("\n".join(kept) + "\n")     # as if the driver died before the rest
    capsys.readouterr()
    assert batch(tree, bind, tree / "out") == 0
    assert f"0 done, 0 failed, {N} skipped" in capsys.readouterr().out
    lines = testing.manifest_lines(tree / "out")
    assert len(lines) == N and all(ln["status"] == "done" for ln in lines)
    assert json.loads((tree / "out" / "batch.json").read_text())["skipped"] == N
