"""The engine's rule for videos: an image operator given a :class:`~imgfusion.values.Video`
runs once per frame, lazily.  Chosen by the value's type, never by the operator's name.

When an image, mask or "any" input of the operator receives a Video (or a ``many`` input
a list holding one), the operator is mapped over the frames: the videos advance in
lockstep, still images are broadcast to every frame, and each image or mask output
becomes a video (each data output a :class:`~imgfusion.values.PerFrame` series).
Nothing is computed until the result is iterated (by ``save_video``, ``video_style``
...), so a clip streams through the pipeline one frame at a time.  Inputs of kind
``video`` receive the video whole.

Operators that write a file per call (an ``OutputPath`` parameter) are not mapped; the
trait ``for_video`` names the operator to use instead (``save`` -> ``save_video``).
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Mapping

import numpy as np

from .errors import ParameterError, StepFailed
from .operators import Operator, OutputPath
from .values import PerFrame, Video

MAPPED_KINDS = ("image", "mask", "any")


def as_kind(value: Any, kind: str) -> Any:
    """Masks arrive H x W and images H x W x C, whatever produced them."""
    if not isinstance(value, np.ndarray):
        return value
    if kind == "mask" and value.ndim == 3 and value.shape[2] == 1:
        return value[..., 0]
    if kind == "image" and value.ndim == 2:
        return value[..., None].astype(np.float32, copy=False)
    return value


def video_inputs(op: Operator, inputs: Mapping[str, Any]) -> list[str]:
    """Names of the inputs through which ``op`` would be mapped over frames."""
    names = []
    for name, value in inputs.items():
        spec = op.input(name)
        if spec is None or spec.kind not in MAPPED_KINDS:
            continue
        values = value if (spec.many and isinstance(value, list)) else [value]
        if any(isinstance(v, Video) for v in values):
            names.append(name)
    return names


def call_operator(op: Operator, inputs: Mapping[str, Any], params: Mapping[str, Any],
                  context: Mapping[str, Any]) -> dict[str, Any]:
    """``op.call``, or the operator mapped over the frames of its video inputs."""
    names = video_inputs(op, inputs)
    if not names:
        return op.call(inputs, params, context)
    return map_over_frames(op, inputs, params, context, names)


def writes_per_call(op: Operator) -> str | None:
    """The first file parameter of an operator that writes one file per call, or None."""
    return next((p.name for p in op.params if p.type is OutputPath), None)


def instead_hint(op: Operator) -> str:
    """"; use save_video" when ``op`` declares the operator to use on a video."""
    other = op.traits.get("for_video")
    return f"; use {other}" if other else ""


def _check_mappable(op: Operator, names: list[str]) -> None:
    written = writes_per_call(op)
    if written:
        raise ParameterError(names[0], f"{op.name} writes one file ({written}) per call and "
                                       f"cannot run on every frame of a video{instead_hint(op)}")


def _lockstep_length(videos: list[tuple[str, Video]]) -> int | None:
    counts = {name: v.frames for name, v in videos if v.frames is not None}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{n}: {c}" for n, c in counts.items())
        raise ParameterError(videos[-1][0], f"videos advanced in lockstep must have the same "
                                            f"number of frames; got {listed}")
    return next(iter(counts.values()), None)


def _frames(op: Operator, inputs: Mapping[str, Any],
            videos: list[tuple[tuple, Video]]) -> Iterator[dict[str, Any]]:
    """Per frame: the inputs with every video replaced by its current frame."""
    iters = {key: iter(v) for key, v in videos}
    kinds = {name: spec.kind if (spec := op.input(name)) else "any" for name in inputs}
    for k in itertools.count():
        current = {key: next(it, None) for key, it in iters.items()}
        ended = [key for key, frame in current.items() if frame is None]
        if len(ended) == len(current):
            return
        if ended:
            raise ParameterError(ended[0][0], f"this video ended after {k} frames while "
                                              "another one running in lockstep went on")
        yield _substitute(kinds, inputs, current)


def _substitute(kinds: Mapping[str, str], inputs: Mapping[str, Any],
                current: Mapping) -> dict[str, Any]:
    out = {}
    for name, value in inputs.items():
        kind = kinds[name]
        if isinstance(value, list):
            out[name] = [as_kind(current.get((name, i), v), kind) for i, v in enumerate(value)]
        else:
            out[name] = as_kind(current.get((name, None), value), kind)
    return out


def _video_list(inputs: Mapping[str, Any], names: list[str]) -> list[tuple[tuple, Video]]:
    videos = []
    for name in names:
        value = inputs[name]
        if isinstance(value, list):
            videos += [((name, i), v) for i, v in enumerate(value) if isinstance(v, Video)]
        else:
            videos.append(((name, None), value))
    return videos


def _call_on_frame(op: Operator, frame_inputs, params, context, k: int) -> Any:
    """``op`` on frame ``k`` (0-based); a ParameterError says which frame (an empty mask
    on frame 812 of 3000 said nothing of where)."""
    try:
        return op.call(frame_inputs, params, context)
    except ParameterError as exc:
        raise ParameterError(exc.field, f"{exc.message} (frame {k + 1})") from exc


def map_over_frames(op: Operator, inputs: Mapping[str, Any], params: Mapping[str, Any],
                    context: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """Return ``{output: Video or PerFrame}`` computing ``op`` frame by frame on demand,
    mapped through the inputs ``names`` (:func:`video_inputs`)."""
    _check_mappable(op, names)
    videos = _video_list(inputs, names)
    n = _lockstep_length([(k[0], v) for k, v in videos])
    lead = videos[0][1]
    quiet = {k: v for k, v in context.items() if k != "progress"}
    step = context.get("step")

    def outputs() -> Iterator[dict[str, Any]]:
        try:
            for k, frame_inputs in enumerate(_frames(op, inputs, videos)):
                yield _call_on_frame(op, frame_inputs, params, quiet, k)
        except StepFailed:
            raise
        except Exception as exc:  # computed as a later step reads the frames: this step
            if step is None:       # failed, not that one (KeyboardInterrupt passes)
                raise
            raise StepFailed(step, op.name, exc) from exc

    result: dict[str, Any] = {}
    for out in op.outputs:
        def pick(name=out.name) -> Iterator[Any]:
            return (o[name] for o in outputs())
        if out.kind == "data":
            result[out.name] = PerFrame(pick, n)
        else:
            result[out.name] = Video(pick, fps=lead.fps, frames=n, size=None, kind=out.kind,
                                     audio=lead.audio, source=f"{op.name} over {lead.source}")
    return result
