"""What ``stylize_and_blend`` can tell from its parameters alone, before anything runs
(its ``check`` at recipe validation, and on entry of a Python call).  Light: no torch,
no solver."""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import ParameterError
from ..style.checks import check_style


def blend_choices(pyramid, solver: str, blend: str) -> None:
    """The cutout is stylised at its own size (no pyramid); fft erodes the piece's outline
    by 3 px, which the colour-keeping band does not survive."""
    if pyramid is not None:
        raise ParameterError("pyramid", "the cutout is stylised at its own size; resize the "
                                        "source (and its mask) first")
    if solver == "fft" and blend in ("auto", "keep_colors"):
        raise ParameterError("solver", "fft erodes the piece's outline by 3 px, which the "
                                       "colour-keeping band cannot survive; use another "
                                       "solver, or blend: poisson or mixed")


def check_stylize_and_blend(params: Mapping[str, Any]) -> None:
    check_style(params)
    blend_choices(params.get("pyramid"), params.get("solver", "auto"),
                  params.get("blend", "auto"))
