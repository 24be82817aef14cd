"""Validation of one step's fields: its inputs (references), parameters and sweep.

Plain functions: each returns its result and the list of :class:`~imgfusion.errors.Problem`
it found (empty when the field is fine), so that a recipe's problems are all reported
at once.  A refused value is :data:`BAD` (its problem is in the list).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import Problem, did_you_mean
from ..operators import Input, InputPath, Operator, OutputPath, Param
from ..paths import UnsafePath, is_sample
from ..plan import MAX_VARIANTS, output_path, too_many
from ..plugins import Registry
from .model import REF_PATTERN, Ref

BAD = object()  # a value refused by validation (its problem is already reported)


@dataclass(frozen=True)
class Where:
    """What validating a field needs to know about the run."""

    registry: Registry
    base_dir: Path
    out_dir: Path
    max_variants: int = MAX_VARIANTS


YAML_WORDS = {False: ("off", "no", "false"), True: ("on", "yes", "true")}


def yaml_word(p: Param, value: Any) -> Any:
    """YAML reads off, on, yes and no as booleans: given to a choice of words that has
    one of them, a boolean is that word (``anchor: off``, unquoted)."""
    if isinstance(value, bool) and p.choices and not any(isinstance(c, bool)
                                                         for c in p.choices):
        words = [w for w in YAML_WORDS[value] if w in p.choices]
        if len(words) != 1:
            raise ValueError(f"YAML reads {'/'.join(YAML_WORDS[value][:2])} unquoted as the "
                             f"boolean {str(value).lower()}; give one of "
                             f"{', '.join(map(repr, p.choices))}")
        return words[0]
    return value


def convert(sid: str, p: Param, value: Any, where: Where) -> tuple[Any, list[Problem]]:
    """``value`` checked against ``p``'s type, range and choices; paths resolved."""
    try:
        out = p.convert(yaml_word(p, value))
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        message = str(exc) if isinstance(exc, ValueError) \
            else f"expected {p.type_name()}, got {type(value).__name__}"
        return BAD, [Problem(sid, p.name, message)]
    if isinstance(out, InputPath):
        return input_path(sid, p, out, where.base_dir)
    if isinstance(out, OutputPath):
        try:
            return OutputPath(output_path(out, where.out_dir)), []
        except UnsafePath as exc:
            return BAD, [Problem(sid, p.name, str(exc))]
    return out, []


def missing_file(path, folder: bool = False) -> str:
    """The problem's text for an input file (or ``folder``) that is not there."""
    return f"input {'folder' if folder else 'file'} {str(path)!r} does not exist"


def input_path(sid: str, p: Param, value: InputPath, base_dir: Path) -> tuple[Any, list]:
    """An existing file, resolved against the recipe's folder (``sample:NAME`` as is)."""
    if is_sample(value):
        return value, []
    try:
        path = (base_dir / os.path.expanduser(value)).resolve()
        exists = path.exists()
    except (OSError, ValueError) as exc:  # NUL byte, name too long, ...
        return BAD, [Problem(sid, p.name, f"cannot use {value[:80]!r} as a file name: "
                                          f"{getattr(exc, 'strerror', None) or exc}")]
    if not exists:
        return BAD, [Problem(sid, p.name, missing_file(path, p.name.endswith("_dir")))]
    return InputPath(path), []


def parse_ref(sid: str, inp: Input, value: Any, ids: list[str]) -> tuple[Ref | None, list]:
    """``$id`` or ``$id.OUTPUT`` naming an existing step other than this one."""
    m = REF_PATTERN.match(value) if isinstance(value, str) else None
    if m is None:
        return None, [Problem(sid, inp.name, f"expected a reference to an earlier step such "
                                             f"as $photo or $photo.mask, got {value!r}")]
    ref = Ref(m.group(1), m.group(2))
    if ref.step == sid:
        return None, [Problem(sid, inp.name, f"cycle: step '{sid}' refers to its own output")]
    if ref.step not in ids:
        return None, [Problem(sid, inp.name, f"refers to {ref}, but there is no step "
                                             f"'{ref.step}'", did_you_mean(ref.step, ids))]
    return ref, []


def parse_input(sid: str, inp: Input, value: Any, ids: list[str]) -> tuple[Any, list]:
    """One reference, or (for a ``many`` input) a non-empty list of them."""
    if isinstance(value, list) and not inp.many:
        return None, [Problem(sid, inp.name, "takes one reference, not a list")]
    values = value if isinstance(value, list) else [value]
    if not values:
        return None, [Problem(sid, inp.name, "empty list of references")]
    parsed = [parse_ref(sid, inp, v, ids) for v in values]
    problems = [p for _, found in parsed for p in found]
    if problems:
        return None, problems
    refs = [r for r, _ in parsed]
    return (refs if inp.many else refs[0]), []


def step_inputs(n: int, sid: str, op: Operator, entry: dict, ids: list[str]):
    """The step's input references; an omitted first input takes the previous step's."""
    inputs: dict[str, Ref | list[Ref]] = {}
    problems: list[Problem] = []
    for k, inp in enumerate(op.inputs):
        if inp.name in entry:
            value, found = parse_input(sid, inp, entry[inp.name], ids)
            problems += found
            if value is not None:
                inputs[inp.name] = value
        elif k == 0 and not inp.optional and n > 1:
            inputs[inp.name] = [Ref(ids[n - 2])] if inp.many else Ref(ids[n - 2])
        elif not inp.optional:
            kind = "" if inp.kind == "any" else f"{inp.kind} "
            problems.append(Problem(sid, inp.name, f"missing {kind}input '{inp.name}': "
                                                   f"write '{inp.name}: $ID' (step ID's first "
                                                   "output) or '$ID.OUTPUT' (a named one)"))
    return inputs, problems


def _default(sid: str, p: Param, where: Where) -> Any:
    """A default output path is resolved like a given one."""
    if p.type is OutputPath and p.default is not None:
        return convert(sid, p, p.default, where)[0]
    return p.default


def step_params(sid: str, op: Operator, entry: dict, where: Where):
    """``(params, given, problems)``: converted values, defaults filled in."""
    params: dict[str, Any] = {}
    problems: list[Problem] = []
    for p in op.params:
        if p.name in entry:
            value, found = convert(sid, p, entry[p.name], where)
            problems += found
            if value is not BAD:
                params[p.name] = value
        elif not p.required:
            params[p.name] = _default(sid, p, where)
        elif p.name not in (entry.get("sweep") or {}):
            problems.append(Problem(sid, p.name, f"missing required parameter '{p.name}' "
                                                 f"({p.help})"))
    given = frozenset(p.name for p in op.params if p.name in entry)
    return params, given, problems


def _swept(sid: str, op: Operator, name: str, values: Any, where: Where):
    """One sweep entry's values, converted (input paths kept as written, for labels)."""
    fld, p = f"sweep.{name}", op.param(name)
    if p is None:
        return None, [Problem(sid, fld, f"{op.name} has no parameter '{name}'",
                              did_you_mean(name, [q.name for q in op.params]))]
    if not isinstance(values, list) or not values:
        return None, [Problem(sid, fld, "expected a non-empty list of values")]
    if len(values) > where.max_variants:
        return None, [Problem(sid, fld, too_many(len(values), where.max_variants))]
    if p.type is OutputPath:
        return None, [Problem(sid, fld, "output paths are not swept: each variant's file "
                                        "name already carries its swept values")]
    converted = [convert(sid, replace(p, name=fld), v, where) for v in values]
    kept = [v if p.type is InputPath else c for v, (c, _) in zip(values, converted)
            if c is not BAD]
    problems = [problem for _, found in converted for problem in found]
    return kept, problems or _repeated(sid, fld, kept)


def _repeated(sid: str, fld: str, values: list) -> list[Problem]:
    """A value swept twice (``[0.1, 0.10]``) would run twice and write one file twice."""
    seen: list = []
    for v in values:
        if v in seen:
            return [Problem(sid, fld, f"{v!r} is listed twice; each value once")]
        seen.append(v)
    return []


def step_sweep(sid: str, op: Operator, sweep: Any, where: Where):
    """``(sweep, problems)``: parameter -> list of checked values."""
    if sweep is None:
        return {}, []
    if not isinstance(sweep, dict) or not sweep:
        return {}, [Problem(sid, "sweep", "expected a mapping of parameter -> list of values")]
    out, problems = {}, []
    for name, values in sweep.items():
        kept, found = _swept(sid, op, name, values, where)
        problems += found
        if kept is not None:
            out[name] = kept
    return out, problems


def resolved_sweep(op: Operator, sweep: dict[str, list], base_dir: Path) -> dict[str, list]:
    """Swept input paths as the operator will see them: against the recipe's folder."""
    def resolve(name: str, value: Any) -> Any:
        if op.param(name).type is not InputPath or is_sample(value):
            return value
        return InputPath((base_dir / value).resolve())
    return {name: [resolve(name, v) for v in values] for name, values in sweep.items()}
