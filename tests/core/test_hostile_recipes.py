"""Hostile recipes end fast, with exit 2 and a message naming the field or line, writing nothing.

Each case of ``hostile/corpus.py`` runs through ``imgfusion validate`` and
``imgfusion run`` in a subprocess with a timeout (a hang guard: the figures are in
``bench/hostile_inputs.py``).
"""
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgfusion.errors import RecipeError
from imgfusion.recipe import load_recipe
from imgfusion.yaml_safe import read_yaml

HERE = Path(__file__).parent / "hostile"
_spec = importlib.util.spec_from_file_location("hostile_corpus", HERE / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
ROOT = Path(__file__).resolve().parents[2]


def drive(recipe: Path, *options: str, timeout: float = 60) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(HERE / "drive.py"), str(recipe), *options],
                          capture_output=True, text=True, timeout=timeout, cwd=recipe.parent,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name,content,needle", corpus.CASES, ids=[c[0] for c in corpus.CASES])
def test_hostile_recipe_fails_fast_with_exit_2_naming_the_field(tmp_path, name, content,
                                                                 needle):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    for outcome in drive(recipe):
        err = outcome["stderr"]
        assert outcome["rc"] == 2, (outcome["command"], err)
        assert needle in err, (outcome["command"], err)
        assert "Traceback" not in err and "internal error" not in err
        assert outcome["seconds"] < 10, outcome
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.yaml"]


def test_aliases_are_refused_where_they_are_used():
    with pytest.raises(RecipeError, match=r"line 2, column 4: the alias \*x"):
        read_yaml("a: &x 1\nb: *x\n")


def test_duplicate_keys_name_both_lines_at_any_depth():
    text = "steps:\n  - op: load\n    sweep:\n      w: [1]\n      w: [2]\n"
    with pytest.raises(RecipeError, match=r"line 5, column 7: duplicate key 'w' \(first given "
                                          r"at line 4\)"):
        read_yaml(text)


def test_a_bom_is_accepted_and_plain_recipes_load_as_before(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + corpus.LOAD.encode())
    assert load_recipe(path).steps[0].params["path"] == "sample:astronaut"


def test_sweep_is_counted_before_expansion_and_the_cap_can_be_raised(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n" + corpus._sweep(5)
                    + corpus._sweep(5).replace("size: [4, 4]", "like: $shape_mask1"))
    with pytest.raises(RecipeError) as info:
        load_recipe(path, max_variants=20)
    [p] = info.value.problems
    assert (p.step, p.field) == ("shape_mask2", "sweep") and "25 variants" in p.message
    assert len(load_recipe(path, max_variants=25).steps[1].variants) == 25


def test_a_million_variants_are_refused_without_being_built(tmp_path, monkeypatch):
    import itertools

    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n" + corpus._sweep(1000)
                    + corpus._sweep(1000).replace("size: [4, 4]", "like: $shape_mask1"))
    built = []
    real = itertools.product
    monkeypatch.setattr(itertools, "product", lambda *a: built.append(a) or real(*a))
    with pytest.raises(RecipeError, match="above the limit of 10,000"):
        load_recipe(path)
    assert built == []


def test_max_variants_flag_reaches_validation(tmp_path, capsys):
    from imgfusion.cli import main

    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n" + corpus._sweep(30))
    assert main(["validate", str(path), "--max-variants", "20"]) == 2
    assert "above the limit of 20" in capsys.readouterr().err
    assert main(["validate", str(path), "--max-variants", "30"]) == 0


def test_wrong_types_in_overrides_and_step_ids_are_reported(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n  - id: [x]\n    op: load\n    path: sample:camera\n"
                    "  - id: b\n    op: to_gray\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(path, overrides=["b.op=[load]"])
    found = {(p.step, p.field) for p in info.value.problems}
    assert ("#1", "id") in found and ("b", "op") in found


def test_hostile_cases_take_well_under_a_second_to_refuse(tmp_path):
    """In-process: the parse-level cases are refused before any expensive work."""
    for name, content, needle in corpus.CASES:
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        t0 = time.perf_counter()
        with pytest.raises(RecipeError) as info:
            load_recipe(path)
        assert needle in str(info.value), name
        assert time.perf_counter() - t0 < 5, name


def test_swept_input_paths_are_checked_and_read_relative_to_the_recipe(tmp_path, monkeypatch):
    import numpy as np

    from imgfusion.engine import run_recipe
    from imgfusion.io.write import write_image

    write_image(tmp_path / "a.png", np.zeros((3, 4, 3), np.float32))
    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n  - id: im\n    op: load\n"
                    "    sweep:\n      path: [a.png, sample:camera, missing.png]\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    [p] = info.value.problems
    assert (p.step, p.field) == ("im", "sweep.path") and "missing.png" in p.message
    path.write_text(path.read_text().replace(", missing.png", ""))
    monkeypatch.chdir("/")
    result = run_recipe(load_recipe(path), write_report=False)
    assert result.output("im", index=0).shape == (3, 4, 3)
    assert result.results["im"][0].labels == {"path": "a.png"}


def test_a_parsers_own_nesting_limit_gets_our_message(monkeypatch):
    """Newer libyaml builds refuse deep nesting themselves (at 1000 levels), before the
    loader's own check; the message must still be ours, whichever PyYAML is installed."""
    import yaml

    from imgfusion import yaml_safe

    def refuse(*args, **kwargs):
        raise yaml.parser.ParserError(None, None, "exceeded maximum nesting depth", None)

    monkeypatch.setattr(yaml_safe.yaml, "load", refuse)
    with pytest.raises(RecipeError, match="nested more than 64 levels deep"):
        yaml_safe.read_yaml("steps: []", "deep.yaml")
