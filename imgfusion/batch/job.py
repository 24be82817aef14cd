"""Validate a batch once, in the driver, and reduce it to a small picklable job.

The recipe is validated once (:func:`imgfusion.recipe.load_recipe`, every
problem at once: structure, steps, parameters, references, the files it names
itself) without opening any item's file: the first item's paths are bound, but the
operator checks that would read them (``load``'s header probe, a model file's
header) are deferred to the item (:func:`deferring`).  Each worker validates its
item in full, so an unreadable or bad input fails that item alone, in the
manifest, wherever it sorts.  Then the recipe's relative input paths and plugin
files are made absolute, so that a worker anywhere (another process, another
machine sharing the file system) can rebuild the recipe from the dict alone, and
the bound parameters are left out: each item sets them.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import Problem, RecipeError, UsageError, did_you_mean
from ..operators import InputPath, Operator, OutputPath
from ..plugins import Registry, load_registry, recipe_plugin_files
from ..records import resolve_target
from ..renames import renames
from ..recipe import Recipe, load_recipe
from ..yaml_safe import read_yaml, unswept
from .inputs import (Bind, check_out_folder, expand, folder_names, parse_bind, primary,
                     read_marker, zip_binds)

PARTIAL = ".partial"   # per-item work folders inside --out, renamed into place when complete


@dataclass(frozen=True)
class Item:
    index: int
    inputs: tuple[str, ...]   # one absolute path per bind, in bind order
    folder: str               # the item's output folder, relative to --out


@dataclass(frozen=True)
class BatchJob:
    raw: dict[str, Any]               # the validated recipe, absolute paths, binds unset
    binds: tuple[tuple[str, str], ...]
    out: str
    sha: str                          # identifies recipe + binds + overrides
    retries: int = 0
    plugin_files: tuple[str, ...] = ()
    primary: int = 0                  # the bind that names the items
    run: str = ""                     # this run's id (set by run_batch), on its records
    base_dir: str = ""                # the recipe's folder: swept relative paths mean it

    @property
    def bind_keys(self) -> list[str]:
        return [f"{s}.{p}" for s, p in self.binds]

    def recipe_for(self, item: Item) -> dict[str, Any]:
        """The recipe dict with this item's inputs bound."""
        return bind_values(self.raw, self.binds, item.inputs)


def bind_values(raw: dict[str, Any], binds, paths) -> dict[str, Any]:
    """A copy of ``raw`` with each (step, param) of ``binds`` set to its path."""
    raw = copy.deepcopy(raw)
    ids = step_ids(raw["steps"])
    for (step, param), path in zip(binds, paths):
        entry = raw["steps"][ids.index(step)]
        entry[param] = str(path)
        unswept(entry, param)   # a bound parameter is pinned to the item's file, as --set
    return raw


def step_ids(steps: Sequence[Any]) -> list[str]:
    """Step ids as the validator names them (an omitted id is OP + position)."""
    return [e.get("id", f"{e.get('op', 'step')}{n}") if isinstance(e, dict) else f"#{n}"
            for n, e in enumerate(steps, 1)]


def prepare(recipe_path: str | os.PathLike, bind_texts: Sequence[str], out: str | os.PathLike,
            *, overrides: Sequence[str] = (), device: str | None = None, retries: int = 0,
            strict_plugins: bool = False) -> tuple[BatchJob, list[Item], Recipe]:
    """Expand the binds, validate the recipe once, and plan the items."""
    if not bind_texts:
        raise UsageError("give at least one --bind STEP.PARAM=GLOB")
    binds = [parse_bind(t) for t in bind_texts]
    _check_bind_keys(binds, overrides)
    raw = _read(recipe_path)
    _check_bind_steps(raw, binds)
    binds = [expand(b) for b in binds]
    out_dir = Path(out).resolve()
    check_out_folder(out_dir, binds)
    rows = zip_binds(binds)
    probe = out_dir / PARTIAL / "validate"
    first = bind_values(raw, [(b.step, b.param) for b in binds], rows[0])
    with _chdir(Path(recipe_path).resolve().parent):   # relative paths mean the recipe's folder
        registry = load_registry(recipe_plugin_files(raw.get("plugins"), Path.cwd(), []),
                                 strict=strict_plugins)
        recipe = load_recipe(first, overrides=overrides, out_dir=probe, device=device,
                             registry=deferring(registry, {str(p) for p in rows[0]}))
    _check_bound_params(recipe, binds)
    _check_outputs_inside(recipe, probe)
    raw = _portable(recipe, binds)
    sha = hashlib.sha256(json.dumps({"recipe": raw, "binds": [b.key for b in binds]},
                                    sort_keys=True, default=str).encode()).hexdigest()
    lead = primary(binds)
    job = BatchJob(raw, tuple((b.step, b.param) for b in binds), str(out_dir), sha, retries,
                   tuple(raw.get("plugins", ())), lead,
                   base_dir=str(Path(recipe_path).resolve().parent))
    names = folder_names([row[lead] for row in rows], binds[lead].base,
                         _folder_owner(Path(out_dir), lead, sha))
    items = [Item(i, tuple(map(str, row)), name) for i, (row, name) in enumerate(zip(rows, names))]
    return job, items, recipe


def _folder_owner(out_dir: Path, lead: int, sha: str):
    """The primary input an existing item folder of ``out_dir`` was made from by this
    batch (its recipe and binds, ``sha``), by the folder's name."""
    def owner(name: str) -> str | None:
        marker = read_marker(out_dir / name)
        inputs = marker.get("inputs") if marker.get("sha") == sha else None
        return inputs[lead] if isinstance(inputs, list) and len(inputs) > lead else None
    return owner


def deferring(registry: Registry, bound: set[str]) -> Registry:
    """A copy of ``registry`` whose operator checks skip a step given a bound path: what
    they check needs the item's file, so each item's own validation does it."""
    view = copy.copy(registry)
    view.operators = {name: _deferred(op, bound) for name, op in registry.operators.items()}
    return view


def _deferred(op: Operator, bound: set[str]) -> Operator:
    """``op`` whose check and output probe know nothing of a step given a bound path (the
    first item's file must not stand for every item's: its size, its header)."""
    probe = op.traits.get("output_probe")
    if op.check is None and probe is None:
        return op
    check = op.check

    def unbound(params) -> bool:
        return not any(isinstance(v, str) and v in bound for v in params.values())

    deferred = copy.copy(op)
    if check is not None:
        deferred.check = lambda params: check(params) if unbound(params) else []
    if probe is not None:
        deferred.traits = {**op.traits, "output_probe": lambda params, inputs: (
            resolve_target(probe)(params, inputs) if unbound(params) else None)}
    return deferred


def _read(recipe_path) -> dict[str, Any]:
    try:
        raw = read_yaml(Path(recipe_path).read_text(encoding="utf-8"), str(recipe_path))
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {str(recipe_path)!r}: {exc.strerror}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list):
        raise RecipeError(f"{recipe_path}: a recipe is a mapping with 'imgfusion: 1' and "
                          "a list of 'steps:'")
    return raw


@contextlib.contextmanager
def _chdir(folder: Path):
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _check_bind_steps(raw: dict[str, Any], binds: list[Bind]) -> None:
    ids = step_ids(raw["steps"])
    for b in binds:
        if b.step not in ids:
            hint = did_you_mean(b.step, ids)
            raise UsageError(f"--bind {b.key}: the recipe has no step {b.step!r}"
                             + (f" (did you mean '{hint}'?)" if hint else "")
                             + f"; its steps are {', '.join(ids) or 'none'}")


def _check_bound_params(recipe: Recipe, binds: list[Bind]) -> None:
    for b in binds:
        step = recipe.step(b.step)
        if not isinstance(step.params.get(b.param), InputPath):
            files = [p.name for p in step.op.params if p.type is InputPath]
            raise UsageError(f"--bind {b.key}: '{b.param}' of step {b.step} ({step.op.name}) "
                             "is not an input file"
                             + (f"; bind {', '.join(files)}" if files else ""))


def _check_outputs_inside(recipe: Recipe, folder: Path) -> None:
    problems = []
    for s in recipe.steps:
        for p in s.op.params:
            value = s.params.get(p.name)
            if isinstance(value, OutputPath) and folder not in Path(value).parents:
                problems.append(Problem(s.id, p.name, f"{value} is outside the item's output "
                                        "folder, so every item would write it; give a path "
                                        "relative to the output folder"))
    if problems:
        raise RecipeError(problems)


def _check_bind_keys(binds: list[Bind], overrides: Sequence[str]) -> None:
    """Each parameter bound once, and not also given by --set (which the bind would
    silently replace)."""
    keys = [b.key for b in binds]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise UsageError(f"--bind {twice} is given twice; bind each parameter once")
    pinned = {text.partition("=")[0].strip() for text in overrides}
    clash = next((k for k in keys if k in pinned), None)
    if clash is not None:
        raise UsageError(f"--set {clash} and --bind {clash} name one parameter: the bind "
                         "gives each item its value, so drop the --set")


def _portable(recipe: Recipe, binds: list[Bind]) -> dict[str, Any]:
    """The recipe dict with absolute input paths and plugin files, binds removed."""
    raw = copy.deepcopy(recipe.raw)
    bound = {(b.step, b.param) for b in binds}
    for s in recipe.steps:
        entry = raw["steps"][s.index - 1]
        sweep = entry.get("sweep") if isinstance(entry.get("sweep"), dict) else {}
        for old, new in renames(s.op).items():   # each item's recipe takes the new names
            for where in (entry, sweep):
                if old in where:
                    where[new] = where.pop(old)
        for name, value in s.params.items():
            if (s.id, name) in bound:
                entry.pop(name, None)
            elif isinstance(value, InputPath) and name in s.given:
                entry[name] = str(value)
    if raw.get("plugins"):
        raw["plugins"] = [str((recipe.base_dir / f).resolve()) for f in raw["plugins"]]
    return raw
