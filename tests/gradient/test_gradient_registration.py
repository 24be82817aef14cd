import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgfusion import plugins

OPERATORS = ["gradient_reconstruct", "poisson_blend", "mixed_blend", "monochrome_transfer",
             "texture_flatten", "illumination_change", "color_change", "seamless_tile"]


@pytest.fixture
def registry(monkeypatch):
    # only this family's built-in module: the test must not depend on the others
    monkeypatch.setattr(plugins, "BUILTIN_PLUGINS", ("imgfusion.gradient.plugin",))
    return plugins.load_registry(entry_points=False)


def test_every_operator_is_registered_with_valid_defaults(registry):
    assert set(OPERATORS) <= set(registry.names())
    for name in OPERATORS:
        op = registry[name]
        assert op.source == "builtin plugin imgfusion.gradient.plugin"
        assert [o.name for o in op.outputs] == ["image", "info"]
        for p in op.params:
            p.convert(p.default)
        assert op.function.__doc__ and op.function.__name__ == name


def inputs_for(op):
    rng = np.random.default_rng(0)
    img = (0.3 + 0.4 * rng.random((12, 14, 3))).astype(np.float32)
    mask = np.zeros((12, 14), bool)
    mask[3:9, 4:10] = True
    return {i.name: (mask if i.kind == "mask" else img) for i in op.inputs}


@pytest.mark.parametrize("name", OPERATORS)
def test_calling_through_the_registry_returns_image_and_info(registry, name):
    op = registry[name]
    params = {p.name: p.default for p in op.params}
    out = op.call(inputs_for(op), params)
    assert out["image"].dtype == np.float32 and out["image"].shape == (12, 14, 3)
    assert out["info"]["residual"] < 1e-6


def test_fft_reports_no_residual_through_the_registry(registry):
    op = registry["poisson_blend"]
    params = {p.name: p.default for p in op.params} | {"solver": "fft"}
    assert op.call(inputs_for(op), params)["info"]["residual"] is None


def test_listing_operators_does_not_import_scipy():
    code = ("import sys; from imgfusion import plugins;"
            "plugins.BUILTIN_PLUGINS = ('imgfusion.gradient.plugin',);"
            "r = plugins.load_registry(entry_points=False); print(len(r.names()));"
            "print('scipy' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout.split()
    assert out == ["9", "False"]   # the eight of Pérez et al. and keep_colors_blend


def test_functions_are_exported_lazily():
    import imgfusion

    for name in OPERATORS:
        assert callable(getattr(imgfusion, name))
