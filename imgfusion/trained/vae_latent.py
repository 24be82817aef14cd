"""Latent arithmetic of the VAE style: class means, the shift, the probe, smoothing.

- Class means ``m_paintings`` and ``m_frames``: means of the posterior means μ over
  each training set (White 2016: attribute vector = difference of class means).
- The shift (``mode: mean``): ``z' = μ + α (m_paintings − m_frames)``, α in [0, 1];
  the mean of z' over the frames moves from ``m_frames`` (α = 0) to ``m_paintings``
  (α = 1) along a straight line, so the shift distance of
  :func:`imgfusion.trained.vae_measures.shift_distance` is exactly 1 − α.
- The seed's formula (``mode: legacy``, sunsided/vae-style-transfer
  ``mogrify_video.py``): ``z' = z − 0.25 m_frames + 0.5 m_paintings`` on a *sampled*
  z = μ + ε σ (which is why its frames flicker); ``strength`` is not used there.
- ``mode: sampled``: the shift of ``mean`` applied to a sampled z = μ + ε σ instead
  of μ, the ablation that measures what sampling costs (flicker, blur).
- The probe: a logistic regression on μ (paintings 1, frames 0), L2-regularised,
  fitted with L-BFGS; its painting probability of a re-encoded output says how far
  the output has moved toward the paintings (White's "binary classification using
  attribute vectors").
- Temporal smoothing of decoded frames: ``out_t = w · out_{t−1} + (1 − w) · cur_t``
  (the seed's w = 0.2).
"""
from __future__ import annotations

from typing import Literal, NamedTuple

import torch

from ..errors import ParameterError

VaeMode = Literal["mean", "legacy", "sampled"]
LEGACY_FRAMES, LEGACY_PAINTINGS = 0.25, 0.5


def shifted(mu: torch.Tensor, log_sigma: torch.Tensor, m_paintings: torch.Tensor,
            m_frames: torch.Tensor, strength: float, mode: str = "mean",
            generator: torch.Generator | None = None) -> torch.Tensor:
    """The shifted codes z' of a batch of posteriors (B x latent)."""
    if mode == "mean":
        return mu + strength * (m_paintings - m_frames)
    from .vae_net import sample

    z = sample(mu, log_sigma, generator)
    if mode == "sampled":
        return z + strength * (m_paintings - m_frames)
    return z - LEGACY_FRAMES * m_frames + LEGACY_PAINTINGS * m_paintings


class Probe(NamedTuple):
    """P(painting | μ) = sigmoid(μ · weight + bias)."""

    weight: torch.Tensor
    bias: torch.Tensor

    def probability(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(mu.float() @ self.weight + self.bias)


def fit_probe(mu_paintings: torch.Tensor, mu_frames: torch.Tensor, l2: float = 1e-2,
              iterations: int = 200) -> Probe:
    """Logistic regression, paintings (1) against frames (0), on standardised codes.

    The standardisation is folded into the returned weight and bias, so the probe
    takes raw μ.  ``l2`` keeps the weights finite when the classes separate
    perfectly (they usually do on training codes).
    """
    x = torch.cat([mu_paintings, mu_frames]).double().cpu()
    y = torch.cat([torch.ones(len(mu_paintings)), torch.zeros(len(mu_frames))]).double()
    centre, scale = x.mean(0), x.std(0).clamp_min(1e-6)
    xs = (x - centre) / scale
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(xs @ w + b, y) \
            + l2 * w.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        weight = w / scale
        bias = b - (centre * weight).sum()
    return Probe(weight.float(), bias.float())


class Smoother:
    """Exponential moving average over a stream of frames (``weight`` on the past)."""

    def __init__(self, weight: float):
        if not 0.0 <= weight < 1.0:
            raise ParameterError("smoothing", f"must be in [0, 1) (the weight of the "
                                              f"previous output; the seed used 0.2), got "
                                              f"{weight!r}")
        self.weight, self.previous = float(weight), None

    def __call__(self, frame: torch.Tensor) -> torch.Tensor:
        if self.previous is not None and self.weight > 0:
            frame = self.weight * self.previous + (1 - self.weight) * frame
        self.previous = frame
        return frame
