import numpy as np
import pytest

from imgfusion import plugins
from imgfusion.style.plugin import PARAMS

pytestmark = pytest.mark.filterwarnings("ignore::imgfusion.style.weights.RandomWeightsWarning")
SMALL = {"weights": "random", "iterations": 2, "optimizer": "adam",
         "style_layers": ["relu1_1", "relu2_1"], "content_layers": ["relu2_1"]}
CONTEXT = {"device": "cpu", "seed": 0, "progress": None, "workdir": None}


@pytest.fixture(scope="module")
def registry():
    return plugins.load_registry(entry_points=False)


def _params(op, **given):
    """Every declared default, converted by its Param (as the recipe engine does)."""
    values = {p.name: p.convert(p.default) for p in op.params if p.default is not None}
    values.update({k: op.param(k).convert(v) for k, v in given.items()})
    return values


def test_both_operators_share_the_neural_style_parameters(registry):
    """The same option groups as neural_style (masked_style adds the guides), so the same
    flat parameters (declared once, as the groups' fields); stylize_and_blend has no size."""
    shared = {p.name: p for p in PARAMS}
    style_groups = registry["neural_style"].groups
    for name, dropped in (("masked_style", {"size"}),
                          ("stylize_and_blend", {"size"})):
        op = registry[name]
        assert op.source == "builtin plugin imgfusion.masked.plugin"
        assert all(op.groups[g] == style_groups[g] for g in op.groups
                   if g not in ("guides", "placement")), name
        declared = {p.name: p for p in op.params}
        for pname, p in shared.items():
            if pname in dropped:
                continue
            assert declared[pname] == p, pname
    assert registry["masked_style"].param("size").default is None
    assert "size" not in {p.name for p in registry["stylize_and_blend"].params}


def test_masked_style_through_the_registry(registry):
    op = registry["masked_style"]
    rng = np.random.default_rng(0)
    content = rng.random((24, 28, 3)).astype(np.float32)
    mask = np.zeros((24, 28), bool)
    mask[4:16, 6:20] = True
    out = op.call({"content": content, "style": [content[::-1].copy()], "mask": [mask]},
                  _params(op, **SMALL), CONTEXT)
    assert set(out) == {"image", "loss_history"}
    assert np.array_equal(out["image"][~mask], content[~mask])


def test_stylize_and_blend_through_the_registry(registry):
    op = registry["stylize_and_blend"]
    rng = np.random.default_rng(1)
    source = rng.random((24, 28, 3)).astype(np.float32)
    target = rng.random((30, 30, 3)).astype(np.float32)
    mask = np.zeros((24, 28), bool)
    mask[4:16, 6:20] = True
    out = op.call({"source": source, "target": target, "mask": mask, "style": [source]},
                  _params(op, offset=[2, 3], margin=2, blend="poisson", **SMALL), CONTEXT)
    assert set(out) == {"image", "piece", "piece_mask", "loss_history", "info"}
    assert out["piece"].shape == (12 + 4, 14 + 4, 3) and out["piece_mask"].shape == (16, 18)
    assert out["info"]["unknowns"] == int(mask.sum())
    assert np.array_equal(out["image"][:6], target[:6])


def test_masked_functions_are_exported():
    import imgfusion
    from imgfusion.masked.cutout import stylize_and_blend
    from imgfusion.masked.spatial_style import masked_style

    assert imgfusion.masked_style is masked_style
    assert imgfusion.stylize_and_blend is stylize_and_blend
