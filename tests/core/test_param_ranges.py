"""Every number a built-in operator takes has a range, and nan/inf are refused everywhere."""
import math

import pytest
import yaml

from imgfusion.errors import RecipeError
from imgfusion.operators import Param
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe

REGISTRY = load_registry(entry_points=False)

def builtin_ops():
    names = REGISTRY.names()
    ops = [REGISTRY[n] for n in names]
    return [op for op in ops if op.source.startswith("builtin")]


def numeric(p: Param) -> bool:
    text = str(p.type)
    return p.type in (int, float) or "int" in text or "float" in text


NUMERIC = [(op.name, p) for op in builtin_ops() for p in op.params if numeric(p)]


def test_the_registry_has_the_builtins():
    names = {op.name for op in builtin_ops()}
    assert {"neural_style", "resize", "color_change", "masked_style"} <= names
    assert len(NUMERIC) > 40


@pytest.mark.parametrize("op,param", NUMERIC, ids=[f"{o}.{p.name}" for o, p in NUMERIC])
def test_every_numeric_param_has_a_finite_min_and_max(op, param):
    if param.choices is not None:
        assert all(isinstance(c, (int, float)) and math.isfinite(c) for c in param.choices)
        return
    assert param.min is not None and param.max is not None, f"{op}.{param.name}"
    assert math.isfinite(param.min) and math.isfinite(param.max)
    assert param.min < param.max
    if not param.required and param.default is not None:
        param.convert(param.default)  # the default lies in its own range


FLOATS = [(o, p) for o, p in NUMERIC if "float" in str(p.type) or p.type is float]


@pytest.mark.parametrize("op,param", FLOATS, ids=[f"{o}.{p.name}" for o, p in FLOATS])
@pytest.mark.parametrize("text", [".nan", ".inf", "-.inf"])
def test_nan_and_inf_are_refused(op, param, text):
    bad = yaml.safe_load(text)
    value = _shaped_like(param, bad)
    with pytest.raises(ValueError):
        param.convert(value)


def _shaped_like(param: Param, x):
    """A value of the parameter's shape holding x (a dict, a pair, a list ...)."""
    default = param.default
    if isinstance(default, dict) or "dict" in str(param.type) and not isinstance(default, list):
        return {"relu1_1": x}
    if isinstance(default, (list, tuple)) and default:
        return [x] * len(default) if not isinstance(default[0], (list, tuple)) else [[x, x]]
    text = str(param.type)
    if "tuple[float, float, float]" in text:
        return [x, x, x]
    if "list[float]" in text:
        return [x]
    return x


def test_layer_weights_in_a_mapping_are_range_checked():
    p = REGISTRY["neural_style"].param("style_layers")
    with pytest.raises(ValueError, match="finite"):
        p.convert({"relu1_1": float("nan")})
    with pytest.raises(ValueError, match="maximum"):
        p.convert({"relu1_1": 1e300})
    assert p.convert({"relu1_1": 2.0}) == {"relu1_1": 2.0}


def test_pyramid_levels_are_range_checked():
    p = REGISTRY["neural_style"].param("pyramid")
    with pytest.raises(ValueError, match="maximum"):
        p.convert([[64, 10 ** 12]])
    with pytest.raises(ValueError, match="minimum"):
        p.convert([[0, 10]])


def _recipe(**params):
    step = {"id": "s", "op": "neural_style", "content": "$c", "style": "$c",
            "weights": "random", **params}
    return {"imgfusion": 1, "steps": [{"id": "c", "op": "load", "path": "sample:astronaut"},
                                      step]}


@pytest.mark.parametrize("field,value", [
    ("learning_rate", 0), ("learning_rate", 1e300), ("iterations", 10 ** 12),
    ("iterations", 1e12), ("style_scale", 1000), ("style_weight", 1e300),
    ("size", 10 ** 6), ("content_weight", float("nan")), ("tv_weight", float("inf")),
])
def test_out_of_range_numbers_fail_validation_naming_the_field(field, value):
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(**{field: value}), registry=REGISTRY)
    assert [p.field for p in err.value.problems] == [field]


@pytest.mark.parametrize("seed", [2 ** 64, 2 ** 63, -1, 10 ** 30])
def test_seeds_beyond_64_bits_are_refused_top_level_and_per_step(seed):
    raw = _recipe()
    raw["seed"] = seed
    raw["steps"][1]["seed"] = seed
    with pytest.raises(RecipeError) as err:
        load_recipe(raw, registry=REGISTRY)
    fields = [(p.step, p.field) for p in err.value.problems]
    assert fields == [(None, "seed"), ("s", "seed")]
    assert "2**63-1" in str(err.value)


def test_largest_seed_is_accepted():
    raw = _recipe()
    raw["seed"] = 2 ** 63 - 1
    assert load_recipe(raw, registry=REGISTRY).seed == 2 ** 63 - 1
