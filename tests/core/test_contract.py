"""Every registered operator against its function: the registration is the signature's."""
import inspect

import pytest

import imgfusion
from imgfusion.operators import Operator, Param
from imgfusion.plugins import load_registry
from imgfusion.signatures import signature_problems

REGISTRY = load_registry(entry_points=False)


@pytest.mark.parametrize("name", REGISTRY.names())
def test_registration_agrees_with_the_public_function(name):
    op = REGISTRY[name]
    public = getattr(imgfusion, name, None)
    assert callable(public), f"imgfusion.{name} is not exported"
    assert signature_problems(op) == []
    info = op.describe()
    assert info["name"] == name and info["summary"] and info["help"]


def test_a_drifted_default_and_an_unknown_name_are_reported():
    def f(image, *, k=3):
        """F."""
    drifted = Operator("f", f, "F.", params=[Param("k", int, 4)])
    unknown = Operator("f", f, "F.", params=[Param("j", int, 4)])
    assert "defaults to 4" in signature_problems(drifted)[0]
    assert "'j' is not a parameter" in signature_problems(unknown)[0]


def test_style_options_show_as_groups_in_the_public_signature_and_flat_when_registered():
    for name in ("masked_style", "stylize_and_blend"):
        params = inspect.signature(getattr(imgfusion, name)).parameters
        assert {"losses", "schedule"} <= set(params), name
        flat = inspect.signature(REGISTRY[name].function).parameters
        assert {"iterations", "style_weight", "optimizer"} <= set(flat), name
