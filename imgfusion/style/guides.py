"""Spatial guides carried from image resolution to a VGG19 layer (Gatys et al. 2017).

A guide is an H x W map in [0, 1] (a region mask).  At layer ``l`` the guide has
the feature map's size and is computed in one of three modes:

- ``simple``: resampling (area average over the pixels each neuron's grid cell covers);
- ``all``: a neuron is 1 if its receptive field touches the region at all
  (maximum of the guide over the receptive field);
- ``inside``: a neuron is 1 only if its receptive field lies wholly inside the
  region (minimum over the receptive field).

Receptive fields are clipped to the image: zero padding neither touches a region
nor leaves one, so a guide of all ones stays all ones in every mode.
``dilation`` k > 0 then grows the layer guide by k neurons (maximum over a
(2k+1)² window), k < 0 shrinks it (minimum), as the paper's parameter k does.
"""
from __future__ import annotations

from typing import get_args

import torch
import torch.nn.functional as F

from ..errors import ParameterError
from .layers import geometry
from .options import GuideMode

GUIDE_MODES = get_args(GuideMode)


def _window_max(m: torch.Tensor, name: str, out_hw: tuple[int, int]) -> torch.Tensor:
    """Maximum of ``m`` (N x 1 x H x W, >= 0) over each neuron's receptive field."""
    g = geometry(name)
    h, w = m.shape[-2:]
    pad_lo = -g.start
    pad_h = max(0, g.start + (out_hw[0] - 1) * g.stride + g.size - h)
    pad_w = max(0, g.start + (out_hw[1] - 1) * g.stride + g.size - w)
    padded = F.pad(m, (pad_lo, pad_w, pad_lo, pad_h), value=0.0)
    out = F.max_pool2d(padded, g.size, g.stride)
    return out[..., :out_hw[0], :out_hw[1]]


def _grow(m: torch.Tensor, k: int) -> torch.Tensor:
    return F.max_pool2d(m, 2 * k + 1, 1, padding=k)


def propagate_guide(guide: torch.Tensor, layer: str, out_hw: tuple[int, int],
                    mode: str = "simple", dilation: int = 0) -> torch.Tensor:
    """Carry ``guide`` (H x W or N x H x W, values in [0, 1]) to layer ``layer``.

    Parameters
    ----------
    guide : torch.Tensor
        Region guide(s) at image resolution.
    layer : str
        VGG19 layer name.
    out_hw : (int, int)
        The layer's feature-map size (rows, cols) for this image.
    mode : {"simple", "all", "inside"}
        How a neuron's value is derived from its receptive field (see module doc).
    dilation : int
        Grow (> 0) or shrink (< 0) the result by that many neurons.

    Returns
    -------
    torch.Tensor
        Same leading shape as ``guide``, spatial size ``out_hw``.
    """
    if mode not in GUIDE_MODES:
        raise ParameterError("guide_mode", f"'{mode}' is not one of {', '.join(GUIDE_MODES)}")
    m = guide.float().reshape(-1, 1, *guide.shape[-2:])
    if mode == "simple":
        out = F.adaptive_avg_pool2d(m, out_hw)
    elif mode == "all":
        out = _window_max(m, layer, out_hw)
    else:  # inside: not touching the complement (padding counts as neither)
        out = 1.0 - _window_max(1.0 - m, layer, out_hw)
    k = int(dilation)
    if k > 0:
        out = _grow(out, k)
    elif k < 0:
        out = 1.0 - _grow(1.0 - out, -k)
    return out.reshape(*guide.shape[:-2], *out_hw)
