"""``Range`` and ``options``: the two declaration markers the style options use, until the
core's operator contract (:mod:`imgfusion.operators`) provides them; at that point the
style family imports the core's and this module goes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Bounds of a number, or of every number inside a list: ``lo`` <= v <= ``hi``;
    None leaves that side open."""

    lo: float | None = None
    hi: float | None = None


def options(cls: type) -> type:
    """Mark a frozen dataclass as an option group: its fields are flat recipe parameters."""
    cls.__imgfusion_options__ = True
    return cls
