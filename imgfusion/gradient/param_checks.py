"""What the gradient operators can tell from their parameters alone, before anything runs.

Each function raises :class:`~imgfusion.errors.ParameterError` naming the field.  The
operators call them on entry (a Python call), and their ``check`` runs them at recipe
validation (exit 2 before the steps ahead run).  This module imports no solver: recipe
validation stays light.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..checks import LUMA_STANDARDS
from ..errors import ParameterError
from . import DEVICE_SOLVERS


def solver_on_device(solver: str, device: str) -> None:
    """Only ``auto`` and ``mgpcg`` run on a GPU."""
    if not isinstance(device, str) or not (device == "cpu" or device.startswith("cuda")):
        raise ParameterError("device", f"expected 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}")
    if device != "cpu" and solver not in DEVICE_SOLVERS:
        raise ParameterError("solver", f"{solver!r} runs on the CPU only; on {device} use "
                                       f"{' or '.join(DEVICE_SOLVERS)}")


def canny_thresholds(low: float, high: float) -> None:
    if low > high:
        raise ParameterError("low_threshold", f"need low_threshold <= high_threshold, got "
                                              f"{low!r} and {high!r}")


def recolouring(transition: float, solver: str, color) -> None:
    """color_change: the screened solve takes a matrix; black has no shading to keep."""
    if transition > 0 and solver in ("fft", "mgpcg"):
        raise ParameterError("solver", f"{solver} solves the pure Poisson system only; use "
                                       "auto, direct, cg or multigrid, or transition: 0")
    if color is not None and float(sum(c * w for c, w in zip(color,
                                                             LUMA_STANDARDS["bt601"]))) <= 0:
        raise ParameterError("color", "black has no shading to keep; ask for a colour "
                                      "with some luminance")


def check_blend(params: Mapping[str, Any]) -> None:
    """The blends' and stylize_and_blend's check."""
    solver_on_device(params.get("solver", "auto"), params.get("device", "cpu"))


def check_texture_flatten(params: Mapping[str, Any]) -> None:
    canny_thresholds(params.get("low_threshold", 0.1), params.get("high_threshold", 0.2))


def check_color_change(params: Mapping[str, Any]) -> None:
    recolouring(params.get("transition", 8.0), params.get("solver", "auto"),
                params.get("color"))
