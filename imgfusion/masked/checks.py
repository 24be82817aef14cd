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


def piece_fits_target(source, style, target, color) -> None:
    """A grey target takes a grey piece only: the stylised piece is grey when the cut
    ``source`` is and every style image is, or the colour options keep the source's
    colours (``original_colors``, ``color_control``); checked before stylising, where the
    blend refused it after."""
    from ..checks import split_alpha
    from ..style.checks import as_rgb, style_list
    from ..style.color import is_grey

    if split_alpha(target)[0].shape[2] != 1:
        return
    if not is_grey(as_rgb(source, "source")[0]):
        raise ParameterError("source", "is in colour but the target is grey; convert the "
                                       "source to grey first, or use monochrome_transfer")
    # histogram matching a colour style to a grey source leaves it 2.8/255 from grey
    keeps = color.original_colors or color.color_control == "luminance"
    if not keeps and not all(is_grey(as_rgb(s, "style")[0]) for s in style_list(style)):
        raise ParameterError("style", "a style image is in colour, which would make the "
                                      "stylised piece colour, but the target is grey; "
                                      "convert the style to grey first")
