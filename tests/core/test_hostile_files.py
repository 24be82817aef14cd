"""Hostile files (videos, model files, float images, weights) are refused fast, with exit 2
in validate and run alike, naming the step and the field, without a traceback, writing
nothing.  Each case of ``hostile/files.py`` runs through ``hostile/drive.py`` in a
subprocess with a timeout (a hang guard; the figures are in ``bench/hostile.py``)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "hostile"
ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("hostile_files", HERE / "files.py")
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)


def _drive(recipe: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(HERE / "drive.py"), str(recipe)],
                          capture_output=True, text=True, timeout=120, cwd=recipe.parent,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name,make,text,needle", files.CASES, ids=[c[0] for c in files.CASES])
def test_hostile_file_is_refused_at_validation_naming_step_and_file(tmp_path, name, make,
                                                                    text, needle):
    hostile = make(tmp_path)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    step = files.STEP[name.split("_")[0]]
    for outcome in _drive(recipe):
        err = outcome["stderr"]
        assert outcome["rc"] == 2, (outcome["command"], err)
        assert needle in err and f"step {step}, field" in err, err
        assert hostile.name in err, err
        assert "Traceback" not in err and "internal error" not in err
        assert outcome["seconds"] < 20, outcome
    assert sorted(p.name for p in tmp_path.iterdir()) == before
