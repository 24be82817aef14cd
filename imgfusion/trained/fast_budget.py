"""The content budget of ``train_fast_style``: training stops once the held-out photos
have lost a given share of their content, and the network kept is the last one within it.

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
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch

from .fast_measures import content_share, distances, style_image_distance
from .fast_style import apply_net


SAME_AS_STYLE = 1e-6   # a content distance this small: the photo is the style image


class ContentBudgetWarning(UserWarning):
    """No trained network stayed within the content budget."""


class ContentBudget:
    """Held-out content share against ``share`` (0: no budget, training runs every step).

    :meth:`check` measures the network on ``photos``, keeps a copy of it while the share
    is within the budget, and says whether the budget is spent; :meth:`restore` puts the
    last network within the budget back.  :meth:`start` checks the untrained network
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
                 style_rgb: np.ndarray, device: torch.device, every: int = 0):
        self.share, self.loss, self.device = float(share), loss, device
        self.every = int(every)
        photos = list(photos) if self.share > 0 else []
        mine = [style_image_distance(loss, p, style_rgb) for p in photos]
        # a photo that is the style image has no share to measure (0 over 0): left out
        kept = [(p, m) for p, m in zip(photos, mine) if m > SAME_AS_STYLE]
        self.photos, self.mine = [p for p, _ in kept], [m for _, m in kept]
        self.kept: dict | None = None
        self.kept_step: int | None = None
        self.kept_share: float | None = None
        self.last: float | None = None

    def measure(self, net: torch.nn.Module) -> float:
        """Mean over the photos of the output's content distance over the style image's."""
        return float(np.mean([
            content_share(distances(self.loss, apply_net(net, p, self.device), p).content, m)
            for p, m in zip(self.photos, self.mine)]))

    def check(self, net: torch.nn.Module, step: int) -> bool:
        """Measure ``net`` after ``step`` steps; True when it is past the budget."""
        if not self.photos:
            return False
        self.last = self.measure(net)
        if self.last <= self.share:
            self.kept = {k: v.detach().clone() for k, v in net.state_dict().items()}
            self.kept_step, self.kept_share = step, self.last
            return False
        return True

    def start(self, net: torch.nn.Module) -> None:
        """Check the untrained network (step 0), the fallback kept in any case."""
        self.check(net, 0)

    def early(self, net: torch.nn.Module, step: int) -> None:
        """Check (keep, never stop) at the powers of two below the periodic spacing."""
        if 0 < step < self.every and step & (step - 1) == 0:
            self.check(net, step)

    def restore(self, net: torch.nn.Module, steps: int) -> int:
        """The last network within the budget, when the run (``steps`` steps) went past
        it; the step of the network ``net`` now holds."""
        if self.kept is not None and self.last is not None and self.last > self.share:
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
                "kept_share": self.kept_share, "last": self.last}

    def load(self, state: dict) -> None:
        """Take back a checkpoint's :meth:`state`.  Its kept network stays the fallback
        when it is within this budget (a resume may change ``content_budget``); if not,
        the untrained network :meth:`start` kept does."""
        if not state or state.get("kept") is None or not self.photos:
            return
        self.last = state["last"]
        if state["kept_share"] <= self.share:
            self.kept, self.kept_step = state["kept"], int(state["kept_step"])
            self.kept_share = float(state["kept_share"])

    def report(self, stopped: bool) -> dict:
        return {"share": self.share, "held_out_share": self.last, "stopped": bool(stopped),
                "kept_step": self.kept_step, "kept_share": self.kept_share}
