"""Fields an operator has renamed: the old name keeps working, with a warning.

An operator declares ``@operator(renamed={"old_name": "new_name"})``.  A recipe step or
a Python call that gives ``old_name`` gets ``new_name`` (also as a ``sweep`` key), and a
:class:`RenamedFieldWarning` says what to write instead; giving both names is an error
naming the old one.  So a field can take the project's usual name without breaking the
recipes people wrote.
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

from .errors import ParameterError, Problem
from .markers import DeclarationError

__all__ = ["RenamedFieldWarning", "check_renames", "renamed_entry", "renamed_kwargs"]


class RenamedFieldWarning(FutureWarning):
    """A recipe or call used a field's old name; it still works, under its new name."""


def renames(op) -> dict[str, str]:
    """``{old name: new name}`` of ``op``'s renamed fields."""
    return dict(op.traits.get("renamed") or {})


def check_renames(name: str, renamed: Any, fields: list[str]) -> None:
    """A :class:`DeclarationError` unless ``renamed`` maps names no field has to fields."""
    if not isinstance(renamed, Mapping):
        raise DeclarationError(f"{name}: renamed must map old names to fields, got "
                               f"{renamed!r}")
    for old, new in renamed.items():
        if new not in fields or old in fields:
            raise DeclarationError(f"{name}: renamed {old!r} -> {new!r} must name a field "
                                   "as it is now, from a name no field has")


def _renamed(op, given: Mapping[str, Any], where: str) -> tuple[dict, list[tuple[str, str]]]:
    """``given`` with old names replaced, and (old, message) for each old name given
    beside its new one."""
    out, clashes = dict(given), []
    for old, new in renames(op).items():
        if old not in given:
            continue
        if new in given:
            clashes.append((old, f"'{old}' is the old name of '{new}'; give '{new}' only"))
            del out[old]
            continue
        out[new] = out.pop(old)
        warnings.warn(f"{where}'{old}' is now called '{new}' ({op.name}); the old name "
                      f"still works, but write '{new}'", RenamedFieldWarning, stacklevel=4)
    return out, clashes


def renamed_entry(sid: str, op, entry: dict) -> tuple[dict, list[Problem]]:
    """A recipe step's mapping with its old field names (and old ``sweep`` keys)
    replaced, and a problem for each field given under both names."""
    if not renames(op):
        return entry, []
    out, clashes = _renamed(op, entry, f"step '{sid}': ")
    sweep = out.get("sweep")
    if isinstance(sweep, dict):
        out["sweep"], more = _renamed(op, sweep, f"step '{sid}', sweep: ")
        clashes += more
    return out, [Problem(sid, old, message) for old, message in clashes]


def renamed_kwargs(op, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A Python call's keyword arguments with old field names replaced
    (:class:`ParameterError` for a field given under both names)."""
    if not renames(op):
        return dict(kwargs)
    out, clashes = _renamed(op, kwargs, "")
    if clashes:
        raise ParameterError(*clashes[0])
    return out
