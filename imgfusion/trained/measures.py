"""How good and how fast a feed-forward style model is, on held-out content images, next to
``neural_style``'s optimised result on the same images.

Both results are scored by one :class:`~imgfusion.trained.perceptual.PerceptualLoss`
(the loss ``neural_style`` minimises, with its weights), so the ratio of their total
losses says how close one forward pass comes to an optimisation (goal: within
:data:`LOSS_RATIO_GOAL`), and the ratio of their times per frame how much faster it
is (goal: :data:`SPEEDUP_GOAL`).  Used by ``train_fast_style``'s report (with
``compare_iterations`` > 0) and by ``bench/fast_style.py``.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

LOSS_RATIO_GOAL = 1.5
SPEEDUP_GOAL = 100.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def mean_rows(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each key's mean over ``rows`` (dicts with the same keys); {} for none."""
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} if rows else {}


def timed(run: Callable[[np.ndarray], np.ndarray], images: Sequence[np.ndarray],
          device: torch.device) -> tuple[list[np.ndarray], float]:
    """(results, seconds per image) of ``run`` on each image, after one warm-up call."""
    run(images[0])
    _sync(device)
    t0 = time.perf_counter()
    out = [run(im) for im in images]
    _sync(device)
    return out, (time.perf_counter() - t0) / len(images)


def neural_style_runner(style_rgb: np.ndarray, losses, iterations: int,
                        device: torch.device, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """content -> ``neural_style``'s result with the same losses, ``iterations`` L-BFGS steps."""
    from ..style.options import StyleSchedule
    from ..style.transfer import neural_style

    schedule = StyleSchedule(iterations=int(iterations))
    return lambda im: neural_style(im, style_rgb, losses=losses, schedule=schedule,
                                   device=str(device), seed=seed).image


def compare(model, images: Sequence[np.ndarray], style_rgb: np.ndarray, loss, *,
            losses, iterations: int, device: torch.device,
            seed: int = 0) -> dict[str, Any]:
    """The held-out measures: mean weighted losses and seconds per frame of the model, and,
    when ``iterations`` > 0, of ``neural_style`` on the same images, their ratios, and
    whether the goals are met."""
    if not images:
        return {"images": 0}
    fast, fast_s = timed(lambda im: model(im, device), images, device)
    out: dict[str, Any] = {"images": len(images), "size": list(images[0].shape[:2]),
                           "fast": mean_rows([loss.score(y, x) for y, x in zip(fast, images)]),
                           "fast_seconds_per_frame": fast_s}
    if iterations <= 0:
        return out
    runner = neural_style_runner(style_rgb, losses, iterations, device, seed)
    t0 = time.perf_counter()
    optimised = [runner(im) for im in images]
    ns_s = (time.perf_counter() - t0) / len(images)
    ns = mean_rows([loss.score(y, x) for y, x in zip(optimised, images)])
    ratio = out["fast"]["total"] / max(ns["total"], 1e-30)
    out.update({"neural_style": ns, "neural_style_iterations": int(iterations),
                "neural_style_seconds_per_frame": ns_s, "total_loss_ratio": ratio,
                "speedup": ns_s / max(fast_s, 1e-12),
                "goals": {f"total_loss_within_{LOSS_RATIO_GOAL}x": ratio <= LOSS_RATIO_GOAL,
                          f"at_least_{SPEEDUP_GOAL:g}x_faster":
                              ns_s / max(fast_s, 1e-12) >= SPEEDUP_GOAL}})
    return out
