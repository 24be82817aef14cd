import textwrap
from pathlib import Path

import pytest

from imgfusion.plugins import load_registry

TOY = Path(__file__).parent / "fixtures" / "toy_plugin.py"


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
