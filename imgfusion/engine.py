"""Runs a validated recipe: step order, sweeps, progress, run.json.

Steps run in recipe order, which validation has checked is a dependency order
(every reference points to an earlier step).  A step with ``sweep:`` runs once
per combination of values; a step fed by a swept step runs once per upstream
variant; an operator with a ``many`` input (``contact_sheet``) receives all
variants at once, with their labels.
"""
from __future__ import annotations

import functools
import json
import os
import platform
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
from tqdm import tqdm

from .devices import device_name, unavailable_devices
from .errors import ImgfusionError, RecipeError, StepFailed, UsageError, did_you_mean
from .operators import Input, InputPath, OutputPath
from .paths import (RUN_RECORD, WriteSession, atomic_write, is_sample, next_record, stamps,
                    write_session)
from .per_frame import as_kind, call_operator
from .plan import variant_path
from .recipe.model import Recipe, Ref, Step


@dataclass
class Variant:
    labels: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class RunResult:
    results: dict[str, list[Variant]]
    written: list[str]
    report: dict[str, Any]
    report_path: Path | None = None

    def output(self, step: str, name: str | None = None, index: int = 0) -> Any:
        variant = self.results[step][index]
        return variant.outputs[name] if name else next(iter(variant.outputs.values()))


# Who hears the run's events besides the bars (the workbench): ``observer(event)`` with
# {"event": "step", "step", "op"} as each step starts and {"event": "progress", "step",
# "done", "total", **info} as an operator reports.  An exception it raises stops the run there.
_OBSERVER: ContextVar[Callable[[dict], None] | None] = ContextVar("imgfusion_observer",
                                                                  default=None)


def _tell(event: dict) -> None:
    observer = _OBSERVER.get()
    if observer is not None:
        observer(event)


@dataclass
class _Progress:
    """The nested progress bar handed to long operators as ``progress(done, total, **info)``."""

    desc: str
    disable: bool | None
    bar: Any = field(default=None)

    def __call__(self, done: int, total: int | None = None, **info: Any) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.desc, position=1, leave=False,
                            file=sys.stderr, disable=self.disable, dynamic_ncols=True)
        if total is not None:
            self.bar.total = total
        self.bar.n = done
        if info:
            self.bar.set_postfix({k: _short(v) for k, v in info.items()}, refresh=False)
        self.bar.refresh()
        _tell({"event": "progress", "step": self.desc.strip(), "done": done, "total": total,
               **info})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _short(v: Any) -> Any:
    return f"{v:.4g}" if isinstance(v, float) else v


def run_recipe(recipe: Recipe, *, progress: bool | None = None, write_report: bool = True,
               until: str | None = None,
               observer: Callable[[dict], None] | None = None) -> RunResult:
    """Run every step (or those up to and including step ``until``); return the outputs,
    the files written and the report.

    ``progress`` None shows bars only when stderr is a terminal.  On a failing
    operator raises :class:`StepFailed` (outputs already saved stay, temporary
    files are gone); on Ctrl-C lets ``KeyboardInterrupt`` through; run.json is
    written in every case, with the status, the error, the device really used and
    every file written (side files such as snapshots and loss plots included).
    ``observer(event)`` hears each step start and each operator's progress (see
    :data:`_OBSERVER`).
    """
    problems = unavailable_devices(recipe)
    if problems:   # before anything runs: exit 2, nothing written
        raise RecipeError(problems)
    token = _OBSERVER.set(observer)
    try:
        return _run(recipe, progress, write_report, until)
    finally:
        _OBSERVER.reset(token)


def _run(recipe: Recipe, progress: bool | None, write_report: bool,
         until: str | None) -> RunResult:
    disable = None if progress is None else not progress
    written: list[str] = []
    report: dict[str, Any] = {
        "status": "running",
        "recipe": recipe.raw,
        "recipe_path": str(recipe.path) if recipe.path else None,
        "device": "cpu",
        "device_requested": recipe.device,
        "seed": recipe.seed,
        "versions": dict(versions()),
        "steps": [],
    }
    result = RunResult({}, written, report)
    protect = [*recipe.input_files, recipe.out_dir / RUN_RECORD]
    steps = steps_until(recipe, until)
    outer = tqdm(total=sum(len(s.variants) for s in steps), desc="recipe", unit="step",
                 file=sys.stderr, disable=disable, dynamic_ncols=True)
    report["until"] = until
    try:
        with write_session(recipe.out_dir, protect) as session:
            for step in steps:
                outer.set_description(f"{step.id} ({step.op.name})")
                _tell({"event": "step", "step": step.id, "op": step.op.name})
                _run_step(recipe, step, result, session, disable, outer)
        report["status"] = "ok"
    except KeyboardInterrupt as exc:
        report["status"] = "interrupted"
        exc.written = _kept(written)   # a step's temporary files went with it
        raise
    except ImgfusionError as exc:
        report["status"] = "failed"
        report["error"] = str(exc)
        exc.written = _kept(written)   # what the steps before it wrote stays, and is listed
        raise
    finally:
        outer.close()
        written[:] = _kept(written)
        report["written"] = list(written)
        report["stamps"] = stamps(written)
        if write_report:
            result.report_path = write_run_json(recipe.out_dir, report)
    return result


def steps_until(recipe: Recipe, until: str | None) -> tuple[Step, ...]:
    """The recipe's steps up to and including the one with id ``until`` (None: all)."""
    ids = [s.id for s in recipe.steps]
    if until is None:
        return recipe.steps
    if until not in ids:
        hint = did_you_mean(until, ids)
        raise UsageError(f"--until: no step {until!r} in the recipe"
                         + (f"; did you mean {hint!r}?" if hint else f" (steps: {', '.join(ids)})"))
    return recipe.steps[:ids.index(until) + 1]


def _run_step(recipe: Recipe, step: Step, result: RunResult, session: WriteSession,
              disable: bool | None, outer) -> None:
    """Run every variant of ``step``, recording times, device and files in the report."""
    entry: dict[str, Any] = {"id": step.id, "op": step.op.name,
                             "params": _jsonable(step.params), "variants": []}
    result.report["steps"].append(entry)
    result.results[step.id] = []
    device = None
    if "device" in step.op.context:
        try:
            device = device_name(step.device or recipe.device)
        except ImgfusionError as exc:
            raise StepFailed(step.id, step.op.name, exc) from exc
        entry["device"] = result.report["device"] = device
    for labels in step.variants:
        t0 = time.perf_counter()
        before = len(session.written)
        try:
            variant = _run_variant(recipe, step, labels, result.results, disable, device)
        finally:  # what a failing variant wrote (a NaN-rescue image, say) is listed too
            files = list(session.written[before:])
            _add_files(result.written, files)
        result.results[step.id].append(variant)
        files += [str(Path(v).absolute()) for o, v in zip(step.op.outputs,
                                                         variant.outputs.values())
                  if o.kind == "data" and isinstance(v, (str, os.PathLike))
                  and Path(v).is_file() and str(Path(v).absolute()) not in files]
        _add_files(result.written, files)
        entry["variants"].append({"labels": _jsonable(labels),
                                  "seconds": round(time.perf_counter() - t0, 4),
                                  "files": files})
        outer.update()
    entry["seconds"] = round(sum(v["seconds"] for v in entry["variants"]), 4)


def _kept(written: list[str]) -> list[str]:
    """The files of ``written`` still there: a stopped step's temporary ones are gone (an
    interrupted save_video listed 809 frames of its removed .part folder)."""
    return [p for p in written if os.path.lexists(p)]


def _add_files(written: list[str], files: list[str]) -> None:
    written.extend(f for f in files if f not in written)


def _run_variant(recipe: Recipe, step: Step, labels: dict[str, Any],
                 results: Mapping[str, list[Variant]], disable: bool | None,
                 device: str | None = None) -> Variant:
    inputs: dict[str, Any] = {}
    many_labels: list[dict[str, Any]] | None = None
    for name, value in step.inputs.items():
        spec = step.op.input(name)
        if spec.many:
            images, many_labels = _gather_many(value, results, spec)
            inputs[name] = images
        else:
            inputs[name] = as_kind(_pick(value, labels, results), spec.kind)
    params = dict(step.params)
    params.update({k: labels[k] for k in step.sweep})
    for p in step.op.params:
        if p.type is OutputPath and params.get(p.name) is not None:
            params[p.name] = OutputPath(variant_path(params[p.name], labels))
        elif p.type is InputPath and p.name in step.sweep and not is_sample(params[p.name]):
            params[p.name] = InputPath((recipe.base_dir / params[p.name]).resolve())
    progress = _Progress(f"  {step.id}", disable)
    context = {
        "device": device or step.device or recipe.device,
        "seed": step.seed if step.seed is not None else recipe.seed,
        "progress": progress,
        "workdir": recipe.out_dir,
        "labels": many_labels,
        "protect": frozenset([*recipe.input_files, recipe.out_dir / RUN_RECORD]),
    }
    try:
        outputs = call_operator(step.op, inputs, params, {**context, "step": step.id})
    except StepFailed:   # a video step computed frame by frame as this one reads it
        raise
    except Exception as exc:  # KeyboardInterrupt passes through untouched
        raise StepFailed(step.id, step.op.name, exc) from exc
    finally:
        progress.close()
    return Variant(labels, outputs)


def _value(ref: Ref, variant: Variant) -> Any:
    return variant.outputs[ref.output] if ref.output else next(iter(variant.outputs.values()))


def _pick(ref: Ref, labels: Mapping[str, Any], results: Mapping[str, list[Variant]]) -> Any:
    variants = results[ref.step]
    if len(variants) == 1:
        return _value(ref, variants[0])
    for v in variants:
        if all(k in labels and labels[k] == val for k, val in v.labels.items()):
            return _value(ref, v)
    raise RuntimeError(f"no variant of step {ref.step} matches {labels}")


def _gather_many(refs: list[Ref], results, spec: Input):
    images, labels = [], []
    for ref in refs:
        for v in results[ref.step]:
            images.append(as_kind(_value(ref, v), spec.kind))
            tag = {"step": ref.step} if len(refs) > 1 or not v.labels else {}
            labels.append({**tag, **v.labels})
    return images, labels


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    return str(value)


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    """Package versions for run.json; read once per process (package metadata is slow to
    scan, about 90 ms, which dominated a cheap batch item)."""
    out: dict[str, str | None] = {"python": platform.python_version(),
                                  "platform": platform.platform()}
    for dist in ("imgfusion", "numpy", "scipy", "scikit-image", "torch", "torchvision",
                 "pluggy", "imageio", "pyamg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def write_run_json(folder: Path, report: Mapping[str, Any]) -> Path:
    """Write the run record atomically into ``folder``: ``run.json``, the earlier one kept
    (:func:`imgfusion.paths.next_record`; no file is ever replaced)."""
    path = next_record(folder)
    text = json.dumps(_jsonable(report), indent=2) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), overwrite=False)
    return path
