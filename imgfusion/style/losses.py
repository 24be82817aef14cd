"""Content, Gram style (plain, blended and guided) and total-variation losses.

The losses are scale-free: each layer's error is divided by its target's squared
norm, so ``content_weight`` and ``style_weight`` mean the same thing whatever the
weights set (the Caffe VGG19 on 0-255 input has features ~1000 x larger than
torchvision's on normalised input, i.e. Gram matrices ~10⁶ x larger), the layer
(deep layers' Grams are orders of magnitude larger than shallow ones') and the
image size.  Multiplying every feature by a constant leaves every loss, and so the
whole optimisation, unchanged.

- Gram matrix of a layer with N channels and M = H x W positions:
  ``G = F Fᵀ / M`` (the mean over positions of the outer products).  With a guide
  g (one value per position): ``G = (F g)(F g)ᵀ / Σ g²``; a guide of all ones
  gives exactly the unguided matrix.
- Style loss of a layer: ``E_l = Σ (G - A)² / Σ A²``, the squared relative
  distance of the Gram matrices (1 for an output whose features are all zero).
  Total style loss ``Σ_l w_l E_l``, summed over regions for guided losses, each
  region relative to its own target.
- Style loss on a grid (``grid`` n > 1, unguided): the layer's feature map is cut into
  n x n cells (as evenly as its positions allow, fewer on a side of under 4n positions)
  and ``E_l`` is the mean over the cells of each cell's Gram distance to the *whole*
  style's target.  One Gram over the whole
  image lets the optimiser match the style's statistics with a strongly styled part
  next to a barely styled one (issue 21: a star field on one half, a dimmed photo on
  the other); the mean over cells cannot be small unless every cell carries the
  style.  It bounds the global loss from above (the global Gram is the cells' Grams
  averaged by size, and the squared distance is convex) and costs about as much (the
  cells partition the positions).
- Content loss of a layer: ``Σ (F - P)² / Σ P²`` (1 for an all-zero output).
- Total variation: mean squared difference of vertical neighbours plus that of
  horizontal neighbours, on the [0, 1] image (it does not see the features).

Several styles are blended through their Gram targets, ``A = Σ_s b_s A_s`` with
Σ b_s = 1, as jcjohnson/neural-style does: Σ_s b_s ||G - A_s||² differs from
||G - A||² by a constant, so the gradients are the same at a fraction of the cost.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch

from .guides import propagate_guide


class _OuterProduct(torch.autograd.Function):
    """``X Xᵀ`` over the positions of ``f`` (..., C, positions...), with a lean backward.

    Autograd of ``x @ x.mT`` runs two matrix products and adds their results into a
    view; here the backward is one product, ``(G' + G'ᵀ) X``, written into a fresh
    tensor of ``f``'s shape that autograd can accumulate into in place.
    """

    @staticmethod
    def forward(ctx, f: torch.Tensor, channel_dim: int) -> torch.Tensor:
        x = f.flatten(channel_dim + 1)
        ctx.save_for_backward(f)
        ctx.channel_dim = channel_dim
        return x @ x.transpose(-1, -2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (f,) = ctx.saved_tensors
        x = f.flatten(ctx.channel_dim + 1)
        out = torch.empty_like(f, memory_format=torch.contiguous_format)
        torch.matmul(grad + grad.transpose(-1, -2), x, out=out.view(x.shape))
        return out, None


def gram(features: torch.Tensor, guide: torch.Tensor | None = None) -> torch.Tensor:
    """Gram matrix ``F Fᵀ / M`` of B x C x H x W features (computed in float32).

    With ``guide`` (H x W, or R x H x W for R regions) returns the guided Gram
    matrices ``(F g)(F g)ᵀ / Σ g²``, shape B x R x C x C (B x C x C without a guide).
    A region with Σ g² = 0 gets a zero matrix.
    """
    f = features.float()
    b, c, h, w = f.shape
    if guide is None:
        return _OuterProduct.apply(f, 1) / (h * w)
    g = guide.float().reshape(1, -1, 1, h * w)  # 1 x R x 1 x M
    xg = f.reshape(b, 1, c, h * w) * g          # B x R x C x M
    mass = (g * g).sum(-1, keepdim=True).clamp_min(1e-12)
    return _OuterProduct.apply(xg, 2) / mass


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean squared vertical plus mean squared horizontal neighbour difference."""
    dv = x[..., 1:, :] - x[..., :-1, :]
    dh = x[..., :, 1:] - x[..., :, :-1]
    return dv.pow(2).mean() + dh.pow(2).mean()


def range_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean squared excursion of ``x`` outside [0, 1] (0 inside)."""
    return (torch.relu(-x) ** 2 + torch.relu(x - 1) ** 2).mean()


def squared_norm(target: torch.Tensor, dims=None) -> torch.Tensor:
    """Σ target² over ``dims`` (all by default), never below the smallest normal float."""
    sq = target.float().pow(2)
    total = sq.sum() if dims is None else sq.sum(dim=dims)
    return total.clamp_min(torch.finfo(torch.float32).tiny)


def content_loss(feats: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
                 weights: Mapping[str, float]) -> torch.Tensor:
    """Σ_l w_l Σ (F_l - P_l)² / Σ P_l² (as means, so a batch of outputs is averaged)."""
    total = 0.0
    for name, w in weights.items():
        p = targets[name]
        err = (feats[name].float() - p).pow(2).mean()
        total = total + w * err / (squared_norm(p) / p.numel())
    return total


class GramStyleLoss:
    """Σ_l w_l Σ_r Σ (G_r(F_l) - A_{r,l})² / Σ A_{r,l}² against targets computed once.

    Parameters
    ----------
    targets : {layer: tensor}
        C x C target per layer (unguided), or R x C x C (one per region).
    weights : {layer: float}
        Per-layer weights w_l.
    input_guides : tensor, optional
        R x H x W region guides of the image being optimised, at image resolution.
    mode, dilation :
        How the guides reach each layer (:func:`imgfusion.style.guides.propagate_guide`).
    grid : int
        Without guides, the mean of the loss over the cells of a ``grid`` x ``grid``
        split of each layer (each cell against the whole target); 1: one Gram.
    power : float
        The cells' losses combine as their power mean of this order (1: the mean).
    """

    def __init__(self, targets: Mapping[str, torch.Tensor], weights: Mapping[str, float], *,
                 input_guides: torch.Tensor | None = None, mode: str = "simple",
                 dilation: int = 0, grid: int = 1, power: float = 1.0):
        self.grid, self.power = int(grid), float(power)
        self.targets = dict(targets)
        self.weights = dict(weights)
        self.norms = {k: squared_norm(t, dims=(-1, -2)) for k, t in self.targets.items()}
        self.input_guides = input_guides
        self.mode, self.dilation = mode, dilation
        self._layer_guides: dict[tuple[str, tuple[int, int]], torch.Tensor] = {}

    def _guide(self, name: str, hw: tuple[int, int]) -> torch.Tensor | None:
        if self.input_guides is None:
            return None
        key = (name, hw)
        if key not in self._layer_guides:
            self._layer_guides[key] = propagate_guide(self.input_guides, name, hw,
                                                      self.mode, self.dilation)
        return self._layer_guides[key]

    def __call__(self, feats: Mapping[str, torch.Tensor]) -> torch.Tensor:
        total = 0.0
        for name, w in self.weights.items():
            f = feats[name]
            guide = self._guide(name, tuple(f.shape[-2:]))
            if guide is None and self.grid > 1:
                err = _cell_error(f, self.targets[name], self.norms[name], self.grid,
                                  self.power)
            else:
                err = _relative_error(gram(f, guide), self.targets[name], self.norms[name])
            total = total + w * err
        return total


# the fewest positions along a side of a grid cell: a cell of a few positions has a Gram
# of rank a few, which cannot match the style's (a 2 x 2 grid on relu5_1's 2 x 2 map of a
# 32 px image left the total loss of 12 iterations at 60 % of its start, not below 50 %)
MIN_CELL = 4


# the smallest grid cell in image px beyond a 2 x 2 grid: a cell must hold the style's
# structures (a 4 x 4 grid on a 64 px texture synthesis laid the style out as a lattice of
# 16 px blobs; on a 100 px cutout it hid the cup under an even texture), while a 256 px
# landscape photo (170 px high) keeps the 4 x 4 grid its evenness was measured with
MIN_CELL_PX = 40


def grid_for(grid: int, hw: tuple[int, int]) -> int:
    """Cells per side of the style grid at image size ``hw``: ``grid``, but no more than
    cells of :data:`MIN_CELL_PX` allow on the shorter side (never fewer than 2 for that)."""
    return min(int(grid), max(2, min(hw) // MIN_CELL_PX))


def grid_cells(f: torch.Tensor, grid: int) -> list[torch.Tensor]:
    """The cells of a ``grid`` x ``grid`` split of ``f``'s last two dimensions, row by
    row, as even as the positions allow; a side shorter than ``grid`` x :data:`MIN_CELL`
    positions is cut into fewer cells (into none below 2 x MIN_CELL)."""
    def bounds(n):
        k = max(1, min(grid, n // MIN_CELL))
        edges = [round(i * n / k) for i in range(k + 1)]
        return list(zip(edges[:-1], edges[1:]))
    return [f[..., r0:r1, c0:c1] for r0, r1 in bounds(f.shape[-2])
            for c0, c1 in bounds(f.shape[-1])]


def _cell_error(f: torch.Tensor, target: torch.Tensor, norm: torch.Tensor,
                grid: int, power: float = 1.0) -> torch.Tensor:
    """Power mean (order ``power``; 1: the mean) over the cells of ``f`` of their Gram's
    relative error to ``target``."""
    errors = [_relative_error(gram(c), target, norm) for c in grid_cells(f, grid)]
    if power == 1:   # summed in order, as before the power mean: the same bits
        return sum(errors) / len(errors)
    errors = torch.stack(errors)
    # scaled by the largest so the powers neither overflow nor underflow, and kept off
    # 0 ** (1 / power), whose gradient is infinite (cells that all match the style)
    scale = errors.detach().max().clamp_min(1e-30)
    return scale * (errors / scale).pow(power).mean().clamp_min(1e-30).pow(1 / power)


def _relative_error(g: torch.Tensor, target: torch.Tensor, norm: torch.Tensor) -> torch.Tensor:
    """Σ (G - A)² / Σ A² over Gram entries, summed over regions and averaged over the
    batch (B x [R x] C x C against [R x] C x C, ``norm`` scalar or one per region)."""
    err = (g - target).pow(2).sum(dim=(-1, -2)) / norm
    return err.sum(dim=-1).mean() if g.dim() == 4 else err.mean()


def blended_gram_targets(feature_sets: Sequence[Mapping[str, torch.Tensor]],
                         blend: Sequence[float], layers) -> dict[str, torch.Tensor]:
    """Σ_s b_s G(F_s) per layer, for the features of each style image (b sums to 1)."""
    return {name: sum(b * gram(fs[name])[0] for fs, b in zip(feature_sets, blend))
            for name in layers}


def guided_gram_targets(feature_sets: Sequence[Mapping[str, torch.Tensor]],
                        guides: Sequence[torch.Tensor | None], layers, *,
                        mode: str = "simple", dilation: int = 0) -> dict[str, torch.Tensor]:
    """One target per region: region r takes the Gram of style ``feature_sets[r]``
    guided by ``guides[r]`` (H x W at that style image's resolution, None = whole image).

    Returns ``{layer: R x C x C}`` for :class:`GramStyleLoss` with ``input_guides``.
    """
    out = {}
    for name in layers:
        mats = []
        for fs, guide in zip(feature_sets, guides):
            f = fs[name]
            g = None if guide is None else propagate_guide(guide, name, tuple(f.shape[-2:]),
                                                           mode, dilation)
            mats.append(gram(f, g)[0] if g is None else gram(f, g)[0, 0])
        out[name] = torch.stack(mats)
    return out
