"""The example plugin installs as a real distribution and its operator is discovered.

The plugin is built and installed with pip into a temporary --target folder
(no index, no build isolation: works offline), which is then put on sys.path
so that importlib.metadata sees its entry point, as it would after
``pip install imgfusion-vignette``.
"""
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgfusion.plugins import load_registry

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "imgfusion-vignette"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, work / "src")   # keep build/ and egg-info out of the repo
    target = work / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
           "--no-index", "--disable-pip-version-check", "--quiet", "--target", str(target),
           str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        sys.modules.pop("imgfusion_vignette", None)
        importlib.invalidate_caches()


def test_entry_point_operator_is_listed_and_runs(installed):
    registry = load_registry()
    assert "vignette" in registry.names()
    info = next(p for p in registry.plugins if p.name == "vignette")
    assert (info.kind, info.status, info.version, info.operators) == \
        ("entrypoint", "loaded", "0.1.0", ["vignette"])
    op = registry["vignette"]
    assert op.source == "entrypoint plugin vignette"
    image = np.ones((20, 30, 4), np.float32)
    params = {p.name: p.default for p in op.params}
    params.update(strength=op.param("strength").convert(1.0), radius=0.2, softness=0.5)
    out = op.call({"image": image}, params)["image"]
    assert out.shape == image.shape
    assert out[10, 15, 0] == 1.0                 # the centre is untouched
    assert out[0, 0, 0] < 0.2                    # the corners fade towards black
    np.testing.assert_array_equal(out[..., 3], 1.0)   # alpha kept
    np.testing.assert_array_equal(image, 1.0)   # input not modified


def test_disabled_by_name(installed, monkeypatch):
    monkeypatch.setenv("IMGFUSION_DISABLE_PLUGINS", "vignette")
    registry = load_registry()
    assert "vignette" not in registry.names()
    assert next(p for p in registry.plugins if p.name == "vignette").status == "blocked"


def test_plugin_operator_runs_inside_a_recipe(installed, tmp_path):
    from imgfusion.engine import run_recipe
    from imgfusion.io.read import read_image
    from imgfusion.recipe import load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n"
                      "  - {id: photo, op: load, path: 'sample:chelsea'}\n"
                      "  - {id: v, op: vignette, strength: 1.0, radius: 0.2}\n"
                      "  - {op: save, path: out/v.png}\n")
    result = run_recipe(load_recipe(recipe))
    photo = result.output("photo")
    saved = read_image(tmp_path / "out" / "v.png")
    assert saved.shape == photo.shape
    rows, cols = photo.shape[:2]
    centre = (rows // 2, cols // 2)
    np.testing.assert_allclose(saved[centre], photo[centre], atol=1 / 255)
    assert saved[0, 0].mean() < 0.2 * photo[0, 0].mean() + 1e-3
