import importlib

import numpy as np
import pytest

from imgfusion.plugins import Registry


@pytest.fixture(scope="module")
def registry():
    reg = Registry()
    reg.load_plugin("imgfusion.style.plugin", "builtin",
                    lambda: importlib.import_module("imgfusion.style.plugin"), strict=True)
    return reg


def test_operators_registered_with_the_issue_params(registry):
    assert {"neural_style", "content_reconstruction", "texture_synthesis"} <= set(registry.names())
    op = registry["neural_style"]
    assert [i.name for i in op.inputs] == ["content", "style", "init_image"]
    assert op.input("style").many and op.input("init_image").optional
    assert [o.name for o in op.outputs] == ["image", "loss_history"]
    assert op.output("loss_history").kind == "data"
    assert set(op.context) == {"device", "seed", "progress", "workdir"}
    assert op.param("snapshot_dir").type_name() == "output path"
    assert op.param("loss_plot").convert(None) is None  # optional output paths accept null
    assert op.param("loss_plot").convert("curves/loss.png") == "curves/loss.png"
    with pytest.raises(ValueError):
        op.param("init").convert("gray")
    assert op.param("content_layers").convert({"relu4_2": 2}) == {"relu4_2": 2.0}
    assert op.param("pyramid").convert([[64, 10], [128, 5]]) == [(64, 10), (128, 5)]
    assert registry["texture_synthesis"].param("init").default == "noise"
    assert registry["content_reconstruction"].param("style_weight") is None


def test_neural_style_operator_call(registry, content, style):
    op = registry["neural_style"]
    params = {p.name: p.convert(v) for p, v in [
        (op.param("weights"), "random"), (op.param("size"), 32), (op.param("iterations"), 3),
        (op.param("style_layers"), ["relu1_1", "relu2_1"]),
        (op.param("content_layers"), ["relu2_1"])]}
    out = op.call({"content": content, "style": [style, style]}, params,
                  {"device": "cpu", "seed": 0, "labels": None})
    assert out["image"].shape == (26, 32, 3) and len(out["loss_history"]) == 3


@pytest.mark.parametrize("name, image_input", [("texture_synthesis", "style"),
                                               ("content_reconstruction", "content")])
def test_presets_call_the_same_function(registry, name, image_input, content):
    op = registry[name]
    out = op.call({image_input: content},
                  {"weights": "random", "size": 24, "iterations": 2,
                   ("style_layers" if image_input == "style" else "content_layers"): ["relu2_1"]},
                  {"device": "cpu", "seed": 0})
    assert out["image"].shape == (19, 24, 3)  # longest side 24, the input's aspect
    assert len(out["loss_history"]) == 2


def test_full_registry_lists_style_ops():
    pytest.importorskip("imgfusion.io.plugin")
    from imgfusion.plugins import load_registry
    assert "neural_style" in load_registry(entry_points=False)


def test_listing_does_not_import_torch_modules_of_style():
    import subprocess
    import sys
    code = ("import importlib, sys; importlib.import_module('imgfusion.style.plugin'); "
            "print('imgfusion.style.transfer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_texture_synthesis_takes_the_style_grid_its_style_loss_uses(registry, content):
    """The preset keeps neural_style's style loss whole: its grid is a parameter too."""
    op = registry["texture_synthesis"]

    def synthesis(**grid):
        return op.call({"style": content}, {"weights": "random", "size": 32, "iterations": 3,
                                            "style_layers": ["relu1_1"], **grid},
                       {"device": "cpu", "seed": 0})["image"]
    default = synthesis()
    assert op.param("style_grid").default == 4 and op.param("style_grid_power").default == 2
    assert np.array_equal(synthesis(style_grid=4, style_grid_power=2), default)
    assert not np.array_equal(synthesis(style_grid=1), default)
    assert not np.array_equal(synthesis(style_grid_power=1), default)
