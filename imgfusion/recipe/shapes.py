"""What validation can tell from the declarations before anything runs: each step's output
sizes and frame counts, and the problems they already show.

One general rule, driven by the operators' traits (the keywords of ``@operator(...)``,
kept in ``Operator.traits``; ``check``, ``renamed`` (:mod:`imgfusion.renames`) and
``pictures`` (:mod:`imgfusion.recipe.graph`: ``Value`` inputs that take an image or a
mask, never data) are read elsewhere); no operator is named here:

- ``output_probe`` (``"module:function"``): ``function(params, inputs)`` returns a
  :class:`~imgfusion.values.Shape` for every image, mask or video output, or a mapping
  ``{output: Shape}``; ``inputs`` maps each single input to its known Shape (or None).
- ``size_of`` (an input name, or ``{output: input name}``): the outputs (those named)
  have that input's size.
- ``shape_check`` (``"module:function"``): ``function(params, inputs)`` raises
  ParameterError when the inputs' known sizes make a parameter wrong (an input given a
  list of references maps to a list of Shapes).
- ``same_size`` (input names): their sizes must match.
- ``lockstep`` (input names): their frame counts must match.
- ``for_video`` (an operator name): what to use on a video, named in the hint when an
  operator writing one file per call receives one.

A video reaching an image, mask or "any" input maps the operator over its frames (the
engine's rule, :mod:`imgfusion.per_frame`): its outputs are videos of the same length.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..errors import ParameterError, Problem
from ..records import resolve_target
from ..per_frame import MAPPED_KINDS, instead_hint, writes_per_call
from ..values import Shape
from .model import Ref, Step

SWEEP_CHECKED = 256   # a step's own sweep values tried by its shape check, at most
Known = dict[tuple[str, str | None], Shape]  # (step, output or None for its first) -> Shape


def _shape(known: Known, ref: Ref) -> Shape | None:
    return known.get((ref.step, ref.output))


def single_inputs(step: Step, known: Known) -> dict[str, Shape | None]:
    """Each input given one reference -> the Shape known of it (None: unknown)."""
    return {name: _shape(known, value) for name, value in step.inputs.items()
            if not isinstance(value, list)}


def fed_videos(step: Step, known: Known) -> dict[str, Shape]:
    """Inputs through which the operator is mapped over frames -> the video's Shape."""
    fed = {}
    for name, value in step.inputs.items():
        spec = step.op.input(name)
        if spec is None or spec.kind not in MAPPED_KINDS:
            continue
        refs = value if isinstance(value, list) else [value]
        shapes = [(f"{name}[{i}]" if isinstance(value, list) else name, _shape(known, r))
                  for i, r in enumerate(refs)]
        fed.update({key: s for key, s in shapes if s is not None and s.video})
    return fed


def _writer_problems(step: Step, fed: Mapping[str, Shape]) -> list[Problem]:
    if not fed or writes_per_call(step.op) is None:
        return []
    return [Problem(step.id, next(iter(fed)), f"receives a video where {step.op.name} takes "
                                              "a still image: run on every frame, it would "
                                              "write its one file per call again and again"
                                              f"{instead_hint(step.op)}")]


def _mapped_problems(step: Step, fed: Mapping[str, Shape]) -> list[Problem]:
    counts = {n: s.frames for n, s in fed.items() if s.frames is not None}
    if len(set(counts.values())) < 2:
        return []
    listed = ", ".join(f"{n}: {c}" for n, c in counts.items())
    return [Problem(step.id, list(counts)[-1], "videos advanced in lockstep must have the "
                                               f"same number of frames; got {listed}")]


def _pairs(step: Step, known: Known, trait: str, attribute: str):
    """``(first, other, their refs, their values)`` of a trait's inputs that disagree
    (each reference of a list input counts)."""
    items = [(n, r, getattr(_shape(known, r), attribute, None))
             for n in step.op.traits.get(trait, ())
             for r in _listed(step.inputs.get(n)) if isinstance(r, Ref)]
    items = [(n, r, v) for n, r, v in items if v is not None]
    if not items:
        return []
    first, rf, vf = items[0]
    return [(first, n, rf, r, vf, v) for n, r, v in items[1:]
            if tuple(_seq(v)) != tuple(_seq(vf))]


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _seq(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def declared_problems(step: Step, known: Known) -> list[Problem]:
    """The ``lockstep`` and ``same_size`` traits, where the sizes are already known."""
    out = [Problem(step.id, n, f"{n} ({r}) has {v} frames but {a} ({ra}) has {va}; {a} and {n} "
                               "run in lockstep, frame for frame")
           for a, n, ra, r, va, v in _pairs(step, known, "lockstep", "frames")]
    out += [Problem(step.id, n, f"{n} ({r}) is {v[0]} x {v[1]} but {a} ({ra}) is {va[0]} x "
                                f"{va[1]} (rows x cols); they must match")
            for a, n, ra, r, va, v in _pairs(step, known, "same_size", "size")]
    return out


def probe(step: Step, inputs: Mapping[str, Shape | None]) -> Any:
    """What the operator's ``output_probe`` says of its outputs (None: nothing known)."""
    target = step.op.traits.get("output_probe")
    if not target or step.sweep:
        return None
    try:
        return resolve_target(target)(step.params, inputs)
    except (ParameterError, KeyError, TypeError, ValueError, OSError):
        return None   # the step's own check reports a bad parameter or file


def _checked_shapes(step: Step, known: Known, fed: Mapping[str, Shape]) -> list[Problem]:
    """The ``shape_check`` trait: ``function(params, inputs)`` raises ParameterError when
    the inputs' known sizes make a parameter wrong (a crop window outside the image)."""
    target = step.op.traits.get("shape_check")
    if not target:
        return []
    lists = {name: [_shape(known, r) for r in value] for name, value in step.inputs.items()
             if isinstance(value, list)}   # an input given a list: a list of Shapes
    inputs = {**single_inputs(step, known), **lists}
    for swept in _own_combinations(step)[:SWEEP_CHECKED]:   # its own sweep's values
        try:
            resolve_target(target)({**step.params, **swept}, inputs)
        except ParameterError as exc:
            told = ", ".join(f"{k}={v}" for k, v in swept.items())
            field = f"sweep.{exc.field}" if exc.field in swept else exc.field
            return [Problem(step.id, field, exc.message + (" (each frame)" if fed else "")
                            + (f" (swept: {told})" if told else ""))]
        except (KeyError, TypeError, ValueError):
            return []   # the step's own checks report a bad parameter
        except Exception as exc:  # noqa: BLE001 - a plugin's check must not end validation
            return [Problem(step.id, None, f"{step.op.name}'s size check failed: "
                                           f"{type(exc).__name__}: {exc}")]
    return []


def _own_combinations(step: Step) -> list[dict[str, Any]]:
    """The combinations of the step's own swept values, in the order of its planned
    variants (:func:`imgfusion.plan.expand_variants`; none when the plan refused the
    sweep for its size and left the variants unexpanded); ``[{}]`` without a sweep."""
    if not step.sweep:
        return [{}]
    seen, out = set(), []
    for labels in step.variants:
        if all(k in labels for k in step.sweep):
            combo = {k: labels[k] for k in step.sweep}
            if repr(combo) not in seen:
                seen.add(repr(combo))
                out.append(combo)
    return out


def output_shapes(step: Step, known: Known, fed: Mapping[str, Shape]) -> dict[str, Shape]:
    """Each image, mask or video output of ``step`` -> what is known of it."""
    inputs = single_inputs(step, known)
    told = probe(step, inputs)
    size_of = step.op.traits.get("size_of", "")
    frames = next((s.frames for s in fed.values() if s.frames is not None), None)
    shapes = {}
    for out in (o for o in step.op.outputs if o.kind != "data"):
        shape = told.get(out.name) if isinstance(told, Mapping) else told
        like = inputs.get(size_of.get(out.name, "") if isinstance(size_of, Mapping)
                          else size_of)
        if shape is None and like is not None:
            shape = Shape(like.size)
        if fed:
            shape = Shape(getattr(shape, "size", None), frames, True)
        if out.kind == "video":
            shape = replace(shape or Shape(), video=True)
        if shape is not None:
            shapes[out.name] = shape
    return shapes


def shape_problems(steps: list[Step]) -> list[Problem]:
    """Problems the known sizes and frame counts already show, step by step in order."""
    known: Known = {}
    problems: list[Problem] = []
    for step in steps:
        fed = fed_videos(step, known)
        problems += _writer_problems(step, fed) + _mapped_problems(step, fed)
        problems += declared_problems(step, known) + _checked_shapes(step, known, fed)
        shapes = output_shapes(step, known, fed)
        known.update({(step.id, name): s for name, s in shapes.items()})
        first = step.op.outputs[0].name
        if first in shapes:
            known[(step.id, None)] = shapes[first]
    return problems
