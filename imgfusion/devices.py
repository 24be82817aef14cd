"""Device choice for the operators that take a device: auto is cuda, then mps, then cpu.

The core's, because the engine resolves a step's device (and records it in run.json)
before the operator runs; torch is imported only when a device is resolved.
"""
from __future__ import annotations

from typing import Any

from .errors import ParameterError


def resolve_device(device: Any = "auto") -> Any:
    """``auto`` picks cuda, then mps, then cpu; other names must be available.

    Returns a ``torch.device``; torch is imported here, when a step needs a device.
    """
    import torch

    name = "auto" if device is None else str(device)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ParameterError("device", f"'{name}' is not a device name "
                                       f"(auto, cpu, cuda, cuda:N, mps)") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device", f"'{name}' asked for, but CUDA is not available here")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ParameterError("device", f"'{name}': only {torch.cuda.device_count()} CUDA "
                                       f"device(s) here")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None)
                                  and torch.backends.mps.is_available()):
        raise ParameterError("device", "'mps' asked for, but MPS is not available here")
    return dev


def device_name(name: str) -> str:
    """``auto`` (or ``cuda``) -> the device torch will really use: cpu, cuda:N or mps."""
    import torch

    dev = resolve_device(name)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return str(dev)


def unavailable_devices(recipe) -> list:
    """A :class:`~imgfusion.errors.Problem` for each device the recipe names (at its top
    or on a step whose operator takes one) that this machine lacks; torch is imported only
    when a device other than auto and cpu is named."""
    from .errors import Problem

    asked = [(None, recipe.device)] + [(s.id, s.device) for s in recipe.steps
                                       if s.device is not None and "device" in s.op.context]
    asked += [(s.id, s.params["device"]) for s in recipe.steps   # a solver's device field
              if "device" not in s.op.context and isinstance(s.params.get("device"), str)]
    problems = []
    for sid, name in asked:
        if str(name) in ("auto", "cpu"):
            continue
        try:
            resolve_device(name)
        except ParameterError as exc:
            problems.append(Problem(sid, "device", exc.message))
    return problems
