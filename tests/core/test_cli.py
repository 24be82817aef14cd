"""The command line: exit codes, clean stdout, no tracebacks without --debug."""
import json
import subprocess
import sys

import pytest

from imgfusion.cli import main

GOOD = """
    imgfusion: 1
    plugins: [TOY]
    steps:
      - id: a
        op: const
        value: 0.25
      - id: w
        op: write
        path: out/a.npy
"""


def test_run_prints_written_paths_and_exits_0(write_recipe, tmp_path, capsys):
    assert main(["run", str(write_recipe(GOOD)), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "o" / "out" / "a.npy")]
    assert (tmp_path / "o" / "run.json").is_file()


def test_validate_prints_the_resolved_plan(write_recipe, capsys):
    assert main(["validate", str(write_recipe(GOOD)), "--set", "a.value=0.5"]) == 0
    out = capsys.readouterr().out
    assert "value = 0.5" in out and "size = [4, 5]  (default)" in out
    assert main(["validate", str(write_recipe(GOOD)), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["op"] for s in plan["steps"]] == ["const", "write"]


def test_validate_json_gives_the_problems_as_json_too(write_recipe, capsys):
    path = write_recipe(GOOD.replace("value: 0.25", "vlaue: 0.25"))
    assert main(["validate", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    [problem] = json.loads(captured.out)["problems"]
    assert problem["field"] == "vlaue" and problem["suggestion"] == "value"
    assert "vlaue" in captured.err


def test_validation_errors_exit_2_without_traceback(write_recipe, tmp_path, capsys):
    path = write_recipe(GOOD.replace("value: 0.25", "vlaue: 0.25"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "step a, field 'vlaue'" in err and "did you mean 'value'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_failing_operator_exits_1(write_recipe, capsys):
    path = write_recipe(GOOD + "      - op: explode\n        image: $a\n")
    assert main(["run", str(path)]) == 1
    assert "step explode3 (explode) failed" in capsys.readouterr().err


def test_interrupt_exits_130_and_leaves_no_partial_file(write_recipe, tmp_path, monkeypatch,
                                                        capsys):
    from PIL import Image

    def interrupted_write(self, fh, *a, **kw):
        fh.write(b"partial")
        raise KeyboardInterrupt

    path = write_recipe("""
        imgfusion: 1
        steps:
          - op: load
            path: sample:camera
          - op: save
            path: out/camera.jpg
    """)
    monkeypatch.setattr(Image.Image, "save", interrupted_write)
    code = main(["run", str(path), "--out", str(tmp_path / "o")])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    out = tmp_path / "o" / "out"
    assert not out.exists() or list(out.iterdir()) == []


def test_missing_recipe_and_usage_errors_exit_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read recipe" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_listing_commands_and_json(capsys):
    assert main(["ops", "--json"]) == 0
    ops = json.loads(capsys.readouterr().out)
    assert all({"name", "summary", "source"} <= set(o) for o in ops)
    assert main(["plugins", "--json"]) == 0
    plugins = json.loads(capsys.readouterr().out)
    assert all(p["status"] in ("loaded", "blocked", "failed") for p in plugins)


def test_info_on_unknown_operator_suggests(capsys):
    assert main(["info", "laod"]) == 2
    assert "did you mean 'load'" in capsys.readouterr().err


def test_console_script_entry_point_runs(write_recipe):
    proc = subprocess.run([sys.executable, "-m", "imgfusion.cli", "validate",
                           str(write_recipe(GOOD))], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_info_prints_types_defaults_ranges_and_choices(capsys):
    assert main(["info", "resize"]) == 0
    out = capsys.readouterr().out
    assert "scale: float | None, default None; range [0.0001, 64.0]" in out
    assert "inputs:" in out and "outputs:" in out
    assert main(["info", "load_mask", "--json"]) == 0
    desc = json.loads(capsys.readouterr().out)
    channel = next(p for p in desc["params"] if p["name"] == "channel")
    assert channel["choices"] == ["auto", "alpha", "gray"] and channel["default"] == "auto"
