"""One training loop for every trained network: progress, checkpoints, resume, Ctrl-C,
validation, a loss plot; seeded and deterministic on the CPU.

The API
-------
A network's trainer describes one training run as a *spec*, any object with

``modules``: ``dict[str, torch.nn.Module]``
    what is trained (and saved in checkpoints), already on its device;
``optimizer``: ``torch.optim.Optimizer`` or ``dict[str, Optimizer]``
    saved in checkpoints with the modules;
``step(index: int) -> dict[str, float]``
    one training step (zero the gradients, forward, backward, optimizer step);
    ``index`` counts from 0 and is the same after a resume, so draw the step's
    random choices from a generator seeded with ``(seed, index)`` or from
    ``generators``; returns the losses to show and record (plain floats);
``validate() -> dict[str, float]`` (optional)
    losses on the validation split; called under ``torch.no_grad()`` with the
    modules in ``eval()`` mode (back to ``train()`` afterwards);
``stop(step: int) -> bool`` (optional)
    asked after each periodic validation, with the steps done: True ends training
    there (early stopping; the result's ``stopped`` says so);
``generators``: ``dict[str, torch.Generator]`` (optional)
    random generators whose state a checkpoint keeps;
``signature``: ``dict`` (optional, JSON values)
    the settings that make a run what it is (architecture, data, learning rate,
    seed): a checkpoint whose signature differs is refused on resume;
``extra_state() -> dict`` and ``load_extra_state(dict)`` (optional)
    what else the run keeps between steps (tensors, numbers, strings), saved in
    checkpoints and given back on resume (an early stop's best network so far).

and :func:`train` runs it::

    result = train(spec, steps=2000, checkpoint="out/ckpt.pt", checkpoint_every=200,
                   resume=True, validate_every=100, progress=None, plot="out/loss.png")

``checkpoint``
    a file (written atomically with ``torch.save``, read back with
    ``torch.load(weights_only=True)``: no code runs) holding the modules, the
    optimisers, the step count, the random states (torch's global CPU and CUDA
    ones, ``generators``) and the loss histories; written every
    ``checkpoint_every`` steps (0: only at the end and on an interrupt), at the end,
    and on Ctrl-C.  An existing checkpoint is continued with ``resume=True``,
    replaced with ``overwrite=True``, and otherwise an error (never replaced unasked).
``resume``
    continue from ``checkpoint`` when it exists (from scratch when it does not); a
    resumed CPU run gives bit for bit the modules an uninterrupted one gives (a run
    its ``stop`` ended is asked again, and goes on only if it now says so).
``progress``
    ``None``: a tqdm bar on stderr (off when stderr is not a terminal) with the
    current losses (``total`` shown as ``loss``); ``False``: none; or the engine's
    ``progress(done, total, **info)``.
``plot``
    PNG of the training and validation losses against step, written at the end
    (and on an interrupt).

Ctrl-C (SIGINT, and the CLI's SIGTERM) during a step is held until the step ends,
so the checkpoint written then is a consistent state (a second Ctrl-C stops at
once, keeping the last periodic checkpoint); then :class:`TrainingInterrupted`, a
``KeyboardInterrupt``, is raised with the history and the checkpoint path.  A loss
that is not finite stops the run with :class:`NonFiniteTraining` (the last
checkpoint is kept, not replaced).  :func:`train` returns a :class:`TrainResult`.
"""
from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import torch

from ..errors import ImgfusionError, ParameterError

CHECKPOINT_FORMAT = 1


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped training after ``step`` steps; ``checkpoint`` is the file
    saved then (None without a checkpoint path), ``history`` the losses so far."""

    def __init__(self, step: int, checkpoint: Path | None, history: list[dict]):
        where = f"; checkpoint saved to {checkpoint}" if checkpoint else ""
        super().__init__(f"training interrupted after {step} steps{where}")
        self.step, self.checkpoint, self.history = step, checkpoint, history


class NonFiniteTraining(ImgfusionError):
    """A training loss became NaN or infinite."""

    def __init__(self, step: int, losses: Mapping[str, float]):
        super().__init__(f"a training loss became NaN or infinite at step {step} ({losses}); "
                         "lower the learning rate or the loss weights")
        self.step = step


@dataclass
class TrainResult:
    """What :func:`train` did: ``steps`` done in all (resumed ones included), per-step
    ``history`` and ``validation`` rows (``{"step": n, **losses}``, n = steps done),
    ``seconds`` of this call, the step it ``resumed_from`` (None: from scratch), whether
    the spec ``stopped`` it before ``steps``."""

    steps: int
    history: list[dict] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    resumed_from: int | None = None
    checkpoint: Path | None = None
    plot: Path | None = None
    stopped: bool = False

    def last(self, name: str = "total", split: str = "train") -> float | None:
        rows = self.history if split == "train" else self.validation
        values = [r[name] for r in rows if name in r]
        return values[-1] if values else None


# -- what a checkpoint holds ----------------------------------------------------------
def _optimizers(spec) -> dict[str, torch.optim.Optimizer]:
    opt = spec.optimizer
    return dict(opt) if isinstance(opt, Mapping) else {"optimizer": opt}


def _signature(spec) -> dict:
    return dict(getattr(spec, "signature", None) or {})


def _rng_state(spec) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(),
             "generators": {k: g.get_state() for k, g in
                            (getattr(spec, "generators", None) or {}).items()}}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(spec, state: Mapping[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    for name, g in (getattr(spec, "generators", None) or {}).items():
        if name in state["generators"]:
            g.set_state(state["generators"][name])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_state(spec, step: int, history: list, validation: list,
                     stopped: bool = False) -> dict[str, Any]:
    """The checkpoint of ``spec`` after ``step`` steps (tensors, numbers and strings only);
    ``stopped``: the spec's ``stop`` ended the run there."""
    extra = getattr(spec, "extra_state", None)
    return {"format": CHECKPOINT_FORMAT, "step": int(step), "signature": _signature(spec),
            "modules": {k: m.state_dict() for k, m in spec.modules.items()},
            "optimizers": {k: o.state_dict() for k, o in _optimizers(spec).items()},
            "rng": _rng_state(spec), "history": list(history), "validation": list(validation),
            "stopped": bool(stopped), "extra": extra() if callable(extra) else {}}


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (our own file: replaced each time)."""
    from ..paths import atomic_write

    atomic_write(path, lambda f: torch.save(state, f), overwrite=True)
    return path


def read_checkpoint(path: Path, field: str = "checkpoint") -> dict[str, Any]:
    """A checkpoint read back with ``weights_only=True`` (no code runs); ParameterError if
    it is not one of ours."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - unpickling errors have no common class
        raise ParameterError(field, f"{path} is not a readable training checkpoint: "
                                    f"{type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ParameterError(field, f"{path} is not an imgfusion training checkpoint of "
                                    f"format {CHECKPOINT_FORMAT}")
    return state


def restore(spec, state: Mapping[str, Any], path: Path, field: str = "checkpoint") -> int:
    """Load ``state`` into ``spec``; the number of steps it had done."""
    if state["signature"] != _signature(spec):
        changed = sorted(k for k in set(state["signature"]) | set(_signature(spec))
                         if state["signature"].get(k) != _signature(spec).get(k))
        raise ParameterError(field, f"{path} is another training run's checkpoint (different "
                                    f"{', '.join(changed)}); train with its settings, or set "
                                    "resume: false and overwrite: true to start again")
    try:
        for name, module in spec.modules.items():
            module.load_state_dict(state["modules"][name])
        for name, opt in _optimizers(spec).items():
            opt.load_state_dict(state["optimizers"][name])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ParameterError(field, f"{path} does not fit this network: "
                                    f"{str(exc)[:300]}") from None
    _set_rng_state(spec, state["rng"])
    load = getattr(spec, "load_extra_state", None)
    if callable(load):
        load(state.get("extra") or {})
    return int(state["step"])


# -- Ctrl-C held until the step ends ----------------------------------------------------
@contextlib.contextmanager
def _signals_held() -> Iterator[Callable[[], None]]:
    """While open, SIGINT and SIGTERM are recorded, not acted on; the callable yielded
    acts on a recorded one (runs its previous handler, which raises).  A second signal
    acts at once.  Outside the main thread signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    pending: list[tuple[int, Any]] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def act(signum: int, frame: Any) -> None:
        handler = previous[signum]
        signal.signal(signum, handler if callable(handler) else signal.SIG_DFL)
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL and signum == signal.SIGINT:
            raise KeyboardInterrupt
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)

    def hold(signum: int, frame: Any) -> None:
        if pending:
            act(signum, frame)
        pending.append((signum, frame))

    def release() -> None:
        if pending:
            act(*pending[0])

    for s in previous:
        if previous[s] != signal.SIG_IGN:
            signal.signal(s, hold)
    try:
        yield release
    finally:
        for s, handler in previous.items():
            if handler is not None:
                signal.signal(s, handler)


# -- the loop -------------------------------------------------------------------------
@dataclass
class _Run:
    spec: Any
    steps: int
    checkpoint: Path | None
    checkpoint_every: int
    validate_every: int
    show: Callable[..., None]
    history: list = field(default_factory=list)
    validation: list = field(default_factory=list)
    done: int = 0
    in_step: bool = False  # inside spec.step(): the state may be half updated
    stopped: bool = False  # the spec asked to stop after a validation

    def save(self) -> None:
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, checkpoint_state(
                self.spec, self.done, self.history, self.validation, self.stopped))

    def validate(self) -> None:
        if not callable(getattr(self.spec, "validate", None)):
            return
        modes = {k: m.training for k, m in self.spec.modules.items()}
        for m in self.spec.modules.values():
            m.eval()
        try:
            with torch.no_grad():
                losses = {k: float(v) for k, v in self.spec.validate().items()}
        finally:
            for k, m in self.spec.modules.items():
                m.train(modes[k])
        self.validation.append({"step": self.done, **losses})

    def one_step(self) -> None:
        self.in_step = True
        losses = {k: float(v) for k, v in self.spec.step(self.done).items()}
        self.in_step = False
        if not all(math.isfinite(v) for v in losses.values()):
            raise NonFiniteTraining(self.done + 1, losses)
        self.done += 1
        self.history.append({"step": self.done, **losses})
        if self.validate_every and self.done % self.validate_every == 0:
            self.validate()
            stop = getattr(self.spec, "stop", None)
            self.stopped = callable(stop) and bool(stop(self.done))
        if self.checkpoint_every and self.done % self.checkpoint_every == 0:
            self.save()
        info = dict(losses)
        if self.validation and self.validation[-1]["step"] == self.done:
            info.update({f"val_{k}": v for k, v in self.validation[-1].items() if k != "step"})
        self.show(self.done, self.steps, **_shown(info))


def _shown(info: dict[str, float]) -> dict[str, float]:
    """Loss names as progress keywords: ``total`` (the progress callback's own argument)
    is shown as ``loss``, as the style optimisation shows it."""
    return {("loss" if k == "total" else f"{k}_loss" if k == "done" else k): v
            for k, v in info.items()}


def _progress(progress, desc: str):
    """(callable(done, total, **info), close)."""
    if progress is False:
        return (lambda *a, **k: None), (lambda: None)
    if callable(progress):
        return progress, (lambda: None)
    from tqdm import tqdm

    bar = tqdm(total=None, desc=desc, unit="step", file=sys.stderr, disable=None,
               dynamic_ncols=True)

    def show(done: int, total: int, **info) -> None:
        bar.total, bar.n = total, done
        bar.set_postfix({k: f"{v:.4g}" for k, v in info.items()}, refresh=False)
        bar.refresh()
    return show, bar.close


def _start(run: _Run, resume: bool, overwrite: bool) -> int | None:
    """Resume from the checkpoint, or refuse to replace one unasked; the step resumed."""
    path = run.checkpoint
    if path is None or not path.exists():
        return None
    if resume:
        state = read_checkpoint(path)
        run.done = restore(run.spec, state, path)
        run.history, run.validation = list(state["history"]), list(state["validation"])
        stop = getattr(run.spec, "stop", None)   # asked again: its settings may have changed
        run.stopped = bool(state.get("stopped")) and callable(stop) and bool(stop(run.done))
        return run.done
    if not overwrite:
        raise ParameterError("checkpoint", f"{path} already exists; set resume: true to "
                                           "continue that run, or overwrite: true to start "
                                           "again")
    return None


def train(spec, *, steps: int, checkpoint: str | Path | None = None, checkpoint_every: int = 0,
          resume: bool = False, overwrite: bool = False, validate_every: int = 0,
          progress: Callable[..., None] | bool | None = None, plot: str | Path | None = None,
          desc: str = "training") -> TrainResult:
    """Train ``spec`` (see the module docstring) until ``steps`` steps are done in all."""
    if int(steps) < 1:
        raise ParameterError("steps", f"must be >= 1, got {steps!r}")
    show, close = _progress(progress, desc)
    run = _Run(spec, int(steps), None if checkpoint is None else Path(checkpoint),
               int(checkpoint_every), int(validate_every), show)
    resumed = _start(run, resume, overwrite)
    for m in spec.modules.values():
        m.train()
    t0 = time.perf_counter()
    try:
        _loop(run, plot)
    finally:
        close()
    if not run.validation or run.validation[-1]["step"] != run.done:
        run.validate()
    run.save()
    result = TrainResult(run.done, run.history, run.validation, time.perf_counter() - t0,
                         resumed, run.checkpoint, stopped=run.stopped)
    result.plot = _plot(result, plot)
    return result


def _loop(run: _Run, plot) -> None:
    """The steps; on Ctrl-C between steps a checkpoint (and the plot), then
    :class:`TrainingInterrupted`.  Interrupted inside a step (a second Ctrl-C), the
    half-updated state is not saved: the last periodic checkpoint stays."""
    try:
        with _signals_held() as release:
            while run.done < run.steps and not run.stopped:
                run.one_step()
                release()
    except KeyboardInterrupt as exc:
        saved = None
        if not run.in_step:
            run.save()
            saved = run.checkpoint
            _plot(TrainResult(run.done, run.history, run.validation), plot)
        raise TrainingInterrupted(run.done, saved, run.history) from exc


def _plot(result: TrainResult, plot) -> Path | None:
    if plot is None or not result.history:
        return None
    from ..style.plot import plot_training_history

    return plot_training_history(result.history, result.validation, plot)
