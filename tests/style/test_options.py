"""The style option groups: declared once (type, range, choices, default, help), built from a
recipe's flat keys by the core, and the typed call is the flat call."""
import dataclasses
import re
import typing
from pathlib import Path

import numpy as np
import pytest

from imgfusion.plugins import load_registry
from imgfusion.style import options
from imgfusion.markers import is_options
from imgfusion.style.options import StyleInit, StyleLosses, StyleSchedule

GROUPS = [options.StyleLosses, options.StyleSchedule, options.StyleFiles, options.StyleColor,
          options.StyleInit, options.Speed, options.StyleGuides]
STYLISING = ["neural_style", "content_reconstruction", "texture_synthesis", "masked_style",
             "stylize_and_blend", "video_style", "train_fast_style"]
REGISTRY = load_registry(entry_points=False)
FIELDS = {f.name: (cls, f) for cls in GROUPS for f in dataclasses.fields(cls)}


def _declared(cls, name):
    """(Range or None, Literal choices or None) of field ``name``."""
    hint = typing.get_type_hints(cls, include_extras=True)[name]
    bounds = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, options.Range)),
                  None)
    base = typing.get_args(hint)[0] if bounds is not None else hint
    return bounds, (typing.get_args(base) if typing.get_origin(base) is typing.Literal else None)


@pytest.mark.parametrize("cls", GROUPS, ids=lambda c: c.__name__)
def test_each_group_is_a_frozen_option_group_with_help_for_every_field(cls):
    assert cls.__dataclass_params__.frozen and is_options(cls)
    documented = set(re.findall(r"^    ([a-z_]+)$", cls.__doc__, flags=re.M))
    assert documented == {f.name for f in dataclasses.fields(cls)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        cls().__setattr__(dataclasses.fields(cls)[0].name, None)


@pytest.mark.parametrize("name", STYLISING)
def test_registration_agrees_with_the_fields_ranges_and_choices(name):
    """Each flat parameter of a group field says what the field says (the core reads the
    groups: a check, not the declaration, narrows a preset's ``init``)."""
    op = REGISTRY[name]
    shared = [p for p in op.params if p.name in FIELDS]
    assert len(shared) >= 8
    for p in shared:
        bounds, choices = _declared(*FIELDS[p.name][:1], p.name)
        assert (p.min, p.max) == ((bounds.lo, bounds.hi) if bounds else (None, None)), p.name
        if p.choices is not None or choices is not None:
            assert set(p.choices) <= set(choices), p.name
            assert p.name == "init" or set(p.choices) == set(choices), p.name


def test_the_core_builds_the_groups_from_flat_keys_and_keeps_the_other_keys():
    op = REGISTRY["video_style"]
    out = op.grouped({"style_weight": 5.0, "window": 7, "size": 64, "init": "noise"})
    assert out["losses"] == StyleLosses(style_weight=5.0, style_grid=2, style_grid_power=1.0)
    assert out["schedule"] == StyleSchedule(iterations=200, window=7)
    assert out["init"] == StyleInit("noise") and out["size"] == 64
    given = op.grouped({"schedule": StyleSchedule(window=3), "iterations": 9})
    assert given["schedule"] == StyleSchedule(window=3, iterations=9)


def test_the_flat_parameters_default_to_the_default_instances_values():
    op = REGISTRY["video_style"]
    assert op.param("iterations").default == 200 and op.param("style_weight").default == 3.0
    assert op.param("schedule") is None and op.param("pyramid") is None
    assert set(op.groups) == {"losses", "schedule", "color", "init", "speed", "guides"}


def test_the_typed_call_is_the_flat_call(smooth_image):
    from imgfusion.style.transfer import neural_style

    content, style = smooth_image((24, 28), 1), smooth_image((20, 20), 2)
    flat = dict(weights="random", content_layers=["relu1_1"], style_layers=["relu1_1"],
                iterations=3, optimizer="adam", init="noise", device="cpu", seed=2)
    typed = neural_style(content, style, losses=StyleLosses(weights="random",
                                                            content_layers=["relu1_1"],
                                                            style_layers=["relu1_1"]),
                         schedule=StyleSchedule("adam", iterations=3), init=StyleInit("noise"),
                         device="cpu", seed=2)
    via_keys = neural_style(content, style, **flat)
    assert np.array_equal(typed.image, via_keys.image)
    assert typed.loss_history == via_keys.loss_history


def test_presets_force_their_zero_weight(smooth_image):
    from imgfusion.style.transfer import content_reconstruction

    losses = StyleLosses(weights="random", content_layers=["relu1_1"], style_weight=9.0)
    res = content_reconstruction(smooth_image((20, 20), 3), losses=losses,
                                 schedule=StyleSchedule(iterations=2), device="cpu")
    assert all(h["style"] == 0 for h in res.loss_history)


def test_no_locals_and_no_keyword_forwarding_in_the_style_families():
    root = Path(options.__file__).parents[1]
    for folder in ("style", "masked", "video", "trained"):
        for path in (root / folder).glob("*.py"):
            text = path.read_text()
            assert "locals()" not in text and "def __getattr__" not in text, path
            assert not re.search(r"\*\*(kwargs|style_kwargs|style_options)\b", text), path
