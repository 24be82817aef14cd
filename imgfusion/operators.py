"""The operator contract: the record the engine and validation read, and the markers.

An operator is declared once, by its typed function (see :mod:`imgfusion.declare`)::

    from typing import Annotated
    from imgfusion.operators import operator, Image, Range

    @operator
    def invert(image: Image, *, amount: Annotated[float, Range(0, 1)] = 1.0) -> Image:
        '''Invert the colours.

        Parameters
        ----------
        amount : how far to invert
        '''
        return (1 - amount) * image + amount * (1 - image)

and registered by its family's hook: ``register("package.module")`` reads every
``@operator`` of a module from its source (:mod:`imgfusion.static_decl`) without
importing it; ``register(invert)`` reads a function at run time.  Either gives the
:class:`Operator` record below (inputs, typed :class:`Param` s with ranges and
choices, outputs, run context, traits), which the engine checks values against.
Parameter types are Python annotations, checked and converted with pydantic.
"""
from __future__ import annotations

import importlib
import dataclasses
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
    traits: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)

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
        if self.check is None and self.traits.get("check") is not None:
            target = self.traits["check"]
            self.check = problems(lambda params: _resolving(target)(params))

    # -- lookup -----------------------------------------------------------------
    @property
    def function(self) -> Callable[..., Any]:
        if isinstance(self.func, str):
            module, _, attr = self.func.partition(":")
            self.func = getattr(importlib.import_module(module), attr)
        return self.func

    @property
    def raw(self) -> Callable[..., Any]:
        """The function itself, under the checking wrapper ``@operator`` puts around it."""
        return getattr(self.function, "__wrapped__", self.function)

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
            from .static_decl import static_docstring

            doc = static_docstring(self.func)
        if doc is None:
            doc = inspect.getdoc(self.function)
        return doc or self.summary

    # -- calling ----------------------------------------------------------------
    def call(self, inputs: Mapping[str, Any], params: Mapping[str, Any],
             context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call the raw function with checked values; return its outputs as ``{name: value}``."""
        kwargs = dict(inputs)
        kwargs.update(self.grouped(params))
        for key in self.context:
            if context and key in context:
                kwargs[key] = context[key]
        result = self.raw(**kwargs)
        return self.split_outputs(result)

    def grouped(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Flat parameters with each option group's fields gathered into its dataclass."""
        out = dict(params)
        for group, (cls, names) in self.groups.items():
            given = {n: out.pop(n) for n in names if n in out}
            out[group] = _resolving(cls)(**given)
        return out

    def checked(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments of a Python call, each parameter converted as the engine does.

        Raises :class:`~imgfusion.errors.ParameterError` naming the field.
        """
        from .errors import ParameterError

        out = dict(kwargs)
        for key, value in kwargs.items():
            p = self.param(key)
            try:
                if p is not None:
                    out[key] = p.convert(value)
                elif key in self.groups:
                    out[key] = self._checked_group(key, value)
            except ValueError as exc:
                raise ParameterError(getattr(exc, "field", key), str(exc)) from None
        return self._gathered(out)

    def _gathered(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """A Python call's flat option keys put into their group (given whole, or the default)."""
        for group, (cls, names) in self.groups.items():
            flat = {n: kwargs.pop(n) for n in names if n in kwargs}
            if flat:
                base = kwargs.get(group) or _resolving(cls)()
                kwargs[group] = dataclasses.replace(base, **flat)
        return kwargs

    def _checked_group(self, group: str, value: Any) -> Any:
        changes = {}
        for n in self.groups[group][1]:
            try:
                changes[n] = self.param(n).convert(getattr(value, n))
            except ValueError as exc:
                raise _FieldError(n, str(exc)) from None
        return dataclasses.replace(value, **changes)

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


class _FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _resolving(target: Any) -> Any:
    """``target``, or the object that a ``"module:name"`` string names (imported now)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v


from .declare import (Context, Data, DeclarationError, Device, Image, Images,  # noqa: E402
                      Labels, Mask, Progress, Protect, Range, Seed, Value, Video, WorkDir,
                      operator, options)
from .static_decl import static_docstring  # noqa: E402,F401 - old path, until all convert
