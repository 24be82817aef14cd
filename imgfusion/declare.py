"""An operator declared by its function: ``@operator`` and the runtime reader.

The typed signature says everything (see ``/README`` "Write your own operator")::

    @operator
    def vignette(image: Image, *, strength: Annotated[float, Range(0, 1)] = 0.5) -> Image:
        '''Fade an image towards black.

        Parameters
        ----------
        strength : how far the corners fade
        '''

:func:`read_function` turns such a function into the :class:`~imgfusion.records.Operator`
record the engine and validation use, through the one builder
(:func:`imgfusion.declare_build.build_operator`) that :mod:`imgfusion.static_decl`
also feeds from the module's source.  The markers live in :mod:`imgfusion.markers`;
all of it is public through :mod:`imgfusion.operators`.
"""
from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Callable

from .declare_build import build_operator
from .markers import OPERATOR_MARK, REQUIRED_MARK, DeclarationError, Declared
from .renames import renamed_kwargs

__all__ = ["DeclarationError", "declared_at_run_time", "is_operator", "operator",
           "read_function"]


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
            op = read_function(wrapper)
            _refuse_missing_inputs(op, raw, args, kwargs)
            return raw(*args, **op.grouped(op.checked(renamed_kwargs(op, kwargs))))
        setattr(wrapper, OPERATOR_MARK, settings)
        return wrapper
    return decorate if func is None else decorate(func)


def _refuse_missing_inputs(op, raw: Callable, args, kwargs) -> None:
    """A required input given as None is a ParameterError naming it (a recipe cannot
    leave it out either): never a default such as the whole source for a missing mask."""
    sig = inspect.signature(raw)
    try:
        given = sig.bind_partial(*args, **kwargs).arguments
    except TypeError:
        return   # Python's own error for a wrong call follows
    for i in op.inputs:   # (a function that defaults an input to None takes None itself)
        if (not i.optional and given.get(i.name, 0) is None
                and sig.parameters[i.name].default is not None):
            from .errors import ParameterError

            raise ParameterError(i.name, f"this {i.kind} input is required, got None")


def is_operator(obj: Any) -> bool:
    return callable(obj) and hasattr(obj, OPERATOR_MARK)


def read_function(wrapper: Callable):
    """The :class:`~imgfusion.records.Operator` an ``@operator`` function declares."""
    cached = wrapper.__dict__.get("_imgfusion_declaration")
    if cached is None:
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
