"""Any image operator on a video: run it once per frame, lazily.

The engine calls :func:`call_operator` for every step.  When an image, mask or "any"
input of the operator receives a :class:`~imgfusion.video.frames.Video` (or a ``many``
input a list holding one), the operator is mapped over the frames: the videos advance
in lockstep, still images are broadcast to every frame, and each image or mask output
becomes a video (each data output a :class:`~imgfusion.video.frames.PerFrame` series).
Nothing is computed until the result is iterated (by ``save_video``, ``video_style``
...), so a clip streams through the pipeline one frame at a time.  Inputs of kind
``video`` (the video operators' own) receive the video whole.

Operators that write a file per call (an ``OutputPath`` parameter: ``save``) are not
mapped: a video needs ``save_video``.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Mapping

import numpy as np

from ..errors import ParameterError
from ..operators import Operator, OutputPath
from .frames import PerFrame, Video

MAPPED_KINDS = ("image", "mask", "any")


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
    if not video_inputs(op, inputs):
        return op.call(inputs, params, context)
    return map_over_frames(op, inputs, params, context)


def _check_mappable(op: Operator, names: list[str]) -> None:
    writes = [p.name for p in op.params if p.type is OutputPath]
    if writes:
        hint = " use save_video" if op.name == "save" else ""
        raise ParameterError(names[0], f"{op.name} writes one file ({writes[0]}) per call and "
                                       f"cannot run on every frame of a video;{hint}")


def _lockstep_length(videos: list[tuple[str, Video]]) -> int | None:
    counts = {name: v.frames for name, v in videos if v.frames is not None}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{n}: {c}" for n, c in counts.items())
        raise ParameterError(videos[-1][0], f"videos advanced in lockstep must have the same "
                                            f"number of frames; got {listed}")
    return next(iter(counts.values()), None)


def _frame_value(value: Any, spec_kind: str) -> Any:
    """Masks arrive H x W and images H x W x C, as the engine converts still inputs."""
    if isinstance(value, np.ndarray):
        if spec_kind == "mask" and value.ndim == 3 and value.shape[2] == 1:
            return value[..., 0]
        if spec_kind == "image" and value.ndim == 2:
            return value[..., None].astype(np.float32, copy=False)
    return value


def _frames(op: Operator, inputs: Mapping[str, Any],
            videos: list[tuple[tuple, Video]]) -> Iterator[dict[str, Any]]:
    """Per frame: the inputs with every video replaced by its current frame."""
    iters = {key: iter(v) for key, v in videos}
    for k in itertools.count():
        current = {key: next(it, None) for key, it in iters.items()}
        ended = [key for key, frame in current.items() if frame is None]
        if len(ended) == len(current):
            return
        if ended:
            raise ParameterError(ended[0][0], f"this video ended after {k} frames while "
                                              "another one running in lockstep went on")
        yield _substitute(op, inputs, current)


def _substitute(op: Operator, inputs: Mapping[str, Any], current: Mapping) -> dict[str, Any]:
    out = {}
    for name, value in inputs.items():
        kind = op.input(name).kind if op.input(name) else "any"
        if isinstance(value, list):
            out[name] = [_frame_value(current.get((name, i), v), kind)
                         for i, v in enumerate(value)]
        else:
            out[name] = _frame_value(current.get((name, None), value), kind)
    return out


def _video_list(op: Operator, inputs: Mapping[str, Any], names: list[str]):
    videos = []
    for name in names:
        value = inputs[name]
        if isinstance(value, list):
            videos += [((name, i), v) for i, v in enumerate(value) if isinstance(v, Video)]
        else:
            videos.append(((name, None), value))
    return videos


def map_over_frames(op: Operator, inputs: Mapping[str, Any], params: Mapping[str, Any],
                    context: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{output: Video or PerFrame}`` computing ``op`` frame by frame on demand."""
    names = video_inputs(op, inputs)
    _check_mappable(op, names)
    videos = _video_list(op, inputs, names)
    n = _lockstep_length([(k[0], v) for k, v in videos])
    lead = videos[0][1]
    quiet = {k: v for k, v in context.items() if k != "progress"}

    def outputs() -> Iterator[dict[str, Any]]:
        for frame_inputs in _frames(op, inputs, videos):
            yield op.call(frame_inputs, params, quiet)

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


# -- validation: what can be known before anything runs ---------------------------------
def _known(step) -> tuple[int | None, tuple[int, int] | None]:
    """Frame count and frame size of a step that makes a video, when its parameters tell."""
    p = step.params
    if step.op.name == "synthetic_video":
        size = p.get("size", (128, 128))
        return int(p.get("frames", 0)) or None, tuple(int(v) for v in size)
    if step.op.name == "load_video":
        try:
            from .reader import _selection, output_size, probe_video

            info = probe_video(p["path"])
            chosen = _selection(info.frames, int(p.get("start", 0)), p.get("stop"),
                                int(p.get("step", 1)))
            return len(chosen), output_size(info.size, p.get("size"))
        except (ParameterError, KeyError, TypeError, ValueError):
            return None, None   # the step's own check reports it
    return None, None


def _mask_problems(step, videos: dict, sizes: dict) -> list[tuple[str, str, str]]:
    """video_style's mask video runs in lockstep with its clip: same count, same size."""
    clip, mask = step.inputs.get("video"), step.inputs.get("mask")
    if step.op.name != "video_style" or mask is None or isinstance(mask, list) \
            or mask.step not in videos or clip is None or isinstance(clip, list):
        return []
    out = []
    n, m = videos.get(clip.step), videos[mask.step]
    if None not in (n, m) and n != m:
        out.append((step.id, "mask", f"the mask video ({mask}) has {m} frames but the clip "
                                     f"({clip}) has {n}; a mask video runs in lockstep with "
                                     f"the clip, frame for frame"))
    hw, mhw = sizes.get(clip.step), sizes.get(mask.step)
    if None not in (hw, mhw) and tuple(hw) != tuple(mhw):
        out.append((step.id, "mask", f"the mask video's frames ({mask}) are {mhw[0]} x "
                                     f"{mhw[1]} but the clip's ({clip}) are {hw[0]} x {hw[1]} "
                                     f"(rows x cols); they must match"))
    return out


def video_problems(steps) -> list[tuple[str, str, str]]:
    """``(step, field, message)`` for video misuse a validated recipe already shows: a
    video into an operator that writes one file per call (``save``), and videos of
    different known lengths advanced in lockstep.  For the recipe validator to call
    after its graph checks (a step is a video when its operator outputs one, or when it
    is mapped over one); and a ``video_style`` mask video whose known frame count or
    size differs from its clip's."""
    videos: dict[str, int | None] = {}
    sizes: dict[str, tuple[int, int] | None] = {}
    problems = []
    for step in steps:
        fed = {}
        for name, value in step.inputs.items():
            spec = step.op.input(name)
            refs = value if isinstance(value, list) else [value]
            if spec is not None and spec.kind in MAPPED_KINDS:
                fed.update({name: videos[r.step] for r in refs if r.step in videos})
        if fed and any(p.type is OutputPath for p in step.op.params):
            name = next(iter(fed))
            hint = "; use save_video" if step.op.name == "save" else ""
            problems.append((step.id, name, f"receives a video, and {step.op.name} writes one "
                                            f"file per call{hint}"))
        counts = {n: c for n, c in fed.items() if c is not None}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{n}: {c}" for n, c in counts.items())
            problems.append((step.id, list(counts)[-1], f"videos advanced in lockstep must "
                                                       f"have the same number of frames; "
                                                       f"got {listed}"))
        problems += _mask_problems(step, videos, sizes)
        if step.op.outputs[0].kind == "video":
            videos[step.id], sizes[step.id] = _known(step)
        elif fed:
            videos[step.id] = next(iter(counts.values()), None)
    return problems
