"""What ``train_fast_style`` reports and keeps once its loop has run: the network
within the content budget (:mod:`~imgfusion.trained.fast_budget`), the balance verdict
on the held-out images (:mod:`~imgfusion.trained.fast_balance`) and the report."""
from __future__ import annotations

import logging

from .fast_balance import announce, balance, held_out_figures

LOG = logging.getLogger("imgfusion.trained.fast_train")


def balance_entry(result, data, model, style_rgb, spec, losses, step: int) -> dict | None:
    """The balance verdict on the held-out images (None without any), logged.  When the
    content budget handed back the untrained network (``step`` 0 of a run that trained),
    the trained ones lost the photos: style dominated, whatever the photo itself shows."""
    if not data.validation:
        return None
    figures = held_out_figures(spec.loss, model, data.validation, style_rgb)
    weights = {"style_weight": losses.style_weight, "content_weight": losses.content_weight}
    entry = balance(result.history, result.validation, figures, weights, spec.budget,
                    result.steps)
    if step == 0 and result.steps > 0:   # the budget's warning has said so already
        sw = losses.style_weight
        entry.update(dominates="style", advice=(
            "style dominates: every trained network lost more of the held-out photos than "
            f"content_budget allows, so the model is the untrained one; lower style_weight "
            f"(now {sw:g}, try {sw / 3:.3g}) or learning_rate, or raise content_budget"))
        LOG.info(f"train_fast_style: {entry['advice']}")
        return entry
    LOG.info(announce(entry))
    return entry


def within_budget(spec, result) -> tuple[dict, int]:
    """The network put back to the one the content budget kept (stopped: the last within
    it, when the run went past it; held: the least style within it), measured once more
    at the end unless the budget stopped the run or a check just measured that step (the
    multiplier left as training used it); the record, and the step of the network kept."""
    if not result.stopped and result.steps not in (spec.budget.kept_step,
                                                   spec.budget.last_step):
        spec.budget.check(spec.net, result.steps, move=False)
    step = spec.budget.restore(spec.net, result.steps)
    return {**spec.budget.report(result.stopped), "network_step": step}, step


def at_step(rows: list[dict], step: int) -> dict | None:
    """The last of ``rows`` (loss records with a ``step``) at or before ``step``."""
    earlier = [row for row in rows if row["step"] <= step]
    return earlier[-1] if earlier else None


def training_report(result, data, measures: dict, spec, balance_entry, step: int) -> dict:
    """The training report; ``loss`` and ``validation_loss`` are those of the network kept
    (trained ``step`` steps), ``steps`` the steps run (and in the checkpoint)."""
    return {"balance": balance_entry, "steps": result.steps, "resumed_from": result.resumed_from,
            "seconds": round(result.seconds, 3),
            "seconds_per_step": round(result.seconds / max(1, result.steps -
                                                           (result.resumed_from or 0)), 4),
            "train_images": len(data.train), "validation_images": len(data.validation),
            "size": list(data.size), "device": str(spec.device),
            "loss": at_step(result.history, step),
            "validation_loss": at_step(result.validation, step),
            "held_out": measures,
            "checkpoint": None if result.checkpoint is None else str(result.checkpoint),
            "loss_plot": None if result.plot is None else str(result.plot),
            "loss_history": result.history, "validation_history": result.validation}
