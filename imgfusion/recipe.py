"""YAML recipe -> validated :class:`Recipe`, reporting every problem at once.

Validation covers: YAML syntax (line and column), safe loading only, the top-level
keys, each step's operator, inputs, parameters, references (``$id``,
``$id.NAME``), cycles, duplicate ids, sweeps, input files and output paths.
Each problem names the step and the field and, for names, suggests the closest
match.  Nothing runs until the whole recipe is valid.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import Problem, RecipeError, did_you_mean
from .operators import Input, InputPath, Operator, OutputPath, Param
from .io.samples import is_sample
from .limits import run_check, seed_problem
from .paths import UnsafePath
from .plan import MAX_VARIANTS, output_path, plan_run, too_many, variant_path  # noqa: F401
from .plugins import Registry, load_registry, recipe_plugin_files
from .yaml_safe import apply_overrides, decode_recipe, parse_override, read_yaml  # noqa: F401

FORMAT_VERSION = 1
TOP_LEVEL_KEYS = ("imgfusion", "description", "device", "seed", "plugins", "steps")
STEP_KEYS = ("id", "op", "sweep", "device", "seed")
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
REF_PATTERN = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_BAD = object()  # a value refused by validation (its error is already recorded)


@dataclass(frozen=True)
class Ref:
    """A reference to an earlier step's output; ``output`` None means the first."""

    step: str
    output: str | None = None

    def __str__(self) -> str:
        return f"${self.step}" + (f".{self.output}" if self.output else "")


@dataclass
class Step:
    id: str
    index: int
    op: Operator
    inputs: dict[str, Ref | list[Ref]]
    params: dict[str, Any]
    given: set[str]
    sweep: dict[str, list[Any]]
    device: str | None = None
    seed: int | None = None
    variants: list[dict[str, Any]] = field(default_factory=lambda: [{}])

    def refs(self) -> Iterable[Ref]:
        for value in self.inputs.values():
            yield from (value if isinstance(value, list) else [value])


@dataclass
class Recipe:
    steps: list[Step]
    registry: Registry
    raw: dict[str, Any]
    base_dir: Path
    out_dir: Path
    path: Path | None = None
    device: str = "auto"
    seed: int = 0
    input_files: set[Path] = field(default_factory=set)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


# -- validation ---------------------------------------------------------------
class _Validator:
    def __init__(self, raw: Any, registry: Registry, base_dir: Path, out_dir: Path,
                 overwrite: bool = False, max_variants: int = MAX_VARIANTS):
        self.raw = raw
        self.max_variants = max_variants
        self.overwrite = overwrite
        self.registry = registry
        self.base_dir = base_dir
        self.out_dir = out_dir
        self.problems: list[Problem] = []
        self.steps: list[Step] = []
        self.input_files: set[Path] = set()

    def error(self, step: str | None, fld: str | None, message: str,
              suggestion: str | None = None) -> None:
        self.problems.append(Problem(step, fld, message, suggestion))

    def top_level(self) -> tuple[str, int]:
        raw = self.raw
        for key in raw:
            if key not in TOP_LEVEL_KEYS:
                self.error(None, str(key), "unknown top-level key", did_you_mean(key, TOP_LEVEL_KEYS))
        version = raw.get("imgfusion")
        if version is None:
            self.error(None, "imgfusion", f"missing the format version; start the recipe with "
                       f"'imgfusion: {FORMAT_VERSION}'")
        elif version != FORMAT_VERSION:
            self.error(None, "imgfusion", f"format version {version!r} is not supported "
                       f"(this imgfusion reads version {FORMAT_VERSION})")
        device = raw.get("device", "auto")
        if not isinstance(device, str) or not DEVICE_PATTERN.match(device):
            self.error(None, "device", f"{device!r} is not auto, cpu, mps, cuda or cuda:N")
        seed = raw.get("seed", 0)
        if seed_problem(seed):
            self.error(None, "seed", seed_problem(seed))
        steps = raw.get("steps")
        if not isinstance(steps, list) or not steps:
            self.error(None, "steps", "expected a non-empty list of steps")
        return device, seed

    def all_steps(self) -> None:
        raw_steps = self.raw.get("steps")
        if not isinstance(raw_steps, list):
            return
        ids: list[str] = []
        for n, entry in enumerate(raw_steps, 1):
            if not isinstance(entry, dict):
                self.error(f"#{n}", None, f"a step must be a mapping with 'op:' and its "
                           f"parameters, got {type(entry).__name__} {entry!r}")
                ids.append(f"#{n}")
                continue
            op = entry.get("op")
            sid = entry.get("id", f"{op if isinstance(op, str) else 'step'}{n}")
            if not isinstance(sid, str) or not ID_PATTERN.match(sid):
                self.error(f"#{n}", "id", f"{sid!r} is not a valid id (letters, digits, _ and -, "
                           "not starting with a digit)")
                sid = f"#{n}"
            elif sid in ids:
                self.error(sid, "id", f"duplicate id: step #{ids.index(sid) + 1} has it too")
            ids.append(sid)
        self.ids = ids
        for n, entry in enumerate(raw_steps, 1):
            if isinstance(entry, dict):
                step = self.one_step(n, ids[n - 1], entry)
                if step is not None:
                    self.steps.append(step)

    def one_step(self, n: int, sid: str, entry: dict) -> Step | None:
        op_name = entry.get("op")
        if op_name is None:
            self.error(sid, "op", "missing 'op:' (the operator to run)")
            return None
        if not isinstance(op_name, str):
            self.error(sid, "op", f"expected an operator name (a string), got "
                       f"{type(op_name).__name__} {op_name!r}")
            return None
        if op_name not in self.registry:
            self.error(sid, "op", f"unknown operator {op_name!r}",
                       did_you_mean(op_name, self.registry.names()))
            return None
        op = self.registry[op_name]
        known = [*STEP_KEYS, *(i.name for i in op.inputs), *(p.name for p in op.params)]
        for key in entry:
            if key not in known:
                self.error(sid, str(key), f"unknown parameter of {op_name}",
                           did_you_mean(key, known))
        inputs = self.step_inputs(n, sid, op, entry)
        params, given = self.step_params(sid, op, entry)
        sweep = self.step_sweep(sid, op, entry.get("sweep"))
        device = entry.get("device")
        if device is not None and (not isinstance(device, str) or not DEVICE_PATTERN.match(device)):
            self.error(sid, "device", f"{device!r} is not auto, cpu, mps, cuda or cuda:N")
        seed = entry.get("seed")
        if seed is not None and seed_problem(seed):
            self.error(sid, "seed", seed_problem(seed))
        if op.check is not None and not any(p.step == sid for p in self.problems):
            for fld, message in run_check(op, params, self.resolved_sweep(op, sweep)):
                self.error(sid, fld, message)
        return Step(sid, n, op, inputs, params, given, sweep, device, seed)

    def step_inputs(self, n: int, sid: str, op: Operator, entry: dict) -> dict:
        inputs: dict[str, Ref | list[Ref]] = {}
        for k, inp in enumerate(op.inputs):
            if inp.name in entry:
                value = self.parse_input(sid, inp, entry[inp.name])
                if value is not None:
                    inputs[inp.name] = value
            elif k == 0 and not inp.optional and n > 1:
                prev = self.ids[n - 2]
                inputs[inp.name] = [Ref(prev)] if inp.many else Ref(prev)
            elif not inp.optional:
                self.error(sid, inp.name, f"missing image input '{inp.name}' "
                           f"(give it as ${'{step}'} or ${'{step}'}.OUTPUT)")
        return inputs

    def parse_input(self, sid: str, inp: Input, value: Any) -> Ref | list[Ref] | None:
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not inp.many:
            self.error(sid, inp.name, "takes one reference, not a list")
            return None
        if not values:
            self.error(sid, inp.name, "empty list of references")
            return None
        refs = [self.parse_ref(sid, inp, v) for v in values]
        if any(r is None for r in refs):
            return None
        return refs if inp.many else refs[0]

    def parse_ref(self, sid: str, inp: Input, value: Any) -> Ref | None:
        m = REF_PATTERN.match(value) if isinstance(value, str) else None
        if m is None:
            self.error(sid, inp.name, f"expected a reference to an earlier step such as "
                       f"$photo or $photo.mask, got {value!r}")
            return None
        ref = Ref(m.group(1), m.group(2))
        if ref.step == sid:
            self.error(sid, inp.name, f"cycle: step '{sid}' refers to its own output")
            return None
        if ref.step not in self.ids:
            self.error(sid, inp.name, f"refers to {ref}, but there is no step '{ref.step}'",
                       did_you_mean(ref.step, self.ids))
            return None
        return ref

    def step_params(self, sid: str, op: Operator, entry: dict) -> tuple[dict, set[str]]:
        params: dict[str, Any] = {}
        given = set()
        for p in op.params:
            if p.name in entry:
                given.add(p.name)
                value = self.convert(sid, p, entry[p.name])
                if value is not _BAD:
                    params[p.name] = value
            elif not p.required:  # a default output path is resolved like a given one
                params[p.name] = self.convert(sid, p, p.default) \
                    if p.type is OutputPath and p.default is not None else p.default
            elif p.name not in (entry.get("sweep") or {}):
                self.error(sid, p.name, f"missing required parameter '{p.name}' ({p.help})")
        return params, given

    def convert(self, sid: str, p: Param, value: Any) -> Any:
        try:
            out = p.convert(value)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            self.error(sid, p.name, str(exc) if isinstance(exc, ValueError)
                       else f"expected {p.type_name()}, got {type(value).__name__}")
            return _BAD
        if isinstance(out, InputPath):
            return self.input_path(sid, p, out)
        if isinstance(out, OutputPath):
            try:
                return OutputPath(output_path(out, self.out_dir, self.input_files))
            except UnsafePath as exc:
                self.error(sid, p.name, str(exc))
                return _BAD
        return out

    def input_path(self, sid: str, p: Param, value: InputPath) -> Any:
        if value.startswith("sample:"):
            return value
        try:
            path = (self.base_dir / os.path.expanduser(value)).resolve()
            exists = path.exists()
        except (OSError, ValueError) as exc:  # NUL byte, name too long, ...
            self.error(sid, p.name, f"cannot use {value[:80]!r} as a file name: "
                       f"{getattr(exc, 'strerror', None) or exc}")
            return _BAD
        if not exists:
            self.error(sid, p.name, f"input file {str(path)!r} does not exist")
            return _BAD
        self.input_files.add(path)
        return InputPath(path)

    def step_sweep(self, sid: str, op: Operator, sweep: Any) -> dict[str, list]:
        if sweep is None:
            return {}
        if not isinstance(sweep, dict) or not sweep:
            self.error(sid, "sweep", "expected a mapping of parameter -> list of values")
            return {}
        out = {}
        for name, values in sweep.items():
            p = op.param(name)
            if p is None:
                self.error(sid, f"sweep.{name}", f"{op.name} has no parameter '{name}'",
                           did_you_mean(name, [q.name for q in op.params]))
                continue
            if not isinstance(values, list) or not values:
                self.error(sid, f"sweep.{name}", "expected a non-empty list of values")
                continue
            if len(values) > self.max_variants:
                self.error(sid, f"sweep.{name}", too_many(len(values), self.max_variants))
                continue
            if p.type is OutputPath:
                self.error(sid, f"sweep.{name}", "output paths are not swept: each variant's "
                           "file name already carries its swept values")
                continue
            swept = replace(p, name=f"sweep.{name}")
            converted = [self.convert(sid, swept, v) for v in values]
            if p.type is InputPath:  # checked; kept as written, for the variants' labels
                converted = [v if c is not _BAD else c for v, c in zip(values, converted)]
            out[name] = [v for v in converted if v is not _BAD]
        return out

    def video_checks(self) -> None:
        """Video misuse the graph already shows (a video into save, lockstep lengths)."""
        from .video.mapping import video_problems

        for sid, fld, message in video_problems(self.steps):
            self.error(sid, fld, message)

    def resolved_sweep(self, op: Operator, sweep: dict[str, list]) -> dict[str, list]:
        """Swept input paths as the operator will see them: against the recipe's folder."""
        def resolve(name: str, value: Any) -> Any:
            if op.param(name).type is not InputPath or is_sample(value):
                return value
            return InputPath((self.base_dir / value).resolve())
        return {name: [resolve(name, v) for v in values] for name, values in sweep.items()}

    # -- graph ------------------------------------------------------------------
    def graph(self) -> None:
        by_id = {s.id: s for s in self.steps}
        deps = {s.id: {r.step for r in s.refs()} for s in self.steps}
        try:
            tuple(TopologicalSorter(deps).static_order())
        except CycleError as exc:
            cycle = exc.args[1]
            self.error(cycle[0], None, "cycle: " + " -> ".join(cycle))
            return
        order = {sid: k for k, sid in enumerate(self.ids)}
        for s in self.steps:
            for name, value in s.inputs.items():
                for r in (value if isinstance(value, list) else [value]):
                    if order[r.step] > order[s.id]:
                        self.error(s.id, name, f"refers to {r}, which comes later in the recipe; "
                                   "steps may only use the outputs of earlier steps")
                        continue
                    src = by_id.get(r.step)
                    if src is not None:
                        self.check_output(s, name, r, src)

    def check_output(self, s: Step, name: str, r: Ref, src: Step) -> None:
        if r.output is None:
            out = src.op.outputs[0]
        else:
            out = src.op.output(r.output)
            if out is None:
                names = [o.name for o in src.op.outputs]
                self.error(s.id, name, f"step '{src.id}' ({src.op.name}) has no output "
                           f"'{r.output}'; it has {', '.join(names)}", did_you_mean(r.output, names))
                return
        want = s.op.input(name).kind
        if out.kind == "data" and want != "any":
            self.error(s.id, name, f"{r} is {src.op.name}'s '{out.name}' output, which is "
                       f"data, not an {want}")


def load_recipe(source: str | os.PathLike | Mapping[str, Any], *, overrides: Iterable[str] = (),
                out_dir: str | os.PathLike | None = None, device: str | None = None,
                overwrite: bool = False, strict_plugins: bool = False,
                registry: Registry | None = None, max_variants: int = MAX_VARIANTS) -> Recipe:
    """Read and validate a recipe (a path or an already-parsed mapping).

    Raises :class:`RecipeError` listing every problem found.
    """
    if isinstance(source, Mapping):
        raw, path, base_dir = dict(source), None, Path.cwd()
    else:
        path = Path(source).resolve()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RecipeError(f"cannot read recipe {str(source)!r}: {exc.strerror}") from None
        raw, base_dir = read_yaml(decode_recipe(data, str(source)), str(source)), path.parent
    if not isinstance(raw, dict):
        raise RecipeError(f"a recipe is a mapping with 'imgfusion: {FORMAT_VERSION}' and "
                          f"'steps:', got {type(raw).__name__}")
    problems = apply_overrides(raw, overrides)
    if device is not None:
        raw["device"] = device
    out = Path(out_dir).resolve() if out_dir is not None else base_dir
    plugin_files = recipe_plugin_files(raw.get("plugins"), base_dir, problems)
    if registry is None:
        registry = load_registry(plugin_files, strict=strict_plugins)
    v = _Validator(raw, registry, base_dir, out, overwrite, max_variants)
    v.problems.extend(problems)
    if path is not None:
        v.input_files.add(path)
    dev, seed = v.top_level()
    v.all_steps()
    if not any(p.field == "steps" and p.step is None for p in v.problems):
        v.graph()
        plan_run(v.steps, max_variants, out, v.input_files, overwrite, v.error)
        v.video_checks()
    if v.problems:
        raise RecipeError(v.problems)
    for s in v.steps:
        if overwrite and s.op.param("overwrite") is not None:
            s.params["overwrite"] = True
    return Recipe(v.steps, registry, raw, base_dir, out, path, dev, seed, v.input_files)
