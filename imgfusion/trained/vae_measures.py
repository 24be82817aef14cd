"""The measures of the VAE style, each one a number the tests hold to a property.

- :func:`psnr`: reconstruction quality, 10 log10(1 / MSE) over images in [0, 1].
- :func:`shift_distance`: d = ||mean z' − m_paintings|| / ||m_frames − m_paintings||,
  which the shift ``mode: mean`` makes exactly 1 − α when the frames' codes average
  to m_frames (a check of the arithmetic, not of the network).
- the probe's painting probability of re-encoded outputs
  (:class:`imgfusion.trained.vae_latent.Probe`).
- :func:`gram_distance`: the normalised VGG Gram distance of each output to the
  paintings' mean Gram matrices, Σ_l ||G_l(out) − Ḡ_l||² / ||Ḡ_l||² over relu1_1 ...
  relu4_1 (the style loss of :mod:`imgfusion.style.losses`, averaged over outputs).
- :func:`content_distance`: Σ (F − P)² / Σ P² at relu4_2, output against its input
  (the content loss), so that a style gain bought by erasing the picture shows.
- the temporal error of a styled clip: :func:`imgfusion.video.measures.temporal_errors`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import torch

from ..style.losses import gram, squared_norm

GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
CONTENT_LAYER = "relu4_2"


def psnr(output: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB of images in [0, 1] (over all values given)."""
    a = torch.as_tensor(np.asarray(output) if not torch.is_tensor(output) else output).double()
    b = torch.as_tensor(np.asarray(reference) if not torch.is_tensor(reference)
                        else reference).double()
    mse = float((a.cpu() - b.cpu()).pow(2).mean())
    return float("inf") if mse == 0 else 10.0 * float(np.log10(1.0 / mse))


def shift_distance(z_shifted: torch.Tensor, m_paintings: torch.Tensor,
                   m_frames: torch.Tensor) -> float:
    """||mean z' − m_p|| / ||m_f − m_p|| (0: on the paintings' mean, 1: on the frames')."""
    mean = z_shifted.double().mean(0)
    mp, mf = m_paintings.double(), m_frames.double()
    return float((mean - mp).norm() / (mf - mp).norm().clamp_min(1e-300))


def vgg_encoder(weights: str = "original", seed: int = 0, device: str | torch.device = "cpu"):
    """The VGG19 features the Gram and content measures read (relu1_1 ... relu4_2); the
    last two asked for are kept, so measuring run after run loads the weights once."""
    return _vgg_encoder(str(weights), int(seed), str(device))


@lru_cache(maxsize=2)
def _vgg_encoder(weights: str, seed: int, device: str):
    from ..style.encoder import VGGEncoder
    from ..style.layers import deepest
    from ..style.weights import load_features, preprocessing_for

    layers = (*GRAM_LAYERS, CONTENT_LAYER)
    state = load_features(weights, upto=deepest(layers) + 1, seed=seed)
    return VGGEncoder(state, layers, "max", preprocessing_for(weights)).to(device)


def _batch(images: Sequence[np.ndarray] | np.ndarray, device) -> torch.Tensor:
    arr = np.stack([np.asarray(i, np.float32)[..., :3] for i in images])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).to(device)


@torch.no_grad()
def mean_grams(encoder, images: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
    """Mean Gram matrix per layer over ``images`` (each may have its own size)."""
    dev = encoder.mean.device
    total: dict[str, torch.Tensor] = {}
    for image in images:
        feats = encoder(_batch([image], dev))
        for name in GRAM_LAYERS:
            total[name] = total.get(name, 0) + gram(feats[name])[0]
    return {k: v / len(images) for k, v in total.items()}


@torch.no_grad()
def gram_distance(encoder, outputs: Sequence[np.ndarray],
                  targets: dict[str, torch.Tensor]) -> float:
    """Mean over ``outputs`` of Σ_l ||G_l(out) − Ḡ_l||² / ||Ḡ_l||² (Ḡ: :func:`mean_grams`)."""
    return gram_distance_of(features(encoder, outputs), targets)


@torch.no_grad()
def features(encoder, images: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
    """The encoder's activations of ``images`` (one forward pass for every measure)."""
    return encoder(_batch(images, encoder.mean.device))


def gram_distance_of(feats: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> float:
    """:func:`gram_distance` from the outputs' activations."""
    total = torch.zeros(len(feats[GRAM_LAYERS[0]]), dtype=torch.float64)
    for name in GRAM_LAYERS:
        g, t = gram(feats[name]), targets[name]
        err = (g - t).pow(2).sum(dim=(-1, -2)) / squared_norm(t)
        total += err.double().cpu()
    return float(total.mean())


@torch.no_grad()
def content_distance(encoder, outputs: Sequence[np.ndarray],
                     inputs: Sequence[np.ndarray]) -> float:
    """Mean over pairs of Σ (F − P)² / Σ P² at relu4_2 (0: the input's content kept)."""
    return content_distance_of(features(encoder, outputs), features(encoder, inputs))


def content_distance_of(f_out: dict[str, torch.Tensor], f_in: dict[str, torch.Tensor]) -> float:
    """:func:`content_distance` from the outputs' and the inputs' activations."""
    f, p = f_out[CONTENT_LAYER].double(), f_in[CONTENT_LAYER].double()
    err = (f - p).pow(2).flatten(1).sum(1) / p.pow(2).flatten(1).sum(1).clamp_min(1e-300)
    return float(err.mean())
