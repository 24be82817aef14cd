"""The stability term of feed-forward style training: a slightly moved, slightly noisy
photo must give the same picture, moved.

A transformation network that halves its input twice is not shift-equivariant: on a clip
whose camera pans by a pixel or two per frame its stars and strokes jump from frame to
frame (flicker), which ``video_style`` avoids with its temporal loss.  Gupta et al. 2017
and ReCoNet (Gao et al. 2018) train the network itself to be stable; this is their
output temporal loss on a synthetic frame pair with known motion, as the noise-robustness
variant of Gupta et al. does without optical flow: frame 2 is the batch shifted by
(dy, dx) px (up to :data:`SHIFT` in each direction, drawn per step) with Gaussian noise
of standard deviation :data:`NOISE`, and the loss is the mean squared difference
between the network's output on frame 2 and its output on frame 1 shifted the same way,
away from the :data:`SHIFT`-px border the shift brings in.
"""
from __future__ import annotations

import torch
from torch import nn

SHIFT = 2       # px, the largest shift in each direction
NOISE = 0.02    # standard deviation of the noise added to the moved frame


def shifted(x: torch.Tensor, dy: int, dx: int, margin: int = SHIFT) -> torch.Tensor:
    """``x`` moved so that pixel (r, c) shows what (r + dy, c + dx) showed (by reflection
    beyond the border); |dy|, |dx| <= ``margin``."""
    m = int(margin)
    padded = nn.functional.pad(x, (m, m, m, m), mode="reflect")
    h, w = x.shape[-2:]
    return padded[..., m + dy:m + dy + h, m + dx:m + dx + w]


def draw(generator: torch.Generator, shape) -> tuple[int, int, torch.Tensor]:
    """A step's shift (dy, dx) and noise of ``shape``, from ``generator``."""
    dy, dx = (torch.randint(-SHIFT, SHIFT + 1, (2,), generator=generator)).tolist()
    return dy, dx, NOISE * torch.randn(shape, generator=generator)


def stability_loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   generator: torch.Generator) -> torch.Tensor:
    """Mean squared difference between ``net`` on the moved, noisy batch and ``y`` (its
    output on ``x``) moved the same way, inside the border the move brings in."""
    dy, dx, noise = draw(generator, x.shape)
    moved = net(shifted(x, dy, dx) + noise.to(x.device))
    m = SHIFT
    diff = moved - shifted(y, dy, dx)
    return diff[..., m:diff.shape[-2] - m, m:diff.shape[-1] - m].pow(2).mean()
