"""The perceptual losses of feed-forward style: ``neural_style``'s content, Gram style and tv
losses, with its weights, on a batch of network outputs.

One :class:`PerceptualLoss` serves training (a batch of outputs against the features of
their content images) and measurement (any stylised image against its content: the
fast network's result and ``neural_style``'s optimised one are scored by the same
function, so their losses compare).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch

from ..errors import ParameterError
from ..style.encoder import VGGEncoder
from ..style.layers import deepest
from ..style.losses import GramStyleLoss, blended_gram_targets, content_loss, tv_loss
from ..style.pipeline import resize, to_tensor
from ..style.prepare import content_and_style_weights as layer_weights_of
from ..style.pyramid import fit_size
from ..style.weights import load_features, preprocessing_for

# neural_style's loss options and their defaults (its registration declares the same)
LOSS_DEFAULTS = {"content_layers": ["relu4_2"],
                 "style_layers": ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
                 "content_weight": 1.0, "style_weight": 3.0, "tv_weight": 0.0,
                 "style_scale": 1.0, "weights": "original", "pooling": "max"}


def loss_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` completed with :data:`LOSS_DEFAULTS`; an unknown key is an error."""
    unknown = sorted(set(options) - set(LOSS_DEFAULTS))
    if unknown:
        raise ParameterError(unknown[0], "not a loss option of train_fast_style")
    merged = {**LOSS_DEFAULTS, **options}   # lists, not tuples: the same in JSON and back
    return {k: list(v) if isinstance(v, tuple) else v for k, v in merged.items()}


@dataclass
class PerceptualLoss:
    """``loss(outputs, content_features)`` -> weighted content, style, tv and total."""

    encoder: VGGEncoder
    content_w: dict[str, float]
    style: GramStyleLoss
    weights: tuple[float, float, float]   # content, style, tv
    device: torch.device

    def content_features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            feats = self.encoder(x)
        return {k: feats[k].float() for k in self.content_w}

    def __call__(self, out: torch.Tensor, targets: Mapping[str, torch.Tensor]
                 ) -> dict[str, torch.Tensor]:
        cw, sw, tw = self.weights
        feats = self.encoder(out)
        zero = torch.zeros((), device=out.device)
        c = cw * content_loss(feats, targets, self.content_w) if self.content_w else zero
        s = sw * self.style(feats) if self.style.weights else zero
        t = tw * tv_loss(out) if tw > 0 else zero
        return {"content": c, "style": s, "tv": t, "total": c + s + t}

    def score(self, image: np.ndarray, content: np.ndarray) -> dict[str, float]:
        """The losses of one stylised RGB image against its content (same size)."""
        x = to_tensor(content, self.device)
        y = resize(to_tensor(image, self.device), tuple(content.shape[:2]))
        with torch.no_grad():
            return {k: float(v) for k, v in self(y, self.content_features(x)).items()}


def build_loss(style_rgb: np.ndarray, image_hw: tuple[int, int], options: Mapping[str, Any],
               device: torch.device, seed: int = 0) -> PerceptualLoss:
    """The loss for outputs of size ``image_hw``: the style image is resized to
    ``style_scale`` x their longest side, as ``neural_style`` does."""
    o = loss_options(options)
    content_w, style_w = layer_weights_of(o)
    layers = list(dict.fromkeys([*content_w, *style_w]))
    state = load_features(o["weights"], upto=deepest(layers) + 1, seed=seed)
    encoder = VGGEncoder(state, layers, o["pooling"], preprocessing_for(o["weights"])).to(device)
    style_hw = fit_size(style_rgb.shape[:2], round(max(image_hw) * float(o["style_scale"])))
    with torch.no_grad():
        feats = encoder(resize(to_tensor(style_rgb, device), style_hw))
    targets = blended_gram_targets([feats], [1.0], style_w)
    return PerceptualLoss(encoder, content_w, GramStyleLoss(targets, style_w),
                          (float(o["content_weight"]), float(o["style_weight"]),
                           float(o["tv_weight"])), device)
