"""Fixtures of the core tests.  Test modules take these as fixtures: never import
this file (``from tests.core.conftest import ...`` works only under
``python -m pytest``, not under plain ``pytest`` as the README runs it)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import imgfusion
from imgfusion.plugins import load_registry

TOY = Path(__file__).parent / "fixtures" / "toy_plugin.py"


@pytest.fixture(scope="session")
def toy_plugin() -> Path:
    """The plugin file with the toy operators (const, add, split, ... write)."""
    return TOY


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """The environment of a subprocess that must import this imgfusion (the one under
    test, even where another copy is installed), with no plugins from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGFUSION_")}
    source_root = str(Path(imgfusion.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session")
def cli_command() -> list[str]:
    """``python -m imgfusion.cli``: the command, as a subprocess runs it."""
    return [sys.executable, "-m", "imgfusion.cli"]


@pytest.fixture
def run_cli(cli_command, cli_env, tmp_path):
    """Run ``imgfusion ARGS`` in a subprocess (cwd tmp_path); return the CompletedProcess."""
    def run(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("cwd", tmp_path)
        kwargs.setdefault("env", cli_env)
        return subprocess.run([*cli_command, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, **kwargs)
    return run


@pytest.fixture(scope="session")
def toy_registry():
    """Built-ins plus the toy operators of fixtures/toy_plugin.py."""
    return load_registry([TOY], entry_points=False)


@pytest.fixture
def write_recipe(tmp_path):
    """Write a YAML recipe (dedented text) into tmp_path and return its path."""
    def write(text: str, name: str = "recipe.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).replace("TOY", str(TOY)))
        return path
    return write
