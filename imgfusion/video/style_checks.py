"""What ``video_style`` checks beyond its declaration: validation's check (the flow
method's weights, an ``init`` it can start a clip from) and the checks that need the
values together (neighbours against passes) or the data (masks against the clip).

Light at import: validation imports it to run :func:`check_video_style`.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..errors import ParameterError


def refuse_image_init(init: str) -> None:
    """``init: image`` needs an init_image, which a clip has not."""
    if init == "image":
        raise ParameterError("init", "'image' is not one of 'content', 'noise', 'style', "
                                     "'white' (video_style has no init_image)")


def check_video_style(params: Mapping[str, Any]) -> None:
    """Validation's check: VGG19's layers, the flow method's weights on disk, an init it
    can use, neighbours and temporal_from_pass the passes allow."""
    from ..style.checks import check_layers
    from .flow_op import check_flow_options

    check_layers(params)
    check_flow_options(params)
    refuse_image_init(params.get("init", "content"))
    passes, start = int(params.get("passes", 1)), params.get("temporal_from_pass")
    checked_neighbours(params.get("neighbours", (1,)), passes,
                       passes // 2 if start is None else int(start))


def checked_neighbours(neighbours: Sequence[int], passes: int, temporal_from: int) -> list[int]:
    """The earlier frames the temporal loss holds, sorted, as the passes allow."""
    js = sorted({int(j) for j in neighbours})
    if not js:
        raise ParameterError("neighbours", "earlier frames are 1, 2, ... back; got []")
    if passes > 1 and js != [1]:
        raise ParameterError("neighbours", "the multi-pass variant uses the next frame in "
                                           "each direction only: neighbours [1]")
    if not 0 <= temporal_from < passes:
        raise ParameterError("temporal_from_pass", f"must be in [0, passes - 1], got "
                                                   f"{temporal_from} for {passes} passes")
    return js


def guided_masks(mask, styles: list, *, guided: bool, style_guides) -> None:
    """``mask_method: guided`` needs a mask and one style; style guides need it."""
    if guided and mask is None:
        raise ParameterError("mask_method", "guided needs a mask (the region to stylise)")
    if style_guides is not None and not guided:
        raise ParameterError("style_guides", "style guides go with mask_method: guided")
    if guided and len(styles) != 1:
        raise ParameterError("style", f"mask_method guided takes one style image, got "
                                      f"{len(styles)}")
