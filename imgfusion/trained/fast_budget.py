"""The content budget of ``train_fast_style``: once the held-out photos have lost a given
share of their content, training either stops, keeping the last network within the budget
(``stop``), or goes on holding them there, keeping the network with the least style
distance within it (``hold``, the default).

Why: a feed-forward style network starts as the identity (the photo) and moves toward
whatever its loss rewards.  For a dark style such as the Hubble deep field the loss's
optimum at style weight 30 is a near-black picture that has lost the photo (``neural_style``
at that weight gives the held-out Chelsea a content distance of 1.16, the style image's
own is 1.47, at 0.17x her brightness).  So the picture a user gets depended on where
the step count happened to stop the run: 150 steps of 64 px crops kept the cat under a
faint style, 600 steps lost her (content share 0.83, brightness 0.15x;
``bench/fast_style.py``).  The budget makes that point explicit and measured: the share
is the held-out photos' mean content distance over the style image's (the balance
report's ``content_share``: 0 is the photo, 1 is as far as the style image itself), so a
user asks for "this much of the photo may go" and gets it whatever the style and steps.

Held, not only stopped at (``train_fast_style``'s ``at_budget: hold``):
stopping at the first check past the budget keeps a network that has only just begun
to trade content for style; the steps after it can lower the style distance at the
same content.  So once the held-out share passes the budget, training goes on with the
content loss weighed ``multiplier`` times (a Lagrange multiplier: at each periodic
check it grows by ``(share / budget) ** MULTIPLIER_POWER``, at most
:data:`MULTIPLIER_STEP` x a check, when the share is above the budget, and shrinks
likewise, not below 1, when it is under), and the network kept is the one with the
lowest held-out style distance among those checked within the budget.  A network whose
held-out outputs collapsed (darker than half the photos and than the style image, what
the balance verdict calls lost: :func:`~imgfusion.trained.fast_balance.collapsed`) is
not within the budget, and weighs the content up by the most a check may: holding a
dark style's budget without it, the gallery's 64 px run kept a network darker than the
Hubble field itself (0.21x the photos' brightness).  Figures: ``bench/fast_style.md``.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch

from .fast_balance import brightness, collapsed, mean_luminance
from .fast_measures import content_share, distances, style_image_distance
from .fast_style import apply_net
from .measures import mean_rows


SAME_AS_STYLE = 1e-6   # a content distance this small: the photo is the style image
MULTIPLIER_POWER = 2   # the multiplier's response to the share over the budget, per check
MULTIPLIER_STEP = 2.0  # the most it grows (or shrinks) by at one check
MULTIPLIER_MAX = 1e3


class ContentBudgetWarning(UserWarning):
    """No trained network stayed within the content budget."""


class ContentBudget:
    """Held-out content share against ``share`` (0: no budget, training runs every step).

    :meth:`check` measures the network on ``photos``, keeps a copy of it while the share
    is within the budget (held: when its style distance is the least so far), and says
    whether the budget is spent (held: never; the content multiplier moves instead);
    :meth:`restore` puts the kept network back.  :meth:`start` checks the untrained network
    and :meth:`early` the steps 1, 2, 4, 8 ... below ``every`` (the periodic checks'
    spacing; without periodic checks, the run's length), so that a run past the budget
    at its first periodic check still has a network to keep: at 64 px, five whole
    photos and no crops, the held-out share was 0.70 after 4 steps and 0.96 at the first
    check (step 25), and before these checks the network handed back was that one,
    nearly as far from a new photo as the style image (Chelsea's content distance 1.464
    against 1.470); now step 8's (0.31).  When no trained network stayed within the
    budget the untrained one (the photo itself) is kept and a
    :class:`ContentBudgetWarning` says what to change.  :meth:`state` and :meth:`load`
    carry the kept network through a checkpoint, so a resumed run hands back the
    network an uninterrupted one would."""

    def __init__(self, share: float, loss, photos: Sequence[np.ndarray],
                 style_rgb: np.ndarray, device: torch.device, every: int = 0,
                 hold: bool = False):
        self.share, self.loss, self.device = float(share), loss, device
        self.every, self.hold, self.multiplier = int(every), bool(hold), 1.0
        photos = list(photos) if self.share > 0 else []
        mine = [style_image_distance(loss, p, style_rgb) for p in photos]
        # a photo that is the style image has no share to measure (0 over 0): left out
        kept = [(p, m) for p, m in zip(photos, mine) if m > SAME_AS_STYLE]
        self.photos, self.mine = [p for p, _ in kept], [m for _, m in kept]
        self.style_luminance = mean_luminance(style_rgb)
        self.dark = False
        self.kept: dict | None = None
        self.kept_step: int | None = None
        self.kept_share: float | None = None
        self.last: float | None = None
        self.reached = False   # a periodic (or the last) check was past it or collapsed
        self.last_step: int | None = None
        self.style: float | None = None       # the last check's held-out style distance
        self.kept_style: float | None = None

    def measure(self, net: torch.nn.Module) -> float:
        """Mean over the photos of the output's content distance over the style image's
        (and, in ``self.style``, the mean style distance; in ``self.dark``, held, whether
        the outputs collapsed: darker than half the photos and than the style image)."""
        outs = [apply_net(net, p, self.device) for p in self.photos]
        found = [distances(self.loss, o, p) for o, p in zip(outs, self.photos)]
        self.style = float(np.mean([d.style for d in found]))
        self.dark = self.hold and collapsed(mean_rows([
            brightness(o, p, self.style_luminance) for o, p in zip(outs, self.photos)]))
        return float(np.mean([content_share(d.content, m) for d, m in zip(found, self.mine)]))

    def check(self, net: torch.nn.Module, step: int, move: bool = True) -> bool:
        """Measure ``net`` after ``step`` steps; True when it is past the budget (never,
        when held: the multiplier moves instead, unless ``move`` is false)."""
        if not self.photos:
            return False
        self.last, self.last_step = self.measure(net), step
        within = self.last <= self.share and not self.dark
        if step >= self.every or not move:   # not the first steps' swings
            self.reached = self.reached or not within
        if within and (not self.hold or self.better(step)):
            self.kept = {k: v.detach().clone() for k, v in net.state_dict().items()}
            self.kept_step, self.kept_share, self.kept_style = step, self.last, self.style
        if self.hold:
            if move and step >= self.every:   # periodic checks, not the first steps' swings
                self.multiplier = self.moved_multiplier()
            return False
        return not within

    def better(self, step: int) -> bool:
        """Held: a network within the budget replaces the kept one when it has less
        style distance, or when the kept one is the untrained fallback (step 0)."""
        return (step > 0 and not self.kept_step) or self.kept_style is None \
            or self.style < self.kept_style

    def moved_multiplier(self) -> float:
        """The content loss's multiplier after a check whose share was ``self.last``."""
        factor = MULTIPLIER_STEP if self.dark else (self.last / self.share) ** MULTIPLIER_POWER
        factor = min(MULTIPLIER_STEP, max(1 / MULTIPLIER_STEP, factor))
        return float(min(MULTIPLIER_MAX, max(1.0, self.multiplier * factor)))

    def start(self, net: torch.nn.Module) -> None:
        """Check the untrained network (step 0), the fallback kept in any case."""
        self.check(net, 0)

    def early(self, net: torch.nn.Module, step: int) -> None:
        """Check (keep, never stop) at the powers of two below the periodic spacing."""
        if 0 < step < self.every and step & (step - 1) == 0:
            self.check(net, step)

    def restore(self, net: torch.nn.Module, steps: int) -> int:
        """The last network within the budget, when the run (``steps`` steps) went past
        it (held: the kept one, lowest style within the budget, unless it is ``net``);
        the step of the network ``net`` now holds."""
        later = self.hold and self.kept_step is not None and self.kept_step != steps
        if self.kept is not None and self.last is not None and (self.last > self.share
                                                                or later):
            net.load_state_dict(self.kept)
            if self.kept_step == 0:
                warnings.warn(
                    f"train_fast_style: no trained network kept the held-out photos within "
                    f"content_budget {self.share:g} (share {self.last:.2f} at step "
                    f"{steps}): the model is the untrained network, the photo itself; "
                    "check it more often (validate_every), lower learning_rate, train on "
                    "more images (crops) or raise content_budget", ContentBudgetWarning,
                    stacklevel=3)
            return int(self.kept_step)
        return steps

    def state(self) -> dict:
        """What a checkpoint keeps, so that a resumed run hands back the same network."""
        return {"share": self.share, "kept": self.kept, "kept_step": self.kept_step,
                "kept_share": self.kept_share, "last": self.last,
                "kept_style": self.kept_style, "multiplier": self.multiplier,
                "reached": self.reached}

    def load(self, state: dict) -> None:
        """Take back a checkpoint's :meth:`state`.  Its kept network stays the fallback
        when it is within this budget (a resume may change ``content_budget``); if not,
        the untrained network :meth:`start` kept does."""
        if not state or state.get("kept") is None or not self.photos:
            return
        self.last = state["last"]
        # checkpoints before ``reached``: its last check is all they tell
        self.reached = bool(state.get("reached", self.last > state["share"]))
        if state["kept_share"] <= self.share:
            self.kept, self.kept_step = state["kept"], int(state["kept_step"])
            self.kept_share = float(state["kept_share"])
            self.kept_style = state.get("kept_style")
        if self.hold:
            self.multiplier = float(state.get("multiplier", 1.0))

    def report(self, stopped: bool) -> dict:
        return {"share": self.share, "held_out_share": self.last, "stopped": bool(stopped),
                "kept_step": self.kept_step, "kept_share": self.kept_share,
                "kept_style": self.kept_style, "at_budget": "hold" if self.hold else "stop",
                "multiplier": round(self.multiplier, 4)}
