"""What a validated recipe will do: its sweep variants, the files it writes, and the checks
on those writes.  :mod:`imgfusion.recipe` validates the YAML and then calls :func:`plan_run`,
which returns new steps (it changes none); the engine names each variant's files with
:func:`variant_path`.

A step with ``sweep:`` runs once per combination of its value lists; a step fed by
swept steps runs once per combination of their variants.  :func:`variant_counts`
works the numbers out from the list lengths alone (clamped at 10^18, so that a
chain of sweeps cannot build huge integers), so that a recipe asking for a
million runs is refused in microseconds instead of after building the list.
"""
from __future__ import annotations

import itertools
import math
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import Problem
from .operators import OutputPath
from .records import resolve_target
from .paths import (UnsafePath, confine, file_in_the_way, first_names, names_not_matching,
                    unchanged_partial_writes)

MAX_VARIANTS = 10_000
_CLAMP = 10**18  # counts stop growing here: a chain of sweeps builds no huge integer


def variant_counts(steps: Iterable[Any]) -> dict[str, int]:
    """Step id -> number of variants (exact up to 10^18), in recipe order.

    ``steps`` are :class:`~imgfusion.recipe.model.Step` records with ``sweep`` and
    ``inputs`` filled in; the count follows the engine's expansion: the product
    of the step's own list lengths and of each distinct upstream step's count
    (inputs that take ``many`` images gather all variants and do not multiply).
    """
    counts: dict[str, int] = {}
    for s in steps:
        n = min(math.prod(min(len(v), _CLAMP) for v in s.sweep.values()), _CLAMP)
        seen: set[str] = set()
        for name, value in s.inputs.items():
            if s.op.input(name).many or value.step in seen:
                continue
            seen.add(value.step)
            n = min(n * counts.get(value.step, 1), _CLAMP)
        counts[s.id] = n
    return counts


def too_many(n: int, cap: int) -> str:
    """The message for a step whose sweep exceeds ``cap``."""
    size = "more than 10^18" if n >= _CLAMP else f"{n:,}"
    return (f"the sweep makes {size} variants (the product of the list lengths, times the "
            f"variants of the steps it reads), above the limit of {cap:,}; shorten the lists "
            "or raise the limit with --max-variants")


def _variants(s: Any, planned: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The label dicts of ``s``: its own sweep combinations times its upstream variants
    (a sweep of one value, as ``--set`` pins one, labels what follows it too)."""
    upstream: list[tuple[dict, ...]] = []
    seen = set()
    for name, value in s.inputs.items():
        src = None if s.op.input(name).many else planned.get(value.step)
        if src is not None and src.id not in seen and (len(src.variants) > 1
                                                        or any(src.variants[0])):
            seen.add(src.id)
            upstream.append(src.variants)
    own = [dict(zip(s.sweep, combo)) for combo in itertools.product(*s.sweep.values())]
    combos = itertools.product(*upstream, own or [{}])
    return tuple({k: v for d in combo for k, v in d.items()} for combo in combos)


def expand_variants(steps: list[Any], cap: int) -> tuple[list[Any], list[Problem]]:
    """New steps with their ``variants`` (label dicts), or the problems if over ``cap``."""
    counts = variant_counts(steps)
    over = [Problem(s.id, "sweep", too_many(counts[s.id], cap))
            for s in steps if counts[s.id] > cap]
    if over:
        return list(steps), over
    planned: dict[str, Any] = {}
    for s in steps:
        planned[s.id] = replace(s, variants=_variants(s, planned))
    return list(planned.values()), []


def variant_path(path: str, labels: Mapping[str, Any]) -> str:
    """``out/a.png`` + {"w": 10, "layer": "relu1_1"} -> ``out/a_w-10_layer-relu1_1.png``."""
    if not labels:
        return str(path)
    stem, ext = os.path.splitext(str(path))
    parts = [f"{k}-{_slug(v)}" for k, v in labels.items()]
    return stem + "_" + "_".join(parts) + ext


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = "+".join(map(str, value))
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "x"


def output_path(value: str, out_dir: Path, protect: Iterable[str | os.PathLike] = ()) -> Path:
    """A recipe's output path -> the path under ``out_dir``; UnsafePath says why not.

    Absolute paths, ``~`` and ``..`` components are refused outright, before
    :func:`confine` checks names, lengths, links and protected files.
    """
    text = str(value)
    if "\0" in text:
        raise UnsafePath("the path contains a NUL byte")
    if os.path.isabs(text) or text.startswith("~"):
        raise UnsafePath(f"{text!r} is an absolute path; outputs are written inside the output "
                         f"folder ({out_dir}), so give a path relative to it")
    if ".." in Path(text).parts:
        raise UnsafePath(f"{text!r} climbs out of the output folder with '..'")
    confine(text, out_dir, protect)
    return Path(os.path.normpath(out_dir / text))


def files_at(path: Path) -> set[Path]:
    """The files an output path holds: itself, or a folder's files."""
    if path.is_file():
        return {path}
    return {f for f in path.rglob("*") if f.is_file()} if path.is_dir() else set()


def _clash(path: Path, written: dict[Path, str], overwrite: bool,
           own_flag: bool = True, folder: str | None = None) -> str | None:
    """Why ``path`` may not be written (``folder``: the step replaces a folder there whose
    files it writes are named by that pattern; any other file there is the user's)."""
    if path in written:
        return f"{path} is also written by step '{written[path]}'"
    others = names_not_matching(path, folder) if folder and path.is_dir() else []
    if others:
        return (f"{path} holds files this step does not write ({first_names(others)}); it "
                "replaces the whole folder, so name a new or empty one")
    if (path.is_file() or (folder and path.is_dir())) and not overwrite:
        how = ("set 'overwrite: true' on this step (or run with --overwrite)" if own_flag
               else "run with --overwrite")
        return f"{path} exists; {how} to replace it"
    return None


def _group_attr(step, name: str, attr: str):
    """The option group's ``attr`` entry for its parameter ``name`` (None: none)."""
    for target, names in step.op.groups.values():
        if name in names:
            return getattr(resolve_target(target), attr, {}).get(name)
    return None


def _writes_into(step, name: str) -> str | None:
    """The pattern of the files ``step`` writes into its folder parameter ``name`` (an
    option group's ``writes_into``: the style runs' snapshot_dir)."""
    return _group_attr(step, name, "writes_into")


def _file_in_the_way(path: Path) -> str | None:
    """A file where the path's folder must be (it failed at run time with 'File exists',
    after the recipe's earlier steps had written theirs)."""
    blocked = file_in_the_way(path.parent)
    return None if blocked is None else (f"{blocked} is a file, so {path.name} cannot be "
                                         "written under it; name another folder")


def _folder_problem(step, name: str, path: Path, overwrite: bool) -> str | None:
    """The ``folder_checks`` trait (``{param: "module:function"}``): ``function(path,
    overwrite)`` says what is wrong with the folder a step keeps its state in."""
    target = (step.op.traits.get("folder_checks") or {}).get(name)
    return resolve_target(target)(path, overwrite) if target else None


def _suffix_problem(step, name: str, path: Path) -> str | None:
    """A file written in one format (a PNG plot, a torch checkpoint) under a name whose
    extension says another: the ``suffixes`` of the option group or the operator."""
    allowed = _group_attr(step, name, "suffixes") or \
        (step.op.traits.get("suffixes") or {}).get(name)
    if not allowed or path.suffix.lower() in allowed:
        return None
    return (f"{path.name}: the file written is a {allowed[0]} file, whatever its name; name "
            f"it with {' or '.join(allowed)}")


def _into_clash(step, name: str, path: Path, files: set[Path], overwrite: bool,
                again) -> str | None:
    """Of the ``files`` in the folder ``path``, those the step would write over, not asked
    to."""
    pattern = _writes_into(step, name) if path.is_dir() else None
    ours = {f for f in files if re.fullmatch(pattern, f.name)} if pattern else set()
    if not ours or overwrite or ours <= again:
        return None
    return (f"{path} holds an earlier run's files that this step writes "
            f"({first_names(sorted(f.name for f in ours))}); run with --overwrite to replace "
            "them, or name another folder")


def check_writes(step, written: dict[Path, str], out_dir: Path, protect: Iterable,
                 overwrite: bool, again: frozenset[Path] = frozenset()) -> list[Problem]:
    """The problems of every file a validated step will write, for each of its variants.

    ``written`` maps the paths claimed by earlier steps to their step id (this step's
    paths are added to it); ``again``: existing files this run may replace unasked.
    """
    problems = []
    for p in step.op.params:
        value = step.params.get(p.name)
        if p.type is not OutputPath or value is None:
            continue
        for labels in step.variants:
            path = Path(variant_path(value, labels))
            try:
                output_path(path.relative_to(out_dir), out_dir, protect)
            except (UnsafePath, ValueError) as exc:
                return [*problems, Problem(step.id, p.name, str(exc))]
            mine = files_at(path)
            clash = _clash(path, written, overwrite or bool(mine) and mine <= again,
                           step.op.param("overwrite") is not None,
                           (step.op.traits.get("replaces_folder") or {}).get(p.name))
            clash = clash or _file_in_the_way(path) \
                or _into_clash(step, p.name, path, mine, overwrite, again) \
                or _suffix_problem(step, p.name, path) or _folder_problem(step, p.name, path,
                                                                          overwrite)
            problems += [Problem(step.id, p.name, clash)] if clash else []
            written[path] = step.id
    return problems


def plan_run(steps: list[Any], cap: int, out_dir: Path, protect: Iterable,
             overwrite: bool, recipe_path: Path | None = None,
             replaceable: Iterable[Path] = (), until: str | None = None
             ) -> tuple[list[Any], list[Problem]]:
    """New steps with their variants (refusing more than ``cap``), and every write checked
    (after a run of ``recipe_path`` that stopped at ``--until``, its own files may be
    written again, as may the ``replaceable`` ones: a caller's own earlier outputs).  A run
    to step ``until`` checks the writes of the steps up to it, those that run."""
    planned, problems = expand_variants(steps, cap)
    if problems:
        return planned, problems
    written: dict[Path, str] = {}
    again = unchanged_partial_writes(out_dir, recipe_path) | frozenset(replaceable)
    ids = [s.id for s in planned]
    runs = planned[:ids.index(until) + 1] if until in ids else planned
    for k, s in enumerate(runs):
        forced = overwrite or bool(s.params.get("overwrite", False))
        claimed = set(written)
        problems += check_writes(s, written, out_dir, protect, forced, again)
        mine = set().union(*(files_at(p) for p in set(written) - claimed))
        if mine and mine <= again and s.op.param("overwrite") is not None:
            planned[k] = replace(s, params={**s.params, "overwrite": True})
    return planned, problems
