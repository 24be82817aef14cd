"""Validation of a recipe's top level and of each step: plain functions returning problems.

Each function returns what it read and the list of :class:`~imgfusion.errors.Problem`
it found; :func:`imgfusion.recipe.load.load_recipe` gathers them all before refusing.
"""
from __future__ import annotations

from typing import Any

from ..errors import Problem, did_you_mean
from ..limits import check_with_sweep, run_check, seed_problem
from ..operators import Operator
from ..records import as_problems, resolve_target
from ..renames import renamed_entry
from . import fields
from .fields import Where
from .model import DEVICE_PATTERN, FORMAT_VERSION, ID_PATTERN, STEP_KEYS, TOP_LEVEL_KEYS, Step


def _version_problems(version: Any) -> list[Problem]:
    if version is None:
        return [Problem(None, "imgfusion", "missing the format version; start the recipe "
                                           f"with 'imgfusion: {FORMAT_VERSION}'")]
    if version != FORMAT_VERSION:
        return [Problem(None, "imgfusion", f"format version {version!r} is not supported "
                                           f"(this imgfusion reads version {FORMAT_VERSION})")]
    return []


def device_problems(sid: str | None, device: Any) -> list[Problem]:
    if isinstance(device, str) and DEVICE_PATTERN.match(device):
        return []
    return [Problem(sid, "device", f"{device!r} is not auto, cpu, mps, cuda or cuda:N")]


def _seed_problems(sid: str | None, seed: Any) -> list[Problem]:
    message = seed_problem(seed)
    return [Problem(sid, "seed", message)] if message else []


def top_level(raw: dict) -> tuple[Any, Any, list[Problem]]:
    """``(device, seed, problems)`` of the recipe's top-level keys."""
    problems = [Problem(None, str(key), "unknown top-level key", did_you_mean(key, TOP_LEVEL_KEYS))
                for key in raw if key not in TOP_LEVEL_KEYS]
    problems += _version_problems(raw.get("imgfusion"))
    device, seed = raw.get("device", "auto"), raw.get("seed", 0)
    problems += device_problems(None, device) + _seed_problems(None, seed)
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(Problem(None, "steps", "expected a non-empty list of steps"))
    return device, seed, problems


def _step_id(n: int, entry: Any, ids: list[str]) -> tuple[str, list[Problem]]:
    if not isinstance(entry, dict):
        return f"#{n}", [Problem(f"#{n}", None, "a step must be a mapping with 'op:' and its "
                                                f"parameters, got {type(entry).__name__} {entry!r}")]
    op = entry.get("op")
    sid = entry.get("id", f"{op if isinstance(op, str) else 'step'}{n}")
    if not isinstance(sid, str) or not ID_PATTERN.match(sid):
        return f"#{n}", [Problem(f"#{n}", "id", f"{sid!r} is not a valid id (letters, digits, "
                                                "_ and -, not starting with a digit)")]
    if sid in ids:
        return sid, [Problem(sid, "id", f"duplicate id: step #{ids.index(sid) + 1} has it too")]
    return sid, []


def step_ids(raw_steps: list) -> tuple[list[str], list[Problem]]:
    """Each step's id (given, or op name + position; ``#n`` when unusable)."""
    ids: list[str] = []
    problems: list[Problem] = []
    for n, entry in enumerate(raw_steps, 1):
        sid, found = _step_id(n, entry, ids)
        ids.append(sid)
        problems += found
    return ids, problems


def step_operator(sid: str, entry: dict, where: Where) -> tuple[Operator | None, list]:
    """The registered operator the step's ``op:`` names."""
    name = entry.get("op")
    if name is None:
        return None, [Problem(sid, "op", "missing 'op:' (the operator to run)")]
    if not isinstance(name, str):
        return None, [Problem(sid, "op", f"expected an operator name (a string), got "
                                         f"{type(name).__name__} {name!r}")]
    if name not in where.registry:
        hint = did_you_mean(name, where.registry.names())
        blocked = [p.name for p in where.registry.plugins if p.status in ("blocked", "failed")]
        why = f" (plugins not loaded: {', '.join(blocked)})" if blocked and not hint else ""
        return None, [Problem(sid, "op", f"unknown operator {name!r}{why}", hint)]
    return where.registry[name], []


def unknown_keys(sid: str, op: Operator, entry: dict) -> list[Problem]:
    known = [*STEP_KEYS, *(i.name for i in op.inputs), *(p.name for p in op.params)]
    return [Problem(sid, str(key), f"unknown parameter of {op.name}", did_you_mean(key, known))
            for key in entry if key not in known]


def _own_check(sid: str, op: Operator, params: dict, sweep: dict, where: Where) -> list:
    """The operator's ``check`` (file headers, formats ...), once per swept value."""
    swept = fields.resolved_sweep(op, sweep, where.base_dir)
    return [Problem(sid, fld, message) for fld, message in run_check(op, params, swept)]


def _group_checks(sid: str, op: Operator, params: dict, given, sweep: dict) -> list:
    """Each option group's ``check_fields`` (fields that must agree, such as a placement's
    scale and fit), when the step sets one of the group's fields."""
    problems = []
    for target, names in op.groups.values():
        if set(names).isdisjoint(set(given) | set(sweep)):
            continue
        check = getattr(resolve_target(target), "check_fields", None)
        if check is not None:
            problems += [Problem(sid, fld, message) for fld, message
                         in check_with_sweep(as_problems(check), params, sweep)]
    return problems


def _group_resolve(op: Operator, params: dict, given: set) -> tuple[dict, list]:
    """Each option group's ``resolve_fields(params, given)``: values a group derives from
    others (a quality preset's) written into the fields the step leaves out."""
    found = []
    for target, _ in op.groups.values():
        resolve = getattr(resolve_target(target), "resolve_fields", None)
        if resolve is not None:
            params, more = resolve(params, given)
            found += more
    return params, found


def _gives(name: str, inputs: dict, params: dict, sweep: dict) -> bool:
    """The step gives the field ``name``: as an input, a parameter or a sweep."""
    return inputs.get(name) is not None or params.get(name) is not None or name in sweep


def needs_one_problems(sid: str, op: Operator, inputs: dict, params: dict,
                       sweep: dict) -> list[Problem]:
    """The ``needs_one`` trait (``{field: what it is}``, or a tuple of them): the step
    gives at least one field of each, as an input, a parameter or a sweep (a model, or
    its file)."""
    groups = op.traits.get("needs_one") or ()
    problems = []
    for wanted in (groups,) if isinstance(groups, dict) else groups:
        if not any(_gives(n, inputs, params, sweep) for n in wanted):
            listed = " or ".join(f"{n} ({what})" for n, what in wanted.items())
            problems.append(Problem(sid, next(iter(wanted)), f"{op.name} needs {listed}"))
    return problems


def not_both_problems(sid: str, op: Operator, inputs: dict, params: dict,
                      sweep: dict) -> list[Problem]:
    """The ``not_both`` trait (pairs of fields): a step gives one of each pair at most (a
    model as an input or as a file)."""
    problems = []
    for first, second in op.traits.get("not_both") or ():
        if all(_gives(n, inputs, params, sweep) for n in (first, second)):
            problems.append(Problem(sid, second, f"give {first} or {second}, not both"))
    return problems


def goes_with_problems(sid: str, op: Operator, inputs: dict, params: dict,
                       sweep: dict) -> list[Problem]:
    """The ``goes_with`` trait (``{input: (field, value)}``): the step gives the input
    exactly when the field has that value (``init: image`` and an ``init_image``); a
    swept field is the run's to check."""
    problems = []
    for name, (field, value) in (op.traits.get("goes_with") or {}).items():
        given, chosen = inputs.get(name) is not None, params.get(field) == value
        if field not in sweep and given != chosen:
            problems.append(Problem(sid, field, f"an {name} is given: set {field}: {value} "
                                                "to use it, or remove it") if given else
                            Problem(sid, name, f"{field}: {value} needs an {name}"))
    return problems


def one_step(n: int, sid: str, entry: dict, ids: list[str], where: Where):
    """``(Step or None, problems)`` for the step at position ``n`` (1-based)."""
    op, problems = step_operator(sid, entry, where)
    if op is None:
        return None, problems
    entry, found = renamed_entry(sid, op, entry)
    problems += found + unknown_keys(sid, op, entry)
    inputs, found = fields.step_inputs(n, sid, op, entry, ids)
    params, given, found_params = fields.step_params(sid, op, entry, where)
    sweep, found_sweep = fields.step_sweep(sid, op, entry.get("sweep"), where)
    found_sweep += [Problem(sid, name, "given both as a value and in sweep, which would "
                                       "replace the value: keep one")
                    for name in sweep if name in entry]
    problems += found + found_params + found_sweep
    device, seed = entry.get("device"), entry.get("seed")
    problems += [] if device is None else device_problems(sid, device)
    problems += [] if seed is None else _seed_problems(sid, seed)
    if not problems:
        params, found = _group_resolve(op, params, set(given) | set(sweep))
        problems += [Problem(sid, fld, message) for fld, message in found]
        problems += _group_checks(sid, op, params, given, sweep)
        problems += needs_one_problems(sid, op, inputs, params, sweep)
        problems += goes_with_problems(sid, op, inputs, params, sweep)
        problems += not_both_problems(sid, op, inputs, params, sweep)
    if op.check is not None and not problems:
        problems += _own_check(sid, op, params, sweep, where)
    return Step(sid, n, op, inputs, params, given, sweep, device, seed), problems


def all_steps(raw_steps: Any, where: Where) -> tuple[list[Step], list[str], list[Problem]]:
    """``(steps, ids, problems)``: every mapping step validated, in order."""
    if not isinstance(raw_steps, list):
        return [], [], []
    ids, problems = step_ids(raw_steps)
    steps = []
    for n, entry in enumerate(raw_steps, 1):
        if isinstance(entry, dict):
            step, found = one_step(n, ids[n - 1], entry, ids, where)
            problems += found
            steps += [step] if step is not None else []
    return steps, ids, problems
