"""Loading a recipe: read the YAML (safely), apply overrides, load its plugins, validate
every part (plain functions returning problems), plan it, and build the :class:`Recipe`.

Nothing runs until the whole recipe is valid; every problem is reported at once.
"""
from __future__ import annotations

import copy
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import Problem, RecipeError
from ..operators import InputPath, OutputPath
from ..paths import is_sample
from ..plan import MAX_VARIANTS, plan_run
from ..plugins import Registry, load_registry, recipe_plugin_files
from ..renames import renames
from ..yaml_safe import apply_overrides, decode_recipe, read_yaml
from .fields import Where, missing_file, resolved_sweep
from .graph import graph_problems, label_key_problems
from .model import FORMAT_VERSION, Recipe, Step
from .shapes import shape_problems
from .steps import all_steps, step_ids, top_level


def read_source(source: str | os.PathLike | Mapping[str, Any], base_dir=None):
    """``(raw mapping, recipe path or None, the folder its paths are relative to)``: a
    mapping's paths are relative to ``base_dir`` (default: the current folder)."""
    if isinstance(source, Mapping):   # a deep copy: overrides must not change the caller's
        return copy.deepcopy(dict(source)), None, Path(base_dir or Path.cwd()).resolve()
    path = Path(source).resolve()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {str(source)!r}: {exc.strerror}") from None
    raw = read_yaml(decode_recipe(data, str(source)), str(source))
    if not isinstance(raw, dict):
        raise RecipeError(f"a recipe is a mapping with 'imgfusion: {FORMAT_VERSION}' and "
                          f"'steps:', got {type(raw).__name__}")
    return raw, path, path.parent


def input_files(steps: Iterable[Step], path: Path | None, base_dir: Path) -> frozenset[Path]:
    """The files the recipe reads: itself, and every input path (swept ones included)."""
    found = {path} if path is not None else set()
    for s in steps:
        swept = resolved_sweep(s.op, s.sweep, base_dir)
        for p in s.op.params:
            values = [s.params.get(p.name), *swept.get(p.name, ())]
            found.update(Path(v) for v in values
                         if p.type is InputPath and isinstance(v, str) and not is_sample(v))
    return frozenset(found)


def _written_earlier(problems: list[Problem], steps) -> list[Problem]:
    """A missing input file that a step of the recipe writes: say to take that step's
    output instead (inputs must exist before the run starts)."""
    made = {missing_file(s.params[p.name], folder): s for s in steps for p in s.op.params
            if p.type is OutputPath and s.params.get(p.name) is not None
            for folder in (False, True)}
    out = []
    for pr in problems:
        maker = made.get(pr.message)
        if maker is not None:
            pr = Problem(pr.step, pr.field, f"{pr.message}: step {maker.id} writes it, but "
                         "input files must exist before the run starts; take "
                         f"{_made_by(maker)} instead", pr.suggestion)
        out.append(pr)
    return out


def until_problems(source, until: str | None) -> list[Problem]:
    """``--until`` naming no step of the recipe, as a problem (none when unreadable)."""
    try:
        ids = step_ids(read_source(source)[0].get("steps") or [])[0]
    except Exception:  # noqa: BLE001 - the recipe's own problems say why
        return []
    if until is None or until in ids:
        return []
    return [Problem(None, "--until", f"no step {until!r} in the recipe (steps: "
                                     f"{', '.join(ids)})")]


def _made_by(step) -> str:
    """What to refer to instead of the file ``step`` writes: its own result (a trained
    model), or what it saves."""
    kept = [o.name for o in step.op.outputs if o.name not in ("path", "report")]
    if kept:
        return f"${step.id}.{kept[0]}"
    given = next(iter(step.inputs.values()), None)
    return str(given) if given is not None and not isinstance(given, list) else \
        "the step that made it"


def validate(raw: dict, where: Where, path: Path | None, overwrite: bool,
             replaceable: Iterable[Path] = (), until: str | None = None):
    """``(device, seed, planned steps, input files, problems)`` of a parsed recipe (whose
    run stops after step ``until``, when it names one: the later steps write nothing)."""
    device, seed, problems = top_level(raw)
    steps, ids, found = all_steps(raw.get("steps"), where)
    problems += _written_earlier(found, steps)
    files = input_files(steps, path, where.base_dir)
    if not any(p.field == "steps" and p.step is None for p in problems):
        problems += graph_problems(steps, ids)
        steps, found = plan_run(steps, where.max_variants, where.out_dir, files, overwrite,
                                path, replaceable, until)
        told = {(p.step, p.field) for p in problems}   # one problem a field is enough
        problems += found + [p for p in shape_problems(steps) if (p.step, p.field) not in told]
        if not any(str(p.field).startswith("sweep") for p in problems):
            problems += label_key_problems(steps)   # the labels come from sound sweeps
    return device, seed, steps, files, problems


def _forced(step: Step, overwrite: bool) -> Step:
    """``--overwrite`` sets each step's own ``overwrite`` parameter, where it has one."""
    if overwrite and step.op.param("overwrite") is not None:
        return replace(step, params={**step.params, "overwrite": True},
                       given=step.given | {"overwrite"})
    return step


def _renames_of(registry: Registry, entry: dict) -> dict[str, str]:
    """The renamed fields (old -> new) of the operator a step's ``op:`` names."""
    op = entry.get("op")
    return renames(registry[op]) if isinstance(op, str) and op in registry else {}


def load_recipe(source: str | os.PathLike | Mapping[str, Any], *, overrides: Iterable[str] = (),
                out_dir: str | os.PathLike | None = None, device: str | None = None,
                overwrite: bool = False, strict_plugins: bool = False,
                registry: Registry | None = None, max_variants: int = MAX_VARIANTS,
                base_dir: str | os.PathLike | None = None,
                replaceable: Iterable[Path] = (), until: str | None = None) -> Recipe:
    """Read and validate a recipe (a path or an already-parsed mapping, whose paths are
    relative to ``base_dir``, default the current folder).  ``replaceable``: existing
    files the run may write over without ``overwrite`` (the workbench's own outputs);
    ``until``: the run stops after that step, so later steps' files are not checked.

    Raises :class:`RecipeError` listing every problem found.
    """
    raw, path, base_dir = read_source(source, base_dir)
    problems: list[Problem] = []
    plugin_files = recipe_plugin_files(raw.get("plugins"), base_dir, problems)
    if registry is None:
        registry = load_registry(plugin_files, strict=strict_plugins)
    raw_steps = raw.get("steps") if isinstance(raw.get("steps"), list) else []
    problems += apply_overrides(raw, overrides, step_ids(raw_steps)[0],
                                lambda entry: _renames_of(registry, entry))
    if device is not None:
        raw["device"] = device
    out = Path(out_dir).resolve() if out_dir is not None else base_dir
    where = Where(registry, base_dir, out, max_variants)
    dev, seed, steps, files, found = validate(raw, where, path, overwrite, replaceable, until)
    if problems + found:
        raise RecipeError(problems + found)
    steps = tuple(_forced(s, overwrite) for s in steps)
    return Recipe(steps, registry, raw, base_dir, out, path, dev, seed, files)
