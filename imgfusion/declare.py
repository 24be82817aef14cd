"""An operator declared by its function: the markers, ``@operator`` and the runtime reader.

The typed signature says everything (see ``/README`` "Write your own operator")::

    @operator
    def vignette(image: Image, *, strength: Annotated[float, Range(0, 1)] = 0.5) -> Image:
        '''Fade an image towards black.

        Parameters
        ----------
        strength : how far the corners fade
        '''

:func:`read_function` turns such a function into the :class:`~imgfusion.operators.Operator`
record the engine and validation use; :mod:`imgfusion.static_decl` builds the same
record from the module's source without importing it.  Both hand a :class:`Declared`
to :func:`imgfusion.declare_build.build_operator`.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable

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
class Kind:
    """Marks what an input or output is: image, mask, images, video, value or data."""

    name: str


Image = Annotated[Any, Kind("image")]
"""An image input or output: float32 H x W x C in [0, 1] (an input mapped over a video's frames)."""
Mask = Annotated[Any, Kind("mask")]
"""A mask input or output: H x W, bool or float alpha in [0, 1]."""
Images = Annotated[list, Kind("images")]
"""An input taking a list of images (``$a`` or ``[$a, $b]``; a sweep's results)."""
Video = Annotated[Any, Kind("video")]
"""A video input or output, taken whole (not mapped per frame)."""
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


def operator(func: Callable | None = None, /, *, name: str | None = None, **traits: Any):
    """Declare ``func`` an imgfusion operator (``@operator`` or ``@operator(name=..., ...)``).

    The returned wrapper checks the keyword parameters as the engine does (a
    :class:`~imgfusion.errors.ParameterError` naming the field) and calls ``func``;
    ``wrapper.__wrapped__`` is ``func``.  Keyword arguments other than ``name`` are
    stored verbatim in ``Operator.traits``.
    """
    settings = dict(traits, **({"name": name} if name else {}))

    def decorate(raw: Callable) -> Callable:
        @functools.wraps(raw)
        def wrapper(*args, **kwargs):
            return raw(*args, **read_function(wrapper).checked(kwargs))
        setattr(wrapper, OPERATOR_MARK, settings)
        return wrapper
    return decorate if func is None else decorate(func)


def is_operator(obj: Any) -> bool:
    return callable(obj) and hasattr(obj, OPERATOR_MARK)


def read_function(wrapper: Callable):
    """The :class:`~imgfusion.operators.Operator` an ``@operator`` function declares."""
    cached = wrapper.__dict__.get("_imgfusion_declaration")
    if cached is None:
        from .declare_build import build_operator

        cached = build_operator(declared_at_run_time(wrapper))
        wrapper._imgfusion_declaration = cached
    return cached


def declared_at_run_time(wrapper: Callable) -> Declared:
    if not is_operator(wrapper):
        raise DeclarationError(f"{wrapper!r} is not decorated with @operator")
    raw = wrapper.__wrapped__
    where = f"{raw.__module__}.{raw.__qualname__}"
    try:
        hints = typing.get_type_hints(raw, include_extras=True)
    except Exception as exc:  # noqa: BLE001 - any failure is a declaration problem
        raise DeclarationError(f"{where}: cannot resolve its annotations: {exc}") from None
    params = [(p.name, p.kind is not p.KEYWORD_ONLY, hints.get(p.name, REQUIRED_MARK),
               p.default) for p in inspect.signature(raw).parameters.values()]
    return Declared(raw.__module__, raw.__name__, wrapper, params,
                    hints.get("return", REQUIRED_MARK), inspect.getdoc(raw) or "",
                    dict(getattr(wrapper, OPERATOR_MARK)))


def class_hints(cls: type) -> dict[str, Any]:
    """A NamedTuple's or dataclass's field annotations, ``Annotated`` kept."""
    return typing.get_type_hints(cls, include_extras=True)
