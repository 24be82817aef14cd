"""The plugin manager: built-ins, entry points, plugin files, isolation, clashes.

Load order (as pytest documents its own): names in ``IMGFUSION_DISABLE_PLUGINS``
are blocked first, then the built-in operator modules are registered, then the
entry points of the group ``imgfusion``, then plugin files from
``IMGFUSION_PLUGINS`` and from the recipe's ``plugins:``.  Each plugin is
imported and asked for its operators inside its own ``try``: one that fails is
reported (a warning line, and "failed" in ``imgfusion plugins``) and the others
keep working, unless ``strict`` is set or the recipe's ``plugins:`` named it (a
recipe asked for it: an error).  Failing includes raising any exception and
calling ``sys.exit`` (``SystemExit``), while importing or while registering; only
``KeyboardInterrupt`` passes through.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pluggy

from . import hookspecs
from .errors import PluginError, Problem
from .declare import is_operator, read_function
from .executors import ExecutorSpec
from .operators import Operator
from .static_decl import read_module, source_file

# The built-in families, each registered from its own ``plugin.py`` through the
# same hook as third-party plugins (as pytest loads its own plugins).  A new
# family is a package with a ``plugin.py`` and one line here.
BUILTIN_PLUGINS = (
    "imgfusion.io.plugin",
    "imgfusion.layout.plugin",
    "imgfusion.gradient.plugin",
    "imgfusion.style.plugin",
    "imgfusion.masked.plugin",
    "imgfusion.video.plugin",
    "imgfusion.trained.plugin",
    "imgfusion.batch.plugin",
    "imgfusion.workbench.plugin",
)
ENTRY_POINT_GROUP = "imgfusion"


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the other plugins keep working."""


@dataclass
class PluginInfo:
    name: str
    kind: str  # builtin | entrypoint | file
    status: str  # loaded | failed | blocked
    version: str | None = None
    error: str | None = None
    operators: list[str] = field(default_factory=list)
    executors: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "status": self.status,
                "version": self.version, "error": self.error, "operators": self.operators,
                "executors": self.executors}


@dataclass
class Command:
    """A subcommand of ``imgfusion`` that a plugin registers: ``add_parser(subparsers,
    parents)`` adds its argparse parser, ``run(args)`` runs it and returns the exit status."""

    name: str
    add_parser: Callable[..., Any]
    run: Callable[[Any], int]
    source: str = ""


class Registry:
    """The operators of one run, by name, with the plugins they came from."""

    def __init__(self) -> None:
        self.operators: dict[str, Operator] = {}
        self.plugins: list[PluginInfo] = []
        self.executors: dict[str, ExecutorSpec] = {}
        self.commands: dict[str, Command] = {}
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)

    def __contains__(self, name: str) -> bool:
        return name in self.operators

    def __getitem__(self, name: str) -> Operator:
        return self.operators[name]

    def names(self) -> list[str]:
        return sorted(self.operators)

    def add(self, op: Operator, source: str) -> None:
        if not isinstance(op, Operator):
            raise TypeError(f"plugin {source} registered {op!r}, which is not an Operator")
        other = self.operators.get(op.name)
        if other is not None:
            raise PluginError(
                f"operator '{op.name}' is registered twice: by {other.source} and by {source}")
        op = copy.copy(op)  # this registry's record: its source, its resolved function
        op.source = source
        self.operators[op.name] = op

    # -- loading ---------------------------------------------------------------
    def load_plugin(self, name: str, kind: str, importer, strict: bool,
                    version: str | None = None) -> PluginInfo:
        info = PluginInfo(name, kind, "loaded", version)
        self.plugins.append(info)
        if self.pm.is_blocked(name) or (kind == "file" and self.pm.is_blocked(Path(name).stem)):
            info.status = "blocked"
            return info
        try:
            self.pm.register(importer(), name=name)
            self._call_hooks(info)
        except PluginError:
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - isolation is the point
            info.status = "failed"
            info.error = _describe_failure(exc)
            self._forget(info)
            if strict:
                raise PluginError(f"plugin {name} failed to load: {info.error}") from exc
            warnings.warn(f"plugin {name} failed to load: {info.error}",
                          PluginLoadWarning, stacklevel=2)
        return info

    def _register(self, what: Any, info: PluginInfo) -> None:
        """``register(...)`` from a hook: a module path or an ``@operator`` function."""
        if not is_operator(what) and not (isinstance(what, str) and source_file(what)):
            # a failure to register (not a PluginError): warned, as a plugin that raises
            raise TypeError(f"{info.kind} plugin {info.name} registered {what!r}, which is "
                            "not an @operator function or the path of a module with Python "
                            "source")
        for op in operators_of(what):
            self._add_from(op, info)

    def _call_hooks(self, info: PluginInfo) -> None:
        """Ask the plugin ``info.name`` for its operators, executors and commands."""
        hooks = ((self.pm.hook.imgfusion_register_operators,
                  lambda what: self._register(what, info)),
                 (self.pm.hook.imgfusion_register_executors,
                  lambda spec: self._add_executor(spec, info)),
                 (self.pm.hook.imgfusion_register_commands,
                  lambda *a: self._add_command(Command(*a), info)))
        for hook, register in hooks:
            for impl in hook.get_hookimpls():
                if impl.plugin_name == info.name:
                    impl.function(register=register)

    def _forget(self, info: PluginInfo) -> None:
        """Undo what a plugin that failed half-way registered."""
        for table, names in ((self.operators, info.operators), (self.executors, info.executors),
                             (self.commands, info.commands)):
            for n in names:
                table.pop(n, None)
            names.clear()
        if self.pm.get_plugin(info.name) is not None:
            self.pm.unregister(name=info.name)

    def _add_command(self, command: Command, info: PluginInfo) -> None:
        command.source = f"{info.kind} plugin {info.name}"
        other = self.commands.get(command.name)
        if other is not None:
            raise PluginError(f"command '{command.name}' is registered twice: by "
                              f"{other.source} and by {command.source}")
        self.commands[command.name] = command
        info.commands.append(command.name)

    def _add_from(self, op: Operator, info: PluginInfo) -> None:
        self.add(op, f"{info.kind} plugin {info.name}")
        info.operators.append(op.name)

    def _add_executor(self, spec, info: PluginInfo) -> None:
        source = f"{info.kind} plugin {info.name}"
        if not isinstance(spec, ExecutorSpec):
            raise TypeError(f"plugin {source} registered {spec!r}, which is not an ExecutorSpec")
        other = self.executors.get(spec.name)
        if other is not None:
            raise PluginError(f"executor '{spec.name}' is registered twice: by {other.source} "
                              f"and by {source}")
        spec.source = source
        self.executors[spec.name] = spec
        info.executors.append(spec.name)


def operators_of(what: Any) -> list[Operator]:
    """The operators ``register(what)`` means: every ``@operator`` of a module path (read
    from its source, not imported), or one ``@operator`` function (read at run time)."""
    if isinstance(what, str):
        return read_module(what)
    return [read_function(what)]


def family_name(modname: str) -> str:
    """The short name a built-in family is blocked by: "imgfusion.io.plugin" -> "io"."""
    return modname.split(".")[1]


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def _split_env(var: str, sep: str) -> list[str]:
    return [p.strip() for p in os.environ.get(var, "").split(sep) if p.strip()]


def _import_file(path: Path):
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    modname = f"imgfusion_plugin_{path.stem}_{digest}"
    if modname in sys.modules:
        return sys.modules[modname]
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; a plugin is a Python file (.py)")
    if not path.is_file():
        raise FileNotFoundError(f"no plugin file {path}")
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:   # not a Python file: no loader for it
        raise ImportError(f"{path} is not a Python file (.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(modname, None)
        raise
    return module


def _load_builtins(reg: Registry) -> None:
    for modname in BUILTIN_PLUGINS:
        if reg.pm.is_blocked(family_name(modname)):
            reg.pm.set_blocked(modname)
        reg.load_plugin(modname, "builtin",
                        lambda m=modname: importlib.import_module(m), strict=True)


@functools.cache
def builtin_registry() -> Registry:
    """The built-in families' operators, read once: what ``imgfusion.NAME`` looks up.

    Unlike :func:`load_registry` it ignores ``IMGFUSION_DISABLE_PLUGINS``, entry points
    and plugin files: the Python API is the same in every environment.
    """
    reg = Registry()
    _load_builtins(reg)
    return reg


def load_registry(plugin_files: Iterable[str | os.PathLike] = (), *, strict: bool = False,
                  entry_points: bool = True) -> Registry:
    """Build a fresh registry: built-ins, entry points, then plugin files.

    Each call makes a new registry, so a recipe's plugins never leak into
    another run in the same process.  ``plugin_files`` are the recipe's ``plugins:``:
    one that fails to load is an error (PluginError, exit 2) whatever ``strict`` says.
    """
    reg = Registry()
    for name in _split_env("IMGFUSION_DISABLE_PLUGINS", ","):
        reg.pm.set_blocked(name)
    _load_builtins(reg)
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            version = ep.dist.version if ep.dist is not None else None
            reg.load_plugin(ep.name, "entrypoint", ep.load, strict, version)
    named = [(f, strict) for f in _split_env("IMGFUSION_PLUGINS", os.pathsep)]
    for f, must in [*named, *((str(f), True) for f in plugin_files)]:  # a recipe's: must load
        path = Path(f).expanduser().resolve()
        reg.load_plugin(str(path), "file", lambda p=path: _import_file(p), must)
    return reg


def recipe_plugin_files(value: Any, base_dir: Path, problems: list[Problem]) -> list[Path]:
    """The plugin files a recipe's ``plugins:`` names, resolved against its folder."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(None, "plugins", "expected a list of plugin file paths"))
        return []
    files = [(base_dir / v).resolve() for v in value]
    for f in files:
        if f.is_dir():
            problems.append(Problem(None, "plugins", f"{f} is a folder; a plugin is a Python "
                                                     "file (.py)"))
        elif not f.is_file():
            problems.append(Problem(None, "plugins", f"plugin file {str(f)!r} does not exist"))
    return [f for f in files if f.is_file()]
