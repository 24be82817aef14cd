"""Operators read from a module's source (ast), without importing it.

``register("imgfusion.gradient.blending")`` lists, describes and validates the
operators of a module whose imports (torch, scipy) stay unpaid until one runs.
An annotation, default or trait is evaluated here from: the core markers and
``typing`` (imported: both are light), module-level assignments in the same module,
``from X import name`` followed into X's source, and literals with arithmetic on
them.  A NamedTuple or ``@options`` class becomes a stand-in built from its source.
Anything else is a :class:`~imgfusion.markers.DeclarationError` naming module,
function and parameter; such a module registers its functions at run time instead.
The records come from the same builder as the runtime reader's
(:mod:`imgfusion.declare_build`); the source files from :mod:`imgfusion.sources`.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import importlib
import importlib.util
import operator as _op
import os
import typing
from typing import Any

from .decl_cache import cached_records, keep_records
from .declare import operator
from .declare_build import build_operator
from .markers import (OPTIONS_MARK, REQUIRED_MARK, Context, Declared, DeclarationError,
                      Fields, Help, Kind, Range, is_options, options)
from .sources import module_ast, source_file

__all__ = ["read_module", "source_file"]
LIGHT_MODULES = ("typing", "__future__", "imgfusion.markers", "imgfusion.declare",
                 "imgfusion.operators")
BUILTIN_NAMES = ("int", "float", "str", "bool", "bytes", "tuple", "list", "dict", "set",
                 "frozenset", "object", "type")
CALLABLE_MARKERS = (Range, Context, Kind, Fields, Help)
BINARY = {ast.BitOr: _op.or_, ast.Add: _op.add, ast.Sub: _op.sub, ast.Mult: _op.mul,
          ast.Div: _op.truediv, ast.FloorDiv: _op.floordiv, ast.Pow: _op.pow,
          ast.Mod: _op.mod}
UNARY = {ast.USub: _op.neg, ast.UAdd: _op.pos}


class Unreadable(Exception):
    """An expression this reader cannot evaluate; the caller names where it was."""


@dataclasses.dataclass(frozen=True)
class ModuleRef:
    """``import X`` seen in a source: attributes are read from X's source in turn."""

    name: str


def read_module(module: str) -> list:
    """Every ``@operator`` function of ``module``, as Operator records, from its source.

    Kept between runs by :mod:`imgfusion.decl_cache` until a file the reading followed
    changes.
    """
    origin = source_file(module)
    cached = None if origin is None else cached_records(module, origin)
    if cached is not None:
        return cached
    reader = reader_for(module)
    ops = [build_operator(reader.declared(node)) for node in reader.operator_defs()]
    keep_records(module, origin, ops, files_read(module))
    return ops


def files_read(module: str) -> list[str]:
    """The source files reading ``module`` followed: its own and those it took names from."""
    seen, todo, files = set(), [module], []
    while todo:
        name = todo.pop()
        origin = None if name in seen or is_light(name) else source_file(name)
        seen.add(name)
        if origin is not None:
            files.append(origin)
            todo.extend(reader_for(name).deps)
    return files


_READERS: dict[tuple, "SourceReader"] = {}   # by module, file and its modification time


def reader_for(module: str) -> "SourceReader":
    origin = source_file(module)
    key = (module, origin, os.stat(origin).st_mtime_ns if origin else None)
    if key not in _READERS:
        tree = module_ast(module)
        if tree is None:
            raise DeclarationError(f"cannot read the source of module {module!r}")
        _READERS[key] = SourceReader(module, tree)
    return _READERS[key]


class SourceReader:
    """One module's source: its module-level bindings, evaluated on demand."""

    def __init__(self, module: str, tree: ast.Module):
        self.module = module
        self.is_package = module_ast_is_package(module)
        self.tree = tree
        self.bindings: dict[str, ast.AST] = {}
        self.values: dict[str, Any] = {}
        self.deps: set[str] = set()        # modules whose source gave a name
        for node in tree.body:
            for name in bound_names(node):
                self.bindings[name] = node

    # -- operators -------------------------------------------------------------
    def operator_defs(self) -> list[ast.FunctionDef]:
        return [n for n in self.tree.body if isinstance(n, ast.FunctionDef)
                and self.operator_settings(n) is not None]

    def operator_settings(self, fn: ast.FunctionDef) -> dict | None:
        for deco in fn.decorator_list:
            call = deco if isinstance(deco, ast.Call) else None
            try:
                target = self.eval(call.func if call else deco)
            except Unreadable:
                continue
            if target is operator:
                return {} if call is None else self.settings(fn, call)
        return None

    def settings(self, fn: ast.FunctionDef, call: ast.Call) -> dict:
        if call.args:
            raise DeclarationError(f"{self.module}.{fn.name}: @operator(...) takes keywords")
        return {kw.arg: self.checked_eval(kw.value, fn.name, f"trait '{kw.arg}'")
                for kw in call.keywords}

    def declared(self, fn: ast.FunctionDef) -> Declared:
        args = fn.args
        if args.vararg or args.kwarg:
            raise DeclarationError(f"{self.module}.{fn.name}: *args and **kwargs cannot be "
                                   "declared; name every parameter")
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = [self.param(fn, a, d, True) for a, d in zip(positional, defaults)]
        params += [self.param(fn, a, d, False) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
        returns = REQUIRED_MARK if fn.returns is None else \
            self.checked_eval(fn.returns, fn.name, "return annotation")
        return Declared(self.module, fn.name, f"{self.module}:{fn.name}", params, returns,
                        ast.get_docstring(fn) or "", self.operator_settings(fn))

    def param(self, fn, arg: ast.arg, default, positional: bool) -> tuple:
        where = f"parameter '{arg.arg}'"
        ann = REQUIRED_MARK if arg.annotation is None else \
            self.checked_eval(arg.annotation, fn.name, where)
        value = REQUIRED_MARK if default is None else self.checked_eval(default, fn.name, where)
        return arg.arg, positional, ann, value

    def checked_eval(self, node: ast.AST, function: str, where: str) -> Any:
        try:
            return self.eval(node)
        except Unreadable as exc:
            raise DeclarationError(
                f"{self.module}.{function}, {where}: {ast.unparse(node)!r} is not statically "
                f"readable ({exc}); register this function at run time instead") from None

    # -- names -----------------------------------------------------------------
    def value(self, name: str) -> Any:
        if name not in self.values:
            node = self.bindings.get(name)
            if node is None:
                if name in BUILTIN_NAMES or name in ("None", "True", "False"):
                    return getattr(builtins, name)
                raise Unreadable(f"'{name}' is not a module-level name of {self.module}")
            self.values[name] = self.binding_value(name, node)
        return self.values[name]

    def binding_value(self, name: str, node: ast.AST) -> Any:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            return self.eval(node.value)
        if isinstance(node, ast.ImportFrom):
            return self.imported(node, name)
        if isinstance(node, ast.Import):
            alias = next(a for a in node.names if (a.asname or a.name.split(".")[0]) == name)
            return ModuleRef(alias.name if alias.asname else alias.name.split(".")[0])
        if isinstance(node, ast.FunctionDef):
            return f"{self.module}:{name}"    # a reference, e.g. a check trait
        if isinstance(node, ast.ClassDef):
            return self.stand_in(node)
        raise Unreadable(f"'{name}' is bound by a {type(node).__name__}")

    def imported(self, node: ast.ImportFrom, name: str) -> Any:
        alias = next(a for a in node.names if (a.asname or a.name) == name)
        source = absolute(self.module, self.is_package, node.module, node.level)
        self.deps.add(source)
        return attribute_of(source, alias.name)

    # -- classes -----------------------------------------------------------------
    def stand_in(self, node: ast.ClassDef) -> type:
        fields = [(s.target.id, self.eval(s.annotation), s.value) for s in node.body
                  if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        doc = ast.get_docstring(node)
        bases = [self.eval(b) for b in node.bases]
        if typing.NamedTuple in bases:
            cls = typing.NamedTuple(node.name, [(n, t) for n, t, _ in fields])
        elif any(self.eval(d) is options for d in node.decorator_list):
            cls = self.options_stand_in(node.name, fields)
        else:
            raise Unreadable(f"class {node.name} is neither a NamedTuple nor @options")
        cls.__doc__, cls.__module__ = doc, self.module
        return cls

    def options_stand_in(self, name: str, fields: list) -> type:
        spec = [(n, t) if v is None else (n, t, dataclasses.field(default=self.eval(v)))
                for n, t, v in fields]
        cls = dataclasses.make_dataclass(name, spec, frozen=True)
        setattr(cls, OPTIONS_MARK, True)
        cls.__imgfusion_target__ = f"{self.module}:{name}"
        return cls

    # -- expressions -------------------------------------------------------------
    def eval(self, node: ast.AST) -> Any:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            raise Unreadable(f"a {type(node).__name__} expression")
        return method(node)

    def eval_Constant(self, node):
        return node.value

    def eval_Name(self, node):
        return self.value(node.id)

    def eval_Attribute(self, node):
        owner = self.eval(node.value)
        if isinstance(owner, ModuleRef):
            self.deps.add(owner.name)
            return attribute_of(owner.name, node.attr)
        raise Unreadable(f"attribute '{node.attr}' of a non-module")

    def eval_Subscript(self, node):
        return self.eval(node.value)[self.eval(node.slice)]

    def eval_Tuple(self, node):
        return tuple(self.eval(e) for e in node.elts)

    def eval_List(self, node):
        return [self.eval(e) for e in node.elts]

    def eval_Dict(self, node):
        return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}

    def eval_BinOp(self, node):
        fn = BINARY.get(type(node.op))
        if fn is None:
            raise Unreadable(f"the operator {type(node.op).__name__}")
        return fn(self.eval(node.left), self.eval(node.right))

    def eval_UnaryOp(self, node):
        fn = UNARY.get(type(node.op))
        if fn is None:
            raise Unreadable(f"the operator {type(node.op).__name__}")
        return fn(self.eval(node.operand))

    def eval_Call(self, node):
        func = self.eval(node.func)
        if func not in CALLABLE_MARKERS and not is_options(func):
            raise Unreadable("a call of anything but Range, Context, Fields, Help or an "
                             "@options class")
        return func(*[self.eval(a) for a in node.args],
                    **{k.arg: self.eval(k.value) for k in node.keywords})


def bound_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    if isinstance(node, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    return []


def absolute(module: str, is_package: bool, name: str | None, level: int) -> str:
    """The absolute module a ``from ...name import`` in ``module`` means."""
    if not level:
        return name or ""
    parts = module.split(".")
    base = parts[:len(parts) - level + (1 if is_package else 0)]
    return ".".join(base + ([name] if name else []))


def module_ast_is_package(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return bool(spec and spec.submodule_search_locations is not None)


def is_light(module: str) -> bool:
    """Imported to read a name from (the core markers, typing), not read from source."""
    return module in LIGHT_MODULES or module.startswith("typing")


def attribute_of(module: str, name: str) -> Any:
    """``module.name``: imported for the light core and typing, else read from source
    (``imgfusion.Video`` and the package's other helpers: from the module that has them)."""
    if is_light(module):
        return getattr(importlib.import_module(module), name)
    if module == "imgfusion":
        from . import _HELPERS   # the package's names that are not operators
        if name in _HELPERS:
            return getattr(importlib.import_module(_HELPERS[name]), name)
    return reader_for(module).value(name)
