"""The operator record: what the engine and validation read of an operator.

:class:`Operator` (with its :class:`Input` s, typed :class:`Param` s with ranges
and choices, :class:`Output` s, run context and traits) is built by
:mod:`imgfusion.declare_build` from a function's declaration, read at run time
(:mod:`imgfusion.declare`) or from source (:mod:`imgfusion.static_decl`).  Families do
not build these records; they write typed functions (see :mod:`imgfusion.operators`,
the public facade).  Parameter types are Python annotations, checked and converted
with pydantic.  This module is a base floor: it imports no other declaration module.
"""
from __future__ import annotations

import importlib
import dataclasses
import math
import os
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .markers import as_options

if TYPE_CHECKING:  # pydantic is imported when a value is first converted, not to list or
    from pydantic import TypeAdapter  # describe operators (imgfusion ops / info stay fast)

INPUT_KINDS = ("image", "mask", "any", "video")  # video: taken whole, not mapped per frame
OUTPUT_KINDS = ("image", "mask", "data", "video")
CONTEXT_NAMES = ("device", "seed", "progress", "workdir", "labels", "protect")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"

    def __reduce__(self) -> str:
        return "REQUIRED"    # unpickled (from the declaration cache) as the one sentinel


REQUIRED: Any = _Required()


class InputPath(str):
    """A file to read: relative to the recipe's folder, or ``sample:NAME``."""


class OutputPath(str):
    """A file or folder to write: relative to the run's output folder."""


def _check_kind(record: Any, kinds: tuple[str, ...]) -> None:
    if record.kind not in kinds:
        raise ValueError(f"{type(record).__name__} {record.name!r}: kind must be one of {kinds}")


@dataclass(frozen=True)
class Input:
    """An image input.  ``kind`` is image, mask or any; ``many`` takes a list."""

    name: str
    kind: str = "image"
    help: str = ""
    optional: bool = False
    many: bool = False

    def __post_init__(self):
        _check_kind(self, INPUT_KINDS)


@dataclass(frozen=True)
class Output:
    """A named output.  The first output of an operator is what ``$step`` means."""

    name: str
    kind: str = "image"
    help: str = ""

    def __post_init__(self):
        _check_kind(self, OUTPUT_KINDS)


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
            value = os.fspath(value) if isinstance(value, os.PathLike) else value  # Python
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
            self.check = as_problems(lambda params: resolve_target(target)(params))

    # -- lookup -----------------------------------------------------------------
    @property
    def function(self) -> Callable[..., Any]:
        self.func = resolve_target(self.func)
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
        """The description (the function's docstring, as the declaration read it), else
        the summary."""
        return textwrap.dedent(self.description).strip() or self.summary

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
        """Flat parameters with each option group's fields gathered into its dataclass.

        A group starts from the instance given whole (a Python call), else from its
        fields' declared defaults (the parameter's default instance's values); a flat key
        named like its group (``init`` of the group ``init``) is the field.  A Python call
        may also name a field the declaration leaves out (``Fields``): the function takes
        the whole group.
        """
        out = dict(params)
        for group, (target, names) in self.groups.items():
            cls = resolve_target(target)
            base = out.pop(group) if dataclasses.is_dataclass(out.get(group)) else None
            every = [f.name for f in dataclasses.fields(cls)]
            given = {n: out.pop(n) for n in every if n in out}
            if base is not None:
                out[group] = dataclasses.replace(base, **given)
                continue
            defaults = {n: p.default for n in names if not (p := self.param(n)).required}
            out[group] = cls(**{**defaults, **given})
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
                if key in self.groups and (p is None or not isinstance(value, str)):
                    # given whole: the instance or a dict of its fields ("init" is also a field)
                    cls = resolve_target(self.groups[key][0])
                    out[key] = self._checked_group(key, as_options(cls, value))
                elif p is not None:
                    out[key] = p.convert(value)
                elif key == "progress" and key in self.context:
                    out[key] = _progress_callback(value)
            except ValueError as exc:
                raise ParameterError(getattr(exc, "field", key), str(exc)) from None
        return out

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
        old = {}   # field -> the names it had (the ``renamed`` trait: old -> new)
        for was, now in (self.traits.get("renamed") or {}).items():
            old.setdefault(now, []).append(was)
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
                        "help": p.help, "old_names": old.get(p.name, [])}
                       for p in self.params],
            "outputs": [{"name": o.name, "kind": o.kind, "help": o.help} for o in self.outputs],
        }


def as_problems(probe: Callable[[Mapping[str, Any]], object]):
    """Turn a function that raises ParameterError (the ``check`` trait) into an
    :attr:`Operator.check`."""
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


def resolve_target(target: Any) -> Any:
    """``target``, or the object that a ``"module:name"`` string names (imported now)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v


def _silent(done: int, total: int, **info: Any) -> None:
    """Progress that shows nothing."""


def _progress_callback(value: Any) -> Any:
    """A Python call's ``progress``: ``progress(done, total, **info)``, ``None`` (the
    operator's own default) or ``False`` (none, whatever the operator's default)."""
    if value is None or callable(value):
        return value
    if value is False:
        return _silent
    raise ValueError("must be a function progress(done, total, **info), None or False; "
                     f"got {value!r}")
