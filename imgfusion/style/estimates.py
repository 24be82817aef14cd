"""Time and memory a style optimisation will take, and a warning before a large one.

``size`` defaults to the content's own size, so a 12-megapixel photo would be
optimised at 12 megapixels: hours on a CPU.  :func:`warn_if_large` says so before
anything runs, with an estimate measured on the device itself: the forward and
backward passes cost about three forward passes' multiply-adds, and the device's
speed is timed on one VGG-sized convolution.
"""
from __future__ import annotations

import time
import warnings
from functools import lru_cache

import torch
import torch.nn.functional as F

from .checks import estimate_bytes
from .layers import LAYERS

LARGE_PIXELS = 1024 * 1024


class LargeImageWarning(UserWarning):
    """The output is large: the optimisation will take long and need much memory."""


def forward_flops(hw: tuple[int, int], deepest: int) -> float:
    """Multiply-adds x 2 of the VGG19 convolutions up to layer index ``deepest``."""
    h, w = hw
    flops = 0.0
    for _, kind, cin, cout in LAYERS[:deepest + 1]:
        if kind == "pool":
            h, w = h // 2, w // 2
        elif kind == "conv":
            flops += 2.0 * h * w * cin * cout * 9
    return flops


@lru_cache(maxsize=4)
def flops_per_second(device: str) -> float:
    """Measured speed of a 128 -> 128 channel 3x3 convolution on ``device``."""
    dev = torch.device(device)
    x = torch.rand(1, 128, 64, 64, device=dev)
    w = torch.rand(128, 128, 3, 3, device=dev)
    F.conv2d(x, w, padding=1)  # warm-up
    runs, start = 3, time.perf_counter()
    for _ in range(runs):
        y = F.conv2d(x, w, padding=1)
    float(y[0, 0, 0, 0])  # wait for the device
    seconds = (time.perf_counter() - start) / runs
    return 2.0 * 64 * 64 * 128 * 128 * 9 / max(seconds, 1e-9)


def estimate_seconds(hw: tuple[int, int], deepest: int, iterations: int, device) -> float:
    """Seconds for ``iterations`` loss-and-gradient evaluations at ``hw`` on ``device``."""
    return 3.0 * forward_flops(hw, deepest) * iterations / flops_per_second(str(device))


def warn_if_large(hw: tuple[int, int], deepest: int, iterations: int, optimizer: str,
                  device) -> None:
    """A :class:`LargeImageWarning` with the time and memory estimate when the output
    has more than :data:`LARGE_PIXELS` pixels."""
    if hw[0] * hw[1] <= LARGE_PIXELS:
        return
    seconds = estimate_seconds(hw, deepest, iterations, device)
    memory_bytes = estimate_bytes(hw, deepest, optimizer)
    warnings.warn(f"size: the output is {hw[0]} x {hw[1]} px; on {device} this needs about "
                  f"{memory_bytes / 2 ** 30:.1f} GiB and {_duration(seconds)} for {iterations} "
                  f"iterations ({_duration(seconds / iterations)} each). Set size (e.g. 512) "
                  f"or a pyramid for a faster run.", LargeImageWarning, stacklevel=3)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
