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
from ..style.options import StyleLosses
from ..style.prepare import layer_weights_of
from ..style.pyramid import fit_size
from ..style.weights import load_features, preprocessing_for

# what a model file records of its losses, in this order (lists, not tuples: the same in
# JSON and back); a feed-forward network learns one style image, so no blend weights
RECORDED = ("content_layers", "style_layers", "content_weight", "style_weight", "tv_weight",
            "style_scale", "weights", "pooling")


def loss_options(options: Mapping[str, Any]) -> StyleLosses:
    """The losses that flat ``options`` name (the others at their defaults); a key that is
    not a recorded loss option is an error."""
    unknown = sorted(set(options) - set(RECORDED))
    if unknown:
        raise ParameterError(unknown[0], "not a loss option of train_fast_style")
    return StyleLosses(**options)


def loss_record(losses: StyleLosses) -> dict[str, Any]:
    """``losses`` as the model file records them; blend weights are refused (one style)."""
    if losses.style_blend_weights is not None:
        raise ParameterError("style_blend_weights", "a feed-forward network learns one style "
                                                    "image: no blend weights")
    values = {k: getattr(losses, k) for k in RECORDED}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


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


def build_loss(style_rgb: np.ndarray, image_hw: tuple[int, int], losses: StyleLosses,
               device: torch.device, seed: int = 0) -> PerceptualLoss:
    """The loss for outputs of size ``image_hw``: the style image is resized to
    ``style_scale`` x their longest side, as ``neural_style`` does."""
    content_w, style_w = layer_weights_of(losses)
    layers = list(dict.fromkeys([*content_w, *style_w]))
    state = load_features(losses.weights, upto=deepest(layers) + 1, seed=seed)
    encoder = VGGEncoder(state, layers, losses.pooling,
                         preprocessing_for(losses.weights)).to(device)
    style_hw = fit_size(style_rgb.shape[:2], round(max(image_hw) * float(losses.style_scale)))
    with torch.no_grad():
        feats = encoder(resize(to_tensor(style_rgb, device), style_hw))
    targets = blended_gram_targets([feats], [1.0], style_w)
    return PerceptualLoss(encoder, content_w, GramStyleLoss(targets, style_w),
                          (float(losses.content_weight), float(losses.style_weight),
                           float(losses.tv_weight)), device)
