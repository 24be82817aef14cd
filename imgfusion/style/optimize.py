"""The image-optimisation loop: L-BFGS or Adam, early stop, NaN guard, snapshots, interrupts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch

from ..errors import ImgfusionError
from .options import StyleSchedule

LOSS_NAMES = ("content", "style", "tv", "total")
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
# the most a pixel (image in [0, 1]) moves in one L-BFGS iteration: without a line search
# L-BFGS can take a step thousands of times too long (relu1_1's Gram alone, style weight
# 100 or 1000, 72 px: after its tiny first step, a step of 16 to 75 raised the loss a
# million-fold and 40 iterations ended near where they started); default runs move a
# pixel at most 0.32 in an iteration (six pairs at 128 px, three at 256 px), so they never
# meet it
MAX_STEP = 0.5


class StyleInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during the optimisation, carrying what was reached: ``image``
    (the latest image) and ``history`` (the losses so far).  A KeyboardInterrupt, so
    whoever stops on one (the engine, the CLI: exit 130) stops on this too."""

    def __init__(self, image, history: list[dict]):
        super().__init__("interrupted")
        self.image, self.history = image, history


class NonFiniteLoss(ImgfusionError):
    """The loss became NaN or infinite; ``image`` is the last image with a finite loss."""

    def __init__(self, iteration: int, good_iteration: int | None, image, history):
        where = ("the initial image" if good_iteration is None
                 else f"the image of iteration {good_iteration}")
        super().__init__(f"the loss became NaN or infinite at iteration {iteration}; "
                         f"stopped, keeping {where} (the last one with a finite loss). "
                         f"Lower learning_rate or the loss weights, or use precision: fp32.")
        self.iteration, self.good_iteration = iteration, good_iteration
        self.image, self.history = image, history


@dataclass
class Optimized:
    image: torch.Tensor
    history: list[dict] = field(default_factory=list)
    stopped: str = "iterations"  # iterations | tolerance


def make_optimizer(name: str, x: torch.Tensor, learning_rate: float | None,
                   lbfgs_history: int = 100) -> torch.optim.Optimizer:
    lr = DEFAULT_LR[name] if learning_rate is None else learning_rate
    if name == "lbfgs":
        # one function evaluation per step(), so that every iteration can be observed
        return torch.optim.LBFGS([x], lr=lr, max_iter=1, history_size=lbfgs_history)
    return torch.optim.Adam([x], lr=lr)


@dataclass
class Watch:
    """What one optimisation reports, and where it sits in the run: its iterations are
    ``start`` ... of ``total`` (a pyramid level's), recorded in ``history`` as level
    ``level``; ``progress(done, total, loss=..., level=...)`` and the losses are read back
    every ``sync_every`` iterations; ``on_snapshot(k, x)`` every ``snapshot_every``."""

    progress: Callable[..., None] | None = None
    on_snapshot: Callable[[int, torch.Tensor], None] | None = None
    snapshot_every: int = 0
    sync_every: int = 1
    start: int = 0
    total: int | None = None
    level: int = 0
    history: list[dict] = field(default_factory=list)


class _Loop:
    """The state of one optimisation: the image, the optimiser, the losses not yet read
    back (``pending``) and the last image with a finite loss (``good``)."""

    def __init__(self, x0: torch.Tensor, loss_fn: Callable, schedule: StyleSchedule,
                 watch: Watch):
        self.x = x0.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
        self.opt = make_optimizer(schedule.optimizer, self.x, schedule.learning_rate)
        self.capped = isinstance(self.opt, torch.optim.LBFGS)   # see MAX_STEP
        self.loss_fn, self.schedule, self.watch = loss_fn, schedule, watch
        self.total = watch.start + schedule.iterations if watch.total is None else watch.total
        self.pending: list[tuple[int, torch.Tensor]] = []
        self.good = (None, x0.detach().clone())
        self.last_parts: dict[str, torch.Tensor] = {}

    def closure(self) -> torch.Tensor:
        self.opt.zero_grad(set_to_none=True)
        parts = self.loss_fn(self.x)
        parts["total"].backward()
        if not self.x.grad.is_contiguous():  # L-BFGS flattens the gradient with view()
            self.x.grad = self.x.grad.contiguous()
        self.last_parts.update(parts)
        return parts["total"]

    def flush(self, before: torch.Tensor | None) -> None:
        """Move pending losses to the history; raise on the first one that is not finite."""
        if not self.pending:
            return
        history = self.watch.history
        values = torch.stack([v for _, v in self.pending]).detach().double().cpu().tolist()
        for (k, _), row in zip(self.pending, values):
            if not all(math.isfinite(v) for v in row):
                self.pending.clear()
                raise NonFiniteLoss(k, self.good[0], self.good[1], history)
            history.append({"iteration": k, "level": self.watch.level,
                            **dict(zip(LOSS_NAMES, row))})
        if before is not None:
            self.good = (self.pending[-1][0], before)
        self.pending.clear()

    def step(self, k: int) -> bool:
        """Iteration ``k``; True when the early stop says to stop."""
        w = self.watch
        done = k - w.start + 1
        sync = done % w.sync_every == 0 or done == self.schedule.iterations
        start = self.x.detach().clone() if sync or self.capped else None
        before = start if sync else None
        self.opt.step(self.closure)
        if self.capped:
            self._cap_step(start)
        self.pending.append((k, torch.stack([torch.as_tensor(self.last_parts[n],
                                                             device=self.x.device)
                                             .detach().float() for n in LOSS_NAMES])))
        if sync and self._synced(k, before):
            return True
        if w.snapshot_every and w.on_snapshot is not None and (k + 1) % w.snapshot_every == 0:
            w.on_snapshot(k + 1, self.x.detach())
        return False

    def _cap_step(self, start: torch.Tensor) -> None:
        """Shorten an L-BFGS step that moved a pixel more than :data:`MAX_STEP` to that
        length, and the optimiser's record of its step length with it (its next curvature
        pair then measures the step taken)."""
        delta = self.x.detach() - start
        largest = float(delta.abs().max())
        if largest > MAX_STEP:
            factor = MAX_STEP / largest
            with torch.no_grad():
                self.x.copy_(start + delta * factor)
            state = self.opt.state[self.x]
            state["t"] = state["t"] * factor

    def _synced(self, k: int, before: torch.Tensor) -> bool:
        """Read the losses back, report progress; whether the loss has converged."""
        w, s = self.watch, self.schedule
        self.flush(before)
        if w.progress is not None:
            w.progress(k + 1, self.total, loss=w.history[-1]["total"], level=w.level)
        return s.tolerance > 0 and _converged(w.history, s.window, s.tolerance, w.start)


def optimize(x0: torch.Tensor, loss_fn: Callable[[torch.Tensor], Mapping[str, torch.Tensor]],
             schedule: StyleSchedule = StyleSchedule(), watch: Watch | None = None) -> Optimized:
    """Minimise ``loss_fn(x)["total"]`` over the image ``x``, starting from ``x0``.

    ``loss_fn`` returns a mapping with "content", "style", "tv" and "total";
    ``schedule`` gives the optimiser, its step, the iterations and the early stop (its
    ``pyramid`` is the caller's).  Iteration k is one loss-and-gradient evaluation; the
    history records the losses of the image each iteration started from.  Loss values
    are read back from the device every ``watch.sync_every`` iterations only (so the
    closure never waits for the device); the NaN check, the early stop and the progress
    callback run then.  Early stop: the relative change of the total loss over the last
    ``window`` iterations is below ``tolerance`` (0 disables it).

    Raises :class:`NonFiniteLoss` with the last finite image, and turns a
    ``KeyboardInterrupt`` into :class:`StyleInterrupted` with the latest image and history.
    """
    watch = Watch() if watch is None else watch
    loop = _Loop(x0, loss_fn, schedule, watch)
    stopped = "iterations"
    try:
        for k in range(watch.start, watch.start + schedule.iterations):
            if loop.step(k):
                stopped = "tolerance"
                break
    except KeyboardInterrupt as exc:
        try:
            loop.flush(None)
        except NonFiniteLoss:
            pass
        raise StyleInterrupted(loop.x.detach().clone(), watch.history) from exc
    return Optimized(loop.x.detach(), watch.history, stopped)


def _converged(history: list[dict], window: int, tolerance: float, start: int) -> bool:
    recent = [h["total"] for h in history if h["iteration"] >= start]
    if len(recent) <= window:
        return False
    old, new = recent[-1 - window], recent[-1]
    return abs(old - new) <= tolerance * max(abs(old), 1e-30)
