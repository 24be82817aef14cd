"""Works on a clean machine: what the wheel ships, and tests that collect under plain pytest."""
import ast
from pathlib import Path

import pytest
import yaml

import imgfusion
from imgfusion import demo
from imgfusion.io.samples import PREFIX, sample_names

PACKAGE = Path(imgfusion.__file__).resolve().parent
ROOT = PACKAGE.parent
TESTS = Path(__file__).resolve().parents[1]


def _package_data() -> list[str]:
    tomllib = pytest.importorskip("tomllib")
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("imgfusion is installed from a wheel: no pyproject.toml beside it")
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]["imgfusion"]


def _demo_files() -> list[Path]:
    gallery = demo.gallery_dir()
    every = {p for quick in (False, True) for weights in (False, True)
             for p in demo.demo_recipes(gallery, with_weights=weights, quick=quick)}
    return [gallery / "demo.yaml", *sorted(every)]


def test_every_package_data_pattern_matches_and_covers_what_the_demo_reads():
    patterns = _package_data()
    shipped = {p for pattern in patterns for p in PACKAGE.glob(pattern)}
    assert all(list(PACKAGE.glob(pattern)) for pattern in patterns), patterns
    needed = _demo_files()
    assert len(needed) >= 10
    assert all(p.is_relative_to(PACKAGE) and p.is_file() for p in needed), needed
    assert set(needed) <= shipped, sorted(set(needed) - shipped)


def test_the_demo_reads_nothing_but_bundled_samples():
    available = set(sample_names())
    for recipe in _demo_files()[1:]:
        steps = yaml.safe_load(recipe.read_text(encoding="utf-8"))["steps"]
        paths = [s["path"] for s in steps if s["op"] in ("load", "load_mask")]
        assert paths, recipe
        for path in paths:
            assert path.startswith(PREFIX) and path[len(PREFIX):] in available, (recipe, path)


def test_quick_demo_runs_from_an_empty_folder(run_cli, tmp_path, cli_env):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_cli("demo", "--quick", cwd=empty, timeout=300)
    assert done.returncode == 0, done.stderr
    written = [Path(p) for p in done.stdout.split()]
    assert {p.parent.name for p in written} == {"poisson_blend", "gradient_reconstruct"}
    assert all(p.is_relative_to(empty / "imgfusion-demo") and p.stat().st_size > 0
               for p in written)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_no_test_module_imports_another_test_module_or_a_conftest():
    """Such imports resolve only when the repository root is on sys.path
    (python -m pytest), not under the README's plain ``pytest``: share through
    fixtures or a helper module instead.  (.ci/run runs plain pytest in a fresh
    virtual environment: the end-to-end check.)"""
    bad = []
    for path in sorted(TESTS.rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "tests" or "conftest" in parts or parts[-1].startswith("test_"):
                bad.append(f"{path.relative_to(TESTS)}: import {name}")
    assert bad == []
