"""Device choice (auto: cuda, then mps, then cpu) and the precision modes (fp32, tf32, bf16)."""
from __future__ import annotations

import contextlib
from typing import Iterator, get_args

import torch

from ..devices import resolve_device  # noqa: F401 - the core's; this family's modules take it here
from ..errors import ParameterError
from ..memory import available_ram
from .options import Precision

PRECISIONS = get_args(Precision)


def check_precision(precision: str, device: torch.device) -> str:
    if precision not in PRECISIONS:
        raise ParameterError("precision", f"'{precision}' is not one of {', '.join(PRECISIONS)}")
    if precision != "fp32" and device.type != "cuda":
        raise ParameterError("precision", f"{precision} is an opt-in for CUDA devices only; "
                                          f"the device is {device}")
    return precision


@contextlib.contextmanager
def precision_context(precision: str, device: torch.device) -> Iterator[None]:
    """TF32 matmuls/convolutions or bf16 autocast for the forward pass, restored afterwards.

    Gram matrices and losses are computed in float32 in every mode.  The effect of
    tf32 / bf16 on the final loss has not been measured yet (no GPU was available when
    this was written): compare ``loss_history[-1]["total"]`` against an fp32 run with
    the same seed before relying on them.
    """
    if precision == "fp32" or device.type != "cuda":
        yield
        return
    if precision == "bf16":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
        return
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def available_memory(device: torch.device) -> int | None:
    """Free bytes on ``device`` (CUDA: mem_get_info; CPU: MemAvailable), None if unknown."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type == "cpu":
        return available_ram()
    return None
