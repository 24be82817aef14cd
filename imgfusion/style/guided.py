"""Spatial control of ``neural_style`` (Gatys et al. 2017): region guides.

``neural_style(content, styles, content_guides=G, style_guides=S)`` optimises with
R regions: ``G`` holds R guides (H x W, values in [0, 1]) at the content's
resolution, and region r takes its style from ``styles[r]``, optionally only from
the part of that style image that its guide ``S[r]`` selects (None: the whole
style image).  At every style layer the guides are carried to the feature map
(:func:`imgfusion.style.guides.propagate_guide`, ``guide_mode`` and
``guide_dilation``), and the loss compares guided Gram matrices region by region.
As in the paper's code, each region's style loss is weighted 1/R.  Where no guide
is set only the content (and tv) losses act: the content loss holds the rest of
the image.  One all-ones guide gives the unguided loss.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import mask_alpha
from ..errors import ParameterError
from .guides import GUIDE_MODES
from .losses import GramStyleLoss, guided_gram_targets
from .pyramid import fit_size


class RegionGuides(NamedTuple):
    """Checked guides: R x H x W content guides and one style guide (or None) per region."""

    content: np.ndarray
    styles: list[np.ndarray | None]
    mode: str
    dilation: int

    def loss(self, style_feats: Sequence[Mapping[str, torch.Tensor]], hw: tuple[int, int],
             style_scale: float, weights: Mapping[str, float], device) -> GramStyleLoss:
        """The guided style loss for an output of size ``hw``; ``style_feats[r]`` are the
        features of style r resized as ``neural_style`` resizes it (``style_scale``)."""
        if not weights:
            return GramStyleLoss({}, {})
        style_hw = [fit_size(g.shape, round(max(hw) * style_scale)) if g is not None else None
                    for g in self.styles]
        style_g = [None if g is None else resize_guides(g[None], shw, device)[0]
                   for g, shw in zip(self.styles, style_hw)]
        targets = guided_gram_targets(style_feats, style_g, weights, mode=self.mode,
                                      dilation=self.dilation)
        per_region = {k: v / len(self.styles) for k, v in weights.items()}
        content_g = resize_guides(self.content, hw, device)
        return GramStyleLoss(targets, per_region, input_guides=content_g, mode=self.mode,
                             dilation=self.dilation)


def resize_guides(guides: np.ndarray, hw: tuple[int, int], device) -> torch.Tensor:
    """R x H x W guides as a float32 tensor of spatial size ``hw`` (area-weighted when
    shrinking, bilinear when growing; unchanged at the same size)."""
    t = torch.from_numpy(np.ascontiguousarray(guides, dtype=np.float32)).to(device)
    if tuple(t.shape[-2:]) == tuple(hw):
        return t
    out = F.interpolate(t[None], size=tuple(hw), mode="bilinear", align_corners=False,
                        antialias=True)
    return out[0].clamp(0, 1)


def _guide_array(g, field: str, index: int, shape: tuple[int, int]) -> np.ndarray:
    a = np.asarray(g)
    if a.ndim != 2:
        raise ParameterError(field, f"guide {index} is not an H x W mask (shape {a.shape})")
    if a.shape != tuple(shape):
        raise ParameterError(field, f"guide {index} is {a.shape[0]} x {a.shape[1]} but its image "
                                    f"is {shape[0]} x {shape[1]} (rows x cols)")
    a = mask_alpha(a, field, f"guide {index}")
    if not (a > 0).any():
        raise ParameterError(field, f"guide {index} is empty (no pixel above 0)")
    return a


def region_guides(content_guides, style_guides, content_hw: tuple[int, int] | None,
                  style_shapes: Sequence[tuple[int, int]], mode: str,
                  dilation: int) -> RegionGuides | None:
    """Check ``neural_style``'s guide arguments; None when there are no guides.

    ``content_guides`` is one H x W mask, an R x H x W array or a list of R masks at
    the content's size; ``style_guides`` None or one mask-or-None per style image,
    at that style image's size.  There must be exactly one style image per region.
    """
    if content_guides is None:
        if style_guides is not None:
            raise ParameterError("style_guides", "style guides need content_guides (the regions "
                                                 "of the output they apply to)")
        return None
    if mode not in GUIDE_MODES:
        raise ParameterError("guide_mode", f"'{mode}' is not one of {', '.join(GUIDE_MODES)}")
    if int(dilation) != dilation:
        raise ParameterError("guide_dilation", f"must be a whole number, got {dilation!r}")
    if content_hw is None:
        raise ParameterError("content_guides", "guides need a content image")
    cg = content_guides
    if isinstance(cg, np.ndarray) and cg.ndim == 2:
        cg = [cg]
    content = np.stack([_guide_array(g, "content_guides", i, content_hw)
                        for i, g in enumerate(cg)])
    n = len(content)
    if len(style_shapes) != n:
        raise ParameterError("style", f"{len(style_shapes)} style image(s) for {n} guided "
                                      f"region(s): give one style image per region")
    sg = [None] * n if style_guides is None else list(style_guides)
    if len(sg) != n:
        raise ParameterError("style_guides", f"{len(sg)} style guide(s) for {n} style image(s): "
                                             f"give one per style image (or none at all)")
    styles = [None if g is None else _guide_array(g, "style_guides", i, shape)
              for i, (g, shape) in enumerate(zip(sg, style_shapes))]
    return RegionGuides(content, styles, mode, int(dilation))
