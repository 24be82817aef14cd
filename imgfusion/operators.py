"""The operator contract: name, help, image inputs, typed parameters, outputs.

An operator is a plain function (arrays in, arrays out, keyword parameters) plus
an :class:`Operator` record that a plugin hands to ``register`` from its
``imgfusion_register_operators`` hook::

    from imgfusion import hookimpl, Operator, Input, Param, Output

    def invert(image, *, amount=1.0):
        return (1 - amount) * image + amount * (1 - image)

    @hookimpl
    def imgfusion_register_operators(register):
        register(Operator(
            name="invert", func=invert, summary="Invert the colours.",
            inputs=[Input("image")],
            params=[Param("amount", float, 1.0, min=0, max=1, help="how far to invert")],
        ))

Parameter types are Python annotations (``int``, ``float``, ``tuple[int, int]``,
``list[str]``, ``float | None`` ...), checked and converted with pydantic;
``InputPath`` and ``OutputPath`` mark file names that the recipe resolves.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import math
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:  # pydantic is imported when a value is first converted, not to list or
    from pydantic import TypeAdapter  # describe operators (imgfusion ops / info stay fast)

INPUT_KINDS = ("image", "mask", "any", "video")  # video: taken whole, not mapped per frame
OUTPUT_KINDS = ("image", "mask", "data", "video")
CONTEXT_NAMES = ("device", "seed", "progress", "workdir", "labels", "protect")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class InputPath(str):
    """A file to read: relative to the recipe's folder, or ``sample:NAME``."""


class OutputPath(str):
    """A file or folder to write: relative to the run's output folder."""


@dataclass(frozen=True)
class Input:
    """An image input.  ``kind`` is image, mask or any; ``many`` takes a list."""

    name: str
    kind: str = "image"
    help: str = ""
    optional: bool = False
    many: bool = False

    def __post_init__(self):
        if self.kind not in INPUT_KINDS:
            raise ValueError(f"Input {self.name!r}: kind must be one of {INPUT_KINDS}")


@dataclass(frozen=True)
class Output:
    """A named output.  The first output of an operator is what ``$step`` means."""

    name: str
    kind: str = "image"
    help: str = ""

    def __post_init__(self):
        if self.kind not in OUTPUT_KINDS:
            raise ValueError(f"Output {self.name!r}: kind must be one of {OUTPUT_KINDS}")


@dataclass(frozen=True)
class Param:
    """A typed keyword parameter with default, range, choices and one-line help."""

    name: str
    type: Any
    default: Any = REQUIRED
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: Sequence[Any] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @cached_property
    def _adapter(self) -> TypeAdapter:
        from pydantic import TypeAdapter

        return TypeAdapter(_plain_type(self.type))

    def type_name(self) -> str:
        t = self.type
        if t is InputPath:
            return "input path"
        if t is OutputPath:
            return "output path"
        if isinstance(t, type):
            return t.__name__
        return str(t).replace("typing.", "")

    def convert(self, value: Any) -> Any:
        """Check ``value`` against type, range and choices; return it converted.

        Raises ``ValueError`` with a message that does not name the field (the
        caller adds step and field).
        """
        if isinstance(self.type, type) and issubclass(self.type, str) and self.type is not str:
            if value is None and self.default is None:  # an optional path, e.g. loss_plot: null
                return None
            if not isinstance(value, str) or not value:
                raise ValueError(f"expected a {self.type_name()} (a string), got {value!r}")
            return self.type(value)
        if _is_bool_type(self.type) is False and isinstance(value, bool) and _numeric(self.type):
            raise ValueError(f"expected {self.type_name()}, got a boolean {value!r}")
        from pydantic import ValidationError

        try:
            out = self._adapter.validate_python(value)
        except ValidationError as exc:
            msgs = "; ".join(e["msg"] for e in exc.errors())
            raise ValueError(f"expected {self.type_name()}, got {value!r} ({msgs})") from None
        self._check_range(out)
        if self.choices is not None and out not in self.choices:
            raise ValueError(
                f"{out!r} is not one of {', '.join(map(repr, self.choices))}")
        return out

    def _check_range(self, value: Any) -> None:
        for v in _numbers(value):
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{v!r} is not a finite number")
            if self.min is not None and v < self.min:
                raise ValueError(f"{v!r} is below the minimum {self.min!r}")
            if self.max is not None and v > self.max:
                raise ValueError(f"{v!r} is above the maximum {self.max!r}")


def _numbers(value: Any):
    """Every number in ``value``: itself, or inside (nested) lists, tuples and dict values."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)


def _plain_type(t: Any) -> Any:
    return str if (isinstance(t, type) and issubclass(t, str)) else t


def _numeric(t: Any) -> bool:
    return t in (int, float) or "int" in str(t) or "float" in str(t)


def _is_bool_type(t: Any) -> bool:
    return t is bool or "bool" in str(t)


@dataclass
class Operator:
    """What an operator declares.  ``func`` may be a callable or ``"module:attr"``.

    ``context`` lists what the engine passes besides inputs and parameters:
    ``device`` (a string such as "cpu" or "cuda:0"), ``seed`` (int), ``progress``
    (a callable ``progress(done, total, **info)``), ``workdir`` (the output
    folder, a ``pathlib.Path``) and ``labels`` (for an operator with a ``many``
    input: one dict per image, e.g. the swept values ``{"style_weight": 1e3}``, or
    ``{"step": "a"}`` for an explicit list of references) and ``protect`` (the
    run's input files, absolute paths, that no operator may overwrite).
    """

    name: str
    func: Callable[..., Any] | str
    summary: str
    inputs: Sequence[Input] = ()
    params: Sequence[Param] = ()
    outputs: Sequence[Output] = (Output("image"),)
    description: str = ""
    context: Sequence[str] = ()
    check: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None = None
    source: str = field(default="", compare=False)
    traits: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.inputs = tuple(self.inputs)
        self.params = tuple(self.params)
        self.outputs = tuple(self.outputs)
        self.context = tuple(self.context)
        bad = set(self.context) - set(CONTEXT_NAMES)
        if bad:
            raise ValueError(f"operator {self.name!r}: unknown context {sorted(bad)}")
        names = [i.name for i in self.inputs] + [p.name for p in self.params]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"operator {self.name!r}: duplicate names {sorted(dup)}")
        if not self.outputs:
            raise ValueError(f"operator {self.name!r}: needs at least one output")

    # -- lookup -----------------------------------------------------------------
    @property
    def function(self) -> Callable[..., Any]:
        if isinstance(self.func, str):
            module, _, attr = self.func.partition(":")
            self.func = getattr(importlib.import_module(module), attr)
        return self.func

    def input(self, name: str) -> Input | None:
        return next((i for i in self.inputs if i.name == name), None)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def output(self, name: str) -> Output | None:
        return next((o for o in self.outputs if o.name == name), None)

    @property
    def long_help(self) -> str:
        """The description, else the function's docstring, else the summary.

        A function named as ``"module:attr"`` has its docstring read from the
        module's source without importing it, so that ``imgfusion info`` does not
        import torch or scipy.
        """
        if self.description:
            return textwrap.dedent(self.description).strip()
        doc = None
        if isinstance(self.func, str):
            doc = static_docstring(self.func)
        if doc is None:
            doc = inspect.getdoc(self.function)
        return doc or self.summary

    # -- calling ----------------------------------------------------------------
    def call(self, inputs: Mapping[str, Any], params: Mapping[str, Any],
             context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call the function and return its outputs as ``{name: value}``."""
        kwargs = dict(inputs)
        kwargs.update(params)
        for key in self.context:
            if context and key in context:
                kwargs[key] = context[key]
        result = self.function(**kwargs)
        return self.split_outputs(result)

    def split_outputs(self, result: Any) -> dict[str, Any]:
        names = [o.name for o in self.outputs]
        if len(names) == 1:
            return {names[0]: result}
        if isinstance(result, Mapping):
            missing = [n for n in names if n not in result]
            if missing:
                raise TypeError(f"operator {self.name!r} returned no {missing}")
            return {n: result[n] for n in names}
        if isinstance(result, tuple) and len(result) == len(names):
            return dict(zip(names, result))
        raise TypeError(
            f"operator {self.name!r} declares outputs {names}; return a dict or a tuple of them")

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, what ``imgfusion info`` prints."""
        return {
            "name": self.name,
            "summary": self.summary,
            "help": self.long_help,
            "source": self.source,
            "inputs": [{"name": i.name, "kind": i.kind, "optional": i.optional,
                        "many": i.many, "help": i.help} for i in self.inputs],
            "params": [{"name": p.name, "type": p.type_name(),
                        "default": None if p.required else _jsonable(p.default),
                        "required": p.required, "min": p.min, "max": p.max,
                        "choices": None if p.choices is None else list(p.choices),
                        "help": p.help} for p in self.params],
            "outputs": [{"name": o.name, "kind": o.kind, "help": o.help} for o in self.outputs],
        }


def problems(probe: Callable[[Mapping[str, Any]], object]):
    """Turn a function that raises ParameterError into an :attr:`Operator.check`."""
    from .errors import ParameterError

    def check(params: Mapping[str, Any]) -> list[tuple[str, str]]:
        try:
            probe(params)
        except ParameterError as exc:
            return [(exc.field, exc.message)]
        return []
    return check


def static_docstring(target: str, depth: int = 4) -> str | None:
    """The docstring of ``"module:name"``, read from the source without importing it.

    Cleaned as :func:`inspect.getdoc` cleans it.  Follows what a module-level
    name is bound to: a ``def`` or ``class``, ``from .mod import name``, or a
    wrapper call such as ``name = with_info(mod.name)`` (a wrapper is assumed to
    keep the docstring, as ``functools.wraps`` does).  None when the chain
    cannot be followed; the caller then imports the function.
    """
    module, _, attr = target.partition(":")
    tree = _module_ast(module)
    if tree is None or depth <= 0:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == attr:
            return ast.get_docstring(node)
    follow = _binding(tree, module, attr)
    return None if follow is None else static_docstring(follow, depth - 1)


def _module_ast(module: str) -> ast.Module | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        with open(spec.origin, "rb") as fh:
            return ast.parse(fh.read(), filename=spec.origin)
    except (OSError, SyntaxError, ValueError):
        return None


def _binding(tree: ast.Module, module: str, attr: str) -> str | None:
    """``"module:name"`` that ``attr`` is bound to at module level, if known."""
    imports = _imported_names(tree, module)
    for node in reversed(tree.body):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == attr for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call) and len(value.args) == 1:
                value = value.args[0]
            if isinstance(value, ast.Name):
                return imports.get(value.id, f"{module}:{value.id}")
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                owner = imports.get(value.value.id)
                return f"{owner.replace(':', '.')}:{value.attr}" if owner else None
            return None
    return imports.get(attr)


def _imported_names(tree: ast.Module, module: str) -> dict[str, str]:
    """Names bound by ``from X import a`` at module level, as ``"X:a"``."""
    names: dict[str, str] = {}
    package = module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}:{alias.name}"
    return names


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v
