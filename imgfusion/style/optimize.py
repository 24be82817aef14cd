"""The image-optimisation loop: L-BFGS or Adam, early stop, NaN guard, snapshots, interrupts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch

from ..errors import ImgfusionError

LOSS_NAMES = ("content", "style", "tv", "total")
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}


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


def optimize(x0: torch.Tensor, loss_fn: Callable[[torch.Tensor], Mapping[str, torch.Tensor]], *,
             optimizer: str = "lbfgs", learning_rate: float | None = None, iterations: int = 500,
             tolerance: float = 0.0, window: int = 50, snapshot_every: int = 0,
             on_snapshot: Callable[[int, torch.Tensor], None] | None = None,
             progress: Callable[..., None] | None = None, sync_every: int = 1,
             start: int = 0, total: int | None = None, level: int = 0,
             history: list[dict] | None = None) -> Optimized:
    """Minimise ``loss_fn(x)["total"]`` over the image ``x``, starting from ``x0``.

    ``loss_fn`` returns a mapping with "content", "style", "tv" and "total".
    Iteration k is one loss-and-gradient evaluation; the history records the
    losses of the image each iteration started from.  Loss values are read back
    from the device every ``sync_every`` iterations only (so the closure never waits
    for the device); the NaN check, the early stop and the progress callback run
    then.  Early stop: the relative change of the total loss over the last
    ``window`` iterations is below ``tolerance`` (0 disables it).

    Raises :class:`NonFiniteLoss` with the last finite image, and turns a
    ``KeyboardInterrupt`` into :class:`StyleInterrupted` with the latest image and history.
    """
    x = x0.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer(optimizer, x, learning_rate)
    history = [] if history is None else history
    total = start + iterations if total is None else total
    pending: list[tuple[int, torch.Tensor]] = []
    good = (None, x0.detach().clone())
    last_parts: dict[str, torch.Tensor] = {}

    def closure():
        opt.zero_grad(set_to_none=True)
        parts = loss_fn(x)
        parts["total"].backward()
        if not x.grad.is_contiguous():  # L-BFGS flattens the gradient with view()
            x.grad = x.grad.contiguous()
        last_parts.update(parts)
        return parts["total"]

    def flush(before: torch.Tensor | None) -> None:
        """Move pending losses to the history; raise on the first one that is not finite."""
        nonlocal good
        if not pending:
            return
        values = torch.stack([v for _, v in pending]).detach().double().cpu().tolist()
        for (k, _), row in zip(pending, values):
            if not all(math.isfinite(v) for v in row):
                pending.clear()
                raise NonFiniteLoss(k, good[0], good[1], history)
            history.append({"iteration": k, "level": level, **dict(zip(LOSS_NAMES, row))})
        if before is not None:
            good = (pending[-1][0], before)
        pending.clear()

    stopped = "iterations"
    try:
        for k in range(start, start + iterations):
            done = k - start + 1
            sync = done % sync_every == 0 or done == iterations
            before = x.detach().clone() if sync else None
            opt.step(closure)
            pending.append((k, torch.stack([torch.as_tensor(last_parts[n], device=x.device)
                                            .detach().float() for n in LOSS_NAMES])))
            if sync:
                flush(before)
                if progress is not None:
                    progress(k + 1, total, loss=history[-1]["total"], level=level)
                if tolerance > 0 and _converged(history, window, tolerance, start):
                    stopped = "tolerance"
                    break
            if snapshot_every and on_snapshot is not None and (k + 1) % snapshot_every == 0:
                on_snapshot(k + 1, x.detach())
    except KeyboardInterrupt as exc:
        try:
            flush(None)
        except NonFiniteLoss:
            pass
        raise StyleInterrupted(x.detach().clone(), history) from exc
    return Optimized(x.detach(), history, stopped)


def _converged(history: list[dict], window: int, tolerance: float, start: int) -> bool:
    recent = [h["total"] for h in history if h["iteration"] >= start]
    if len(recent) <= window:
        return False
    old, new = recent[-1 - window], recent[-1]
    return abs(old - new) <= tolerance * max(abs(old), 1e-30)
