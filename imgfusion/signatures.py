"""An operator's registration checked against its function's signature, and forwarded
keyword parameters made visible in a function's signature.

The declarations (:class:`~imgfusion.operators.Param`) carry what a signature cannot
say (types for YAML, ranges, help), so they stay; :func:`signature_problems` is what
keeps the two from drifting: every declared input, parameter and context name is a
real parameter of the function, with the same default.  ``tests/core/test_contract.py``
holds every registered operator to it.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable

_EMPTY = inspect.Parameter.empty


def _same(declared: Any, actual: Any) -> bool:
    if isinstance(declared, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(declared) == len(actual) and all(map(_same, declared, actual))
    if isinstance(declared, dict) and isinstance(actual, dict):
        return declared.keys() == actual.keys() and all(
            _same(declared[k], actual[k]) for k in declared)
    return type(declared) is type(actual) and declared == actual or (
        isinstance(declared, (int, float)) and isinstance(actual, (int, float))
        and not isinstance(declared, bool) and not isinstance(actual, bool)
        and declared == actual)


def signature_problems(op) -> list[str]:
    """What in ``op``'s registration disagrees with its function's signature."""
    params = inspect.signature(op.function).parameters
    found = []
    names = [i.name for i in op.inputs] + list(op.context)
    for name in names:
        if name not in params:
            found.append(f"{op.name}: '{name}' is not a parameter of {_where(op)}")
    for p in op.params:
        actual = params.get(p.name)
        if actual is None:
            found.append(f"{op.name}: parameter '{p.name}' is not a parameter of {_where(op)}")
        elif p.required != (actual.default is _EMPTY):
            found.append(f"{op.name}: '{p.name}' is {'required' if p.required else 'optional'} "
                         f"in the registration but not in {_where(op)}")
        elif not p.required and not _same(p.default, actual.default):
            found.append(f"{op.name}: '{p.name}' defaults to {p.default!r} in the "
                         f"registration but to {actual.default!r} in {_where(op)}")
    return found


def _where(op) -> str:
    f = op.function
    return f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', f)}"


def forwards(target: Callable, *, exclude: Iterable[str] = (),
             defaults: dict[str, Any] | None = None):
    """Give the decorated function (which takes ``**kwargs`` for ``target``) a signature
    that lists ``target``'s keyword-only parameters it forwards, so that ``help()``,
    ``inspect.signature`` and the registration check see them.

    ``exclude`` names the parameters the function sets itself; ``defaults`` those
    whose default it changes (it must then apply them, as it does its own).
    """
    def decorate(func: Callable) -> Callable:
        own = inspect.signature(func)
        kept = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
        taken = {p.name for p in kept} | set(exclude)
        extra = [p.replace(default=(defaults or {}).get(p.name, p.default))
                 for p in inspect.signature(target).parameters.values()
                 if p.kind is p.KEYWORD_ONLY and p.name not in taken]
        func.__signature__ = own.replace(parameters=kept + extra)
        return func
    return decorate
