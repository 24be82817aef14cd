"""The markers an operator's signature is written with, and what a reader hands the builder.

``Range`` and ``Literal`` bound a parameter, the kinds (:data:`Image`, :data:`Mask`,
:data:`Images`, :data:`Masks`, :data:`Video`, :data:`Videos`, :data:`Value`,
:data:`Data`) type inputs and outputs, the context aliases (:data:`Device`,
:data:`Seed`, ...) mark what the engine fills, and :func:`options` makes a frozen
dataclass an option group.  :class:`Declared` is a function's declaration as either
reader sees it (:mod:`imgfusion.declare` at run time, :mod:`imgfusion.static_decl` from
source), the input of :func:`imgfusion.declare_build.build_operator`.  A base floor: it
imports only :mod:`imgfusion.errors`.
"""
from __future__ import annotations

import dataclasses
import inspect
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any

from .errors import ImgfusionError


class DeclarationError(ImgfusionError, ValueError):
    """An operator's declaration (signature, docstring, traits) cannot be read."""


@dataclass(frozen=True)
class Range:
    """Inclusive bounds for every number in a parameter's value; either may be None."""

    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class Context:
    """Marks a keyword parameter the engine fills (device, seed, progress, ...)."""

    name: str


@dataclass(frozen=True)
class Help:
    """A parameter's or input's help on a type alias that several operators share
    (``Tol = Annotated[float, Range(1e-15, 0.5), Help("...")]``): written once, used
    where the function's docstring has no entry of its own (an entry there wins)."""

    text: str


@dataclass(frozen=True, init=False)
class Fields:
    """On an option group parameter: only these of the group's fields are the operator's
    flat parameters (``Annotated[StyleLosses, Fields("content_weight")]``); the others
    keep the default instance's values."""

    names: tuple[str, ...]

    def __init__(self, *names: str):
        object.__setattr__(self, "names", names)


@dataclass(frozen=True)
class Kind:
    """Marks what an input or output is: image(s), mask(s), video(s), value or data."""

    name: str


Image = Annotated[Any, Kind("image")]
"""An image input or output: float32 H x W x C in [0, 1] (an input mapped over a video's frames)."""
Mask = Annotated[Any, Kind("mask")]
"""A mask input or output: H x W, bool or float alpha in [0, 1]."""
Images = Annotated[list, Kind("images")]
"""An input taking a list of images (``$a`` or ``[$a, $b]``; a sweep's results)."""
Masks = Annotated[list, Kind("masks")]
"""An input taking a list of masks (``$a`` or ``[$a, $b]``)."""
Video = Annotated[Any, Kind("video")]
"""A video input or output, taken whole (not mapped per frame)."""
Videos = Annotated[list, Kind("videos")]
"""An input taking a list of videos, each taken whole (not mapped per frame)."""
Value = Annotated[Any, Kind("value")]
"""An input of any kind (an image or a mask ...)."""
Data = Annotated[Any, Kind("data")]
"""A non-image output: a dict, list, number or string."""

Device = Annotated[str, Context("device")]
"""Run context: the torch device chosen for the step ("cpu", "cuda:0", ...)."""
Seed = Annotated[int, Context("seed")]
"""Run context: the step's seed."""
Progress = Annotated[Any, Context("progress")]
"""Run context: ``progress(done, total, **info)``, or None."""
WorkDir = Annotated[Any, Context("workdir")]
"""Run context: the run's output folder, a ``pathlib.Path`` (None from Python)."""
Labels = Annotated[list, Context("labels")]
"""Run context: one dict per image of an ``Images`` input (swept values, step ids)."""
Protect = Annotated[tuple, Context("protect")]
"""Run context: the run's input files (absolute paths), never to be overwritten."""

OPERATOR_MARK = "__imgfusion_operator__"
OPTIONS_MARK = "__imgfusion_options__"
REQUIRED_MARK = inspect.Parameter.empty


def options(cls: type) -> type:
    """Make ``cls`` a frozen dataclass whose fields are flat recipe parameters."""
    if not dataclasses.is_dataclass(cls):
        cls = dataclass(frozen=True)(cls)
    setattr(cls, OPTIONS_MARK, True)
    return cls


def is_options(t: Any) -> bool:
    return isinstance(t, type) and getattr(t, OPTIONS_MARK, False)


def as_options(cls: type, value: Any) -> Any:
    """An option group given whole in a Python call: an instance of ``cls``, or a mapping
    of its fields (ValueError otherwise: never silently the defaults)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"expected a {cls.__name__} or a dict of its fields, got "
                         f"{type(value).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(map(str, value)) - known)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {', '.join(unknown)} "
                         f"(fields: {', '.join(sorted(known))})")
    return cls(**value)


@dataclass
class Declared:
    """A function's declaration, read at run time or from source: what the builder needs."""

    module: str
    function: str
    target: Any                     # the wrapper, or "module:function" (static)
    params: list[tuple[str, bool, Any, Any]]   # (name, positional, annotation, default)
    returns: Any
    doc: str
    settings: dict[str, Any] = field(default_factory=dict)   # name= and the traits

    def where(self, param: str | None = None) -> str:
        at = f"{self.module}.{self.function}"
        return f"{at}, parameter '{param}'" if param else at


def class_hints(cls: type) -> dict[str, Any]:
    """A NamedTuple's or dataclass's field annotations, ``Annotated`` kept."""
    return typing.get_type_hints(cls, include_extras=True)
