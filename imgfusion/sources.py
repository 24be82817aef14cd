"""Module sources read without importing them: the file, its syntax tree, a docstring.

The ground floor under :mod:`imgfusion.static_decl` (which reads declarations) and
:class:`imgfusion.records.Operator` (whose help of an old-way registration named as
``"module:attr"`` is read from source, so ``imgfusion info`` imports no torch or scipy).
It imports nothing of imgfusion.
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


def static_docstring(target: str, depth: int = 4) -> str | None:
    """The docstring of ``"module:name"``, read from the source without importing it.

    Cleaned as :func:`inspect.getdoc` cleans it.  Follows what a module-level
    name is bound to: a ``def`` or ``class``, ``from .mod import name``, or a
    wrapper call such as ``name = with_info(mod.name)`` (a wrapper is assumed to
    keep the docstring, as ``functools.wraps`` does).  None when the chain
    cannot be followed; the caller then imports the function.
    """
    module, _, attr = target.partition(":")
    tree = module_ast(module)
    if tree is None or depth <= 0:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == attr:
            return ast.get_docstring(node)
    follow = _binding(tree, module, attr)
    return None if follow is None else static_docstring(follow, depth - 1)


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
