"""Validation of the references between steps: cycles, order, outputs that exist, kinds."""
from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from ..errors import Problem, did_you_mean
from ..operators import OutputPath
from .model import Ref, Step


class UnusedStepWarning(UserWarning):
    """A step whose outputs no other step reads and that writes no file."""


def unused_step_warnings(steps: list[Step]) -> list[str]:
    """One line for each step that does nothing for the run: no step reads its outputs
    and it writes no file (its result is lost; a video step's frames are not even
    computed, so its errors never show)."""
    read = {r.step for s in steps for r in s.refs()}
    lines = []
    for s in steps:
        if s.id not in read and s.op.outputs and not _writes(s):
            lines.append(f"step {s.id} ({s.op.name}): no step uses its result and it writes "
                         "no file, so the run keeps nothing of it (a video is not even "
                         "computed); save it, or remove the step")
    return lines


def _writes(s: Step) -> bool:
    """The step writes a file (an output path given)."""
    return any(p.type is OutputPath and s.params.get(p.name) is not None for p in s.op.params)


def until_warnings(steps: list[Step], until: str | None) -> list[str]:
    """A run stopped at a step that writes no file keeps nothing of it (a video step's
    frames are computed only as a later step reads them): one line saying so."""
    step = next((s for s in steps if s.id == until), None)
    if step is None or _writes(step) or not step.op.outputs:
        return []
    return [f"--until {until}: step {until} ({step.op.name}) writes no file, so a run that "
            "stops there keeps nothing of it (a video is not even computed); stop at the "
            "step that saves it"]


def cycle_problems(steps: list[Step]) -> list[Problem]:
    deps = {s.id: {r.step for r in s.refs()} for s in steps}
    try:
        tuple(TopologicalSorter(deps).static_order())
    except CycleError as exc:
        cycle = exc.args[1]
        return [Problem(cycle[0], None, "cycle: " + " -> ".join(cycle))]
    return []


def output_problems(s: Step, name: str, r: Ref, src: Step) -> list[Problem]:
    """The output ``r`` names exists on ``src`` and is not data fed to an image input."""
    out = src.op.outputs[0] if r.output is None else src.op.output(r.output)
    if out is None:
        names = [o.name for o in src.op.outputs]
        return [Problem(s.id, name, f"step '{src.id}' ({src.op.name}) has no output "
                                    f"'{r.output}'; it has {', '.join(names)}",
                        did_you_mean(r.output, names))]
    makers = (s.op.traits.get("made_by") or {}).get(name)
    if makers and src.op.name not in makers:
        return [Problem(s.id, name, f"{r} is {src.op.name}'s '{out.name}' output; {name} "
                                    f"takes the model of {' or '.join(makers)}")]
    want = s.op.input(name).kind
    if out.kind != "data" and name in s.op.traits.get("data_only", ()):
        instead = s.op.traits.get("for_video" if out.kind == "video" else "for_pictures")
        return [Problem(s.id, name, f"{r} is {src.op.name}'s '{out.name}' output, "
                                    f"{_a(out.kind)}, not data"
                                    + (f"; {instead} writes it" if instead else ""))]
    pictures = name in s.op.traits.get("pictures", ())   # a Value input: image or mask
    if out.kind == "data" and (want != "any" or pictures):
        wanted = "an image or a mask" if pictures else _a(want)
        instead = s.op.traits.get("for_data")
        return [Problem(s.id, name, f"{r} is {src.op.name}'s '{out.name}' output, which is "
                                    f"data, not {wanted}"
                                    + (f"; {instead} writes data" if instead else ""))]
    return []


def _a(kind: str) -> str:
    """``kind`` with its article: an image, a video."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _ref_problems(s: Step, name: str, r: Ref, order: dict, by_id: dict) -> list[Problem]:
    if order[r.step] > order[s.id]:
        return [Problem(s.id, name, f"refers to {r}, which comes later in the recipe; steps "
                                    "may only use the outputs of earlier steps")]
    src = by_id.get(r.step)
    return [] if src is None else output_problems(s, name, r, src)


def graph_problems(steps: list[Step], ids: list[str]) -> list[Problem]:
    """Every reference points to an earlier step's existing output, and there is no cycle."""
    found = cycle_problems(steps)
    if found:
        return found
    order = {sid: k for k, sid in enumerate(ids)}
    by_id = {s.id: s for s in steps}
    return [problem for s in steps for name, value in s.inputs.items()
            for r in (value if isinstance(value, list) else [value])
            for problem in _ref_problems(s, name, r, order, by_id)]


def _label_keys(refs: list[Ref], by_id: dict) -> set[str]:
    """The label keys the engine hands an operator with these references in its ``many``
    input: each variant's swept values, and ``step`` where it tags them."""
    keys: set[str] = set()
    for r in refs:
        variants = by_id[r.step].variants if r.step in by_id else ()
        for labels in variants:
            keys |= set(labels)
            if len(refs) > 1 or not labels:
                keys.add("step")
    return keys


def label_key_problems(steps: list[Step]) -> list[Problem]:
    """The ``label_keys`` trait: parameters (contact_sheet's rows and cols) that name a
    label of the operator's ``many`` input must name one its images will carry."""
    by_id, problems = {s.id: s for s in steps}, []
    for s in steps:
        many = next((i.name for i in s.op.inputs if i.many), None)
        fields = s.op.traits.get("label_keys", ())
        value = s.inputs.get(many) if many else None
        if not fields or value is None:
            continue
        keys = _label_keys(value if isinstance(value, list) else [value], by_id)
        for name in fields:
            key = s.params.get(name)
            if key is not None and key not in keys and name not in s.sweep:
                known = ", ".join(sorted(keys)) or "none"
                problems.append(Problem(s.id, name, f"no label {key!r} on these images "
                                                    f"(labels: {known})",
                                        did_you_mean(key, sorted(keys))))
    return problems
