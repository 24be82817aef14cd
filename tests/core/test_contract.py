"""Every operator is declared once, by its function: the registration agrees with it."""
import ast
import inspect
import math
import tempfile
import typing
from pathlib import Path

import numpy as np
import pytest

import imgfusion
from imgfusion.declare import is_operator, read_function
from imgfusion.declare_build import members
from imgfusion.errors import ParameterError
from imgfusion.operators import Operator, OutputPath, Param
from imgfusion.plugins import load_registry
from imgfusion.values import Video

REGISTRY = load_registry(entry_points=False)
PACKAGE = Path(imgfusion.__file__).parent


def declared_ops() -> list[Operator]:
    """The built-in operators (every one declared by its function)."""
    return [REGISTRY[n] for n in REGISTRY.names()]


def portrait(op: Operator) -> dict:
    """Everything the engine and validation read from a declaration, comparable."""
    desc = op.describe()
    desc.pop("source")
    desc["types"] = [repr(p.type) for p in op.params]
    desc["context"] = list(op.context)
    desc["traits"] = {k: _named(v) for k, v in op.traits.items()}
    desc["groups"] = {k: (_named(c), names) for k, (c, names) in op.groups.items()}
    return desc


def _named(value):
    if callable(value):
        return f"{value.__module__}:{value.__qualname__}"
    return value


@pytest.mark.parametrize("name", REGISTRY.names())
def test_every_operator_is_exported_and_described(name):
    op = REGISTRY[name]
    assert callable(getattr(imgfusion, name, None)), f"imgfusion.{name} is not exported"
    info = op.describe()
    assert info["name"] == name and info["summary"] and info["help"]


def test_the_converted_families_are_declared_by_their_functions():
    assert {"load", "load_mask", "save", "resize", "crop", "contact_sheet"} <= \
        {op.name for op in declared_ops()}


@pytest.mark.parametrize("op", declared_ops(), ids=lambda op: op.name)
def test_the_source_reading_equals_the_runtime_reading(op):
    runtime = read_function(op.function)
    assert portrait(op) == portrait(runtime)
    assert getattr(imgfusion, op.name) is op.function


def test_every_built_in_operator_is_an_operator_function():
    assert [op.name for op in declared_ops() if not is_operator(op.function)] == []


def test_style_options_show_as_groups_in_the_signature_and_flat_when_registered():
    from imgfusion.masked import cutout, spatial_style
    for name, module in (("masked_style", spatial_style), ("stylize_and_blend", cutout)):
        params = inspect.signature(getattr(module, name)).parameters
        assert {"losses", "schedule"} <= set(params), name
        op = REGISTRY[name]
        assert {"iterations", "style_weight", "optimizer"} <= {p.name for p in op.params}, name
        assert {"iterations", "optimizer"} <= set(op.groups["schedule"][1]), name


# -- declared nowhere but in the signature ----------------------------------------
def second_declarations(family: Path, root: Path = PACKAGE) -> list[str]:
    """``file:line`` of every Param/Input/Output/Operator record built in a family."""
    found = []
    for path in sorted(family.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and _callee(node) in ("Param", "Input", "Output",
                                                                 "Operator"):
                found.append(f"{path.relative_to(root)}:{node.lineno} {_callee(node)}(")
    return found


def _callee(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def families() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.glob("*/plugin.py"))


def test_no_family_declares_a_parameter_outside_its_functions():
    offenders = [hit for fam in families() for hit in second_declarations(fam)]
    assert offenders == [], "declare these in the function's signature instead"


def test_the_scan_sees_a_record_built_in_a_family(tmp_path):
    (tmp_path / "plugin.py").write_text("from imgfusion.operators import Param\n"
                                        "P = Param('k', int, 4)\n")
    assert second_declarations(tmp_path, tmp_path) == ["plugin.py:2 Param("]


# -- ranges: declaration, engine and function agree -------------------------------
RANGED = [(op, p) for op in declared_ops() for p in op.params
          if p.min is not None or p.max is not None]
SAMPLE = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
SAMPLE_INPUTS = {"image": SAMPLE, "mask": np.ones((16, 16), bool), "any": SAMPLE,
                 "video": Video(lambda: iter([SAMPLE] * 3), fps=5.0, frames=3, size=(16, 16))}
WRITTEN = Path(tempfile.mkdtemp(prefix="imgfusion-contract-"))   # files the calls write
# required parameters of the converted operators, for calling them
EXAMPLES = {"crop": {"origin": (0, 0), "size": (2, 2)}, "load_mask": {"path": "sample:camera"},
            "load": {"path": "sample:camera"},
            "load_video": {"path": str(Path(__file__).parent / "fixtures" / "clip")},
            "save_video": {"path": str(WRITTEN / "clip"), "overwrite": True},
            "save": {"path": str(WRITTEN / "still.jpg"), "overwrite": True},
            "train_style_vae": {"path": str(WRITTEN / "vae.safetensors"), "vgg_weights": None},
            "video_style": {"frames_dir": str(WRITTEN / "frames"), "overwrite": True},
            "train_fast_style": {"path": str(WRITTEN / "fast.safetensors"), "overwrite": True,
                                 "steps": 1, "train_size": 16, "validation": 0}}
FAST_STYLE = {"weights": "random", "iterations": 1, "content_layers": ["relu1_1"],
              "style_layers": ["relu1_1"], "device": "cpu"}   # cheap runs, not required values
EXAMPLES.update({name: {**EXAMPLES.get(name, {}),
                        **{k: v for k, v in FAST_STYLE.items()
                           if k == "device" or REGISTRY[name].param(k) is not None}}
                 for name in ("neural_style", "content_reconstruction", "texture_synthesis",
                              "masked_style", "stylize_and_blend", "video_style",
                              "train_fast_style")})
# bounds whose legality also depends on the data (checked in the body, by design)
DATA_DEPENDENT = {("shape_mask", "extent"): "a shape smaller than a pixel covers none",
                  ("color_change", "color"): "black (every channel 0) has no shading to keep",
                  ("train_style_vae", "kernels"): "one kernel size per layer of filters",
                  ("texture_synthesis", "style_weight"): "with no content loss, style "
                                                         "weight 0 leaves nothing to optimise",
                  ("stylize_and_blend", "pyramid"): "the cutout is stylised at its own "
                                                    "size: any pyramid is refused",
                  ("stylize_and_blend", "scale"): "a cutout scaled past the photo's size "
                                                  "cannot land inside it",
                  **{(op, "memory_limit"): "whether a limit holds the run, even in "
                                           "tiles, depends on the output's size"
                     for op in ("neural_style", "content_reconstruction", "texture_synthesis",
                                "masked_style", "stylize_and_blend")},
                  ("video_style", "size"): "the optical flow needs frames of 12 px or more",
                  **{(op, "style_blend_weights"): "one weight per style image"
                     for op in ("neural_style", "content_reconstruction", "texture_synthesis",
                                "masked_style", "stylize_and_blend", "video_style")}}


def _just_outside(p: Param) -> list[float]:
    out = []
    if p.min is not None:
        out.append(math.floor(p.min) - 1 if _integer(p) else p.min - max(1e-9, abs(p.min) * 1e-6))
    if p.max is not None:
        out.append(math.ceil(p.max) + 1 if _integer(p) else p.max + max(1e-9, abs(p.max) * 1e-6))
    return out


def _integer(p: Param) -> bool:
    return "int" in str(p.type) and "float" not in str(p.type)


def _shaped(op: Operator, p: Param, x):
    """``x`` in the parameter's shape: a pair of it for ``tuple[int, int]``, a list of
    pairs for ``list[tuple[int, int]]``, ``{layer: x}`` for ``dict[str, float]`` ..."""
    shaped = _shaped_as(p.type, x)
    return x if shaped is None else shaped


def _shaped_as(t, x):
    """``x`` as a value of type ``t`` (None when ``t`` holds no number)."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t in (int, float):
        return x
    if origin is tuple and args and args[-1] is not Ellipsis:
        return [_shaped_as(a, x) for a in args]
    if origin is list and args:
        inner = _shaped_as(args[0], x)
        return None if inner is None else [inner]
    if origin is dict and args:
        inner = _shaped_as(args[1], x)
        return None if inner is None else {"relu1_1": inner}   # a key every layer map takes
    shaped = [_shaped_as(m, x) for m in members(t) if m is not t]
    return next((v for v in shaped if v is not None), None)


def _params(op: Operator, name: str, value) -> dict:
    return {**EXAMPLES.get(op.name, {}), name: value}


def _inputs(op: Operator) -> dict:
    return {i.name: [SAMPLE, SAMPLE] if i.many else SAMPLE_INPUTS[i.kind]
            for i in op.inputs if not i.optional}


@pytest.mark.parametrize("op,p", RANGED, ids=[f"{o.name}.{p.name}" for o, p in RANGED])
def test_outside_its_range_the_engine_and_the_python_call_refuse_naming_the_field(op, p):
    for x in _just_outside(p):
        value = _shaped(op, p, x)
        with pytest.raises(ValueError):
            p.convert(value)
        with pytest.raises(ParameterError) as err:
            op.function(**_inputs(op), **_params(op, p.name, value))
        assert err.value.field == p.name


@pytest.mark.parametrize("op,p", RANGED, ids=[f"{o.name}.{p.name}" for o, p in RANGED])
def test_at_its_small_bounds_the_function_accepts_the_value(op, p):
    """The body does not re-check the range tighter (a bound within 64 of 0: cheap to run)."""
    if (op.name, p.name) in DATA_DEPENDENT:
        pytest.skip(DATA_DEPENDENT[op.name, p.name])
    for bound in (b for b in (p.min, p.max) if b is not None and abs(b) <= 64):
        value = _shaped(op, p, bound)
        p.convert(value)
        try:
            op.function(**_inputs(op), **_params(op, p.name, value))
        except ParameterError as exc:
            assert exc.field != p.name, f"{op.name} refuses {p.name}={value!r}: {exc}"


CHOOSING = [(op, p) for op in declared_ops() for p in op.params if p.choices]
# choices whose acceptance also depends on the data (checked in the body, by design)
DATA_DEPENDENT_CHOICES = {
    ("load_mask", "channel", "alpha"): "sample:camera has no alpha",
    ("optical_flow", "method", "raft_small"): "needs local weights",
    ("optical_flow", "method", "raft_large"): "needs local weights",
    **{(op, field, raft): "needs local weights" for op, field in (
        ("video_style", "flow_method"), ("temporal_error", "method"))
       for raft in ("raft_small", "raft_large")},
    ("video_style", "mask_method", "guided"): "needs a mask",
    **{(blend, "device", "cuda"): "needs a CUDA GPU on this machine"
       for blend in ("poisson_blend", "mixed_blend", "monochrome_transfer")},
    **{("color_change", "solver", s): "with transition > 0 (the default) the screened solve "
       "takes a matrix" for s in ("fft", "mgpcg")},
    ("stylize_and_blend", "solver", "fft"): "the colour-keeping band (blend auto, the "
                                            "default) does not survive fft's erosion",
}
STYLISING = ("neural_style", "content_reconstruction", "texture_synthesis", "masked_style",
             "stylize_and_blend", "video_style")
DATA_DEPENDENT_CHOICES.update({(op, "precision", p): "an opt-in for CUDA devices only"
                               for op in STYLISING for p in ("tf32", "bf16")})
DATA_DEPENDENT_CHOICES.update({  # refused at validation by the preset's check, naming init
    ("content_reconstruction", "init", "style"): "the preset has no style image",
    ("content_reconstruction", "init", "image"): "the preset has no init_image",
    ("texture_synthesis", "init", "content"): "the preset has no content image",
    ("texture_synthesis", "init", "image"): "the preset has no init_image",
    ("video_style", "init", "image"): "a clip has no init_image"})


def _examples(op: Operator, tmp_path) -> dict:
    """Required example values, and a fresh file for an operator that writes one."""
    writes = op.param("path") is not None and op.param("path").type is OutputPath
    files = {"path": str(tmp_path / "x.png"), "overwrite": True} if writes else {}
    return {**EXAMPLES.get(op.name, {}), **files}


@pytest.mark.parametrize("op,p", CHOOSING, ids=[f"{o.name}.{p.name}" for o, p in CHOOSING])
def test_the_choices_the_declaration_lists_are_the_ones_the_function_takes(op, p, tmp_path):
    for choice in p.choices:
        if (op.name, p.name, choice) in DATA_DEPENDENT_CHOICES:
            continue
        try:
            op.function(**_inputs(op), **{**_examples(op, tmp_path), p.name: choice})
        except ParameterError as exc:
            assert exc.field != p.name, f"{op.name} refuses {p.name}={choice!r}: {exc}"
    with pytest.raises(ParameterError) as err:
        op.function(**_inputs(op), **{**_examples(op, tmp_path), p.name: "no such choice"})
    assert err.value.field == p.name
