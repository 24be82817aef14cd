"""Which loss won?  ``train_fast_style``'s verdict on the balance of content and style at
the end of training, and the weight to change.

Read on the held-out images (:mod:`~imgfusion.trained.fast_measures`), where a user sees
the result:

- ``content_share``: the result's content distance over the style image's (0: the photo's
  features kept exactly; 1: as far from the photo as the style image itself is);
- ``style_share``: the result's style distance over the photo's (1: no more style than
  the photo had; 0: the style's Gram matrices exactly);
- ``luminance_ratio``: the result's mean luminance over the photo's;
- ``style_luminance_ratio``: the result's mean luminance over the style image's.

Style dominates when the photo is lost (``content_share`` above :data:`LOST`) or its
brightness collapsed: below :data:`DARK` x the photo's *and* darker than the style image
itself.  (A dark style darkens the photo rightly: ``neural_style``'s own picture of
Chelsea after the Hubble deep field is at 0.19x her brightness, just above the field's
mean; the collapse issue 21 reported, a mean of 16/255, is below it.)  Then lower
``style_weight`` (or raise ``content_weight``).  Content dominates when the style barely
took (``style_share`` above :data:`FAINT`): raise ``style_weight``.  Also reported, from
the training losses: the ratio of the weighted style loss to the weighted content loss
over the last tenth of training, and the held-out content loss over the training one (above
:data:`OVERFIT` the network learnt its training crops more than photos: more crops or
images help, not a weight).  When the held-out photos never reached the content budget
and the style was still gaining at the end, the advice says to train longer instead of
raising ``style_weight`` (:func:`room_left`; not when the network overfit).
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np

LOST = 0.75
DARK = 0.5
FAINT = 0.7
OVERFIT = 1.5


class TrainingBalanceWarning(UserWarning):
    """One loss dominated a feed-forward style training: the photo or the style is lost."""


def tail_mean(rows: Sequence[Mapping[str, float]], name: str) -> float:
    """Mean of ``name`` over the last tenth of ``rows`` (at least one row)."""
    k = max(1, len(rows) // 10)
    values = [r[name] for r in rows[-k:] if name in r]
    return float(np.mean(values)) if values else float("nan")


def held_out_figures(loss, model, images, style_rgb) -> dict[str, float]:
    """Mean content and style shares and luminance ratio of ``model`` on ``images``."""
    from .fast_measures import content_share, distances, style_image_distance

    rows, style_luminance = [], mean_luminance(style_rgb)
    for photo in images:
        out = model(photo, loss.device)
        d, mine = distances(loss, out, photo), distances(loss, photo, photo)
        rows.append({"content_share": content_share(
                         d.content, style_image_distance(loss, photo, style_rgb)),
                     "style_share": d.style / max(mine.style, 1e-12),
                     **brightness(out, photo, style_luminance)})
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def mean_luminance(image: np.ndarray) -> float:
    """An image's mean luminance (at least 1e-12, to divide by)."""
    from ..video.drift import luminance

    return max(float(luminance(image).mean()), 1e-12)


def brightness(out: np.ndarray, photo: np.ndarray, style_luminance: float) -> dict[str, float]:
    """A result's mean luminance over its photo's and over the style image's
    (``style_luminance``, :func:`mean_luminance`): the figures :func:`collapsed` reads."""
    from ..video.drift import luminance
    from .fast_measures import luminance_ratio

    return {"luminance_ratio": luminance_ratio(out, photo),
            "style_luminance_ratio": float(luminance(out).mean()) / style_luminance}


def collapsed(figures: Mapping[str, float]) -> bool:
    """Darker than :data:`DARK` x the photo and than the style image (a figure missing:
    the photo's ratio alone decides)."""
    return (figures["luminance_ratio"] < DARK
            and figures.get("style_luminance_ratio", 0.0) < 1.0)


def verdict(figures: Mapping[str, float], weights: Mapping[str, float],
            longer: str | None = None) -> tuple[str, str]:
    """(which loss dominates: style, content or neither; what to do).  ``longer``
    (:func:`room_left`) replaces the advice to raise ``style_weight``."""
    sw, cw = weights["style_weight"], weights["content_weight"]
    if figures["content_share"] > LOST or collapsed(figures):
        return "style", (f"style dominates: the held-out photos are lost (content share "
                         f"{figures['content_share']:.2f}, brightness x"
                         f"{figures['luminance_ratio']:.2f}); lower style_weight (now "
                         f"{sw:g}, try {sw / 3:.3g}) or raise content_weight (now {cw:g})")
    if figures["style_share"] > FAINT:
        return "content", (f"content dominates: little style on the held-out photos (style "
                           f"share {figures['style_share']:.2f})" + (
                               longer or f"; raise style_weight (now {sw:g}, try {sw * 3:.3g})"))
    return "neither", (f"balanced: content share {figures['content_share']:.2f}, style share "
                       f"{figures['style_share']:.2f}" + (
                           longer or f"; raise style_weight (now {sw:g}) for more style, "
                                     "lower it to keep more of the photo"))


def balance(history, validation, figures: Mapping[str, float], weights: Mapping[str, float],
            budget=None, steps: int = 0) -> dict[str, Any]:
    """The report's ``balance`` entry: the figures, the verdict and the advice (to train
    longer, :func:`room_left`, when ``budget`` says so after ``steps`` and the network
    did not learn its training crops more than photos)."""
    content = tail_mean(history, "content")
    held = validation[-1]["content"] if validation and "content" in validation[-1] else None
    ratio = None if held is None else held / max(content, 1e-12)
    overfit = ratio is not None and ratio > OVERFIT
    dominates, advice = verdict(figures, weights, None if budget is None or overfit
                                else room_left(budget, steps))
    if overfit:
        advice += (f"; the held-out content loss is {ratio:.1f}x the training one: "
                   "more crops or content images")
    return {"dominates": dominates, "advice": advice,
            **{k: round(v, 4) for k, v in figures.items()},
            "style_over_content": tail_mean(history, "style") / max(content, 1e-12),
            "validation_over_training_content": ratio}


def room_left(budget, steps: int) -> str | None:
    """Advice when no periodic check reached the content budget (a share past it, or a
    collapse: :attr:`~imgfusion.trained.fast_budget.ContentBudget.reached`) and the run
    still gained style at its end (held: the network kept, the least style, is from the
    run's last tenth; stopped: a run that never reached the budget ran to its end).  The
    budget allowed more of the photo to go, so more steps give more style: on a texture
    such as gravel the style loss was 55x the content's and 600 steps kept step 570 at
    share 0.43 of 0.5, where a higher style_weight changes little."""
    if not budget.photos or budget.last is None or budget.reached:
        return None
    if budget.hold and (budget.kept_step or 0) < steps - max(1, steps // 10):
        return None
    where = (f"the least style came at step {budget.kept_step} of {steps}" if budget.hold
             else f"{steps} steps ran")
    return (f"; the held-out photos never reached content_budget (share {budget.last:.2f} "
            f"of {budget.share:g}) and {where}: train longer (steps, now {steps}) for more "
            "style")


def announce(entry: Mapping[str, Any]) -> str:
    """The log line; a :class:`TrainingBalanceWarning` when one loss dominates."""
    line = f"train_fast_style: {entry['advice']}"
    if entry["dominates"] != "neither":
        warnings.warn(line, TrainingBalanceWarning, stacklevel=3)
    return line
