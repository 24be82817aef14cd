"""Module sources read without importing them: the file and its syntax tree.

The ground floor under :mod:`imgfusion.static_decl` (which reads declarations).  It
imports nothing of imgfusion.
"""
from __future__ import annotations

import ast
import importlib.util


def source_file(module: str) -> str | None:
    """The ``.py`` file of ``module`` (its parent packages are imported to find it)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return spec.origin


def module_ast(module: str) -> ast.Module | None:
    origin = source_file(module)
    if origin is None:
        return None
    try:
        with open(origin, "rb") as fh:
            return ast.parse(fh.read(), filename=origin)
    except (OSError, SyntaxError, ValueError):
        return None
