"""Alpha compositing and grey conversion.

Channel rules, shared by :func:`composite` and :func:`imgfusion.layout.geometry.place`:

* the foreground's weight is ``alpha = mask * foreground alpha`` (a missing
  mask or a foreground without alpha counts as 1);
* the result has colour (3 channels) when either image has colour, else it
  is grey (1 channel); a grey image blended with a colour one is replicated;
* the result has an alpha channel exactly when the background has one.  Then
  the blend is Porter-Duff "over" with straight alpha:
  ``a_out = a + a_bg (1 - a)``, ``c_out = (a c_fg + (1 - a) a_bg c_bg) / a_out``
  (colour 0 where ``a_out`` is 0); otherwise ``c_out = a c_fg + (1 - a) c_bg``.

So a pixel where the weight is 0 keeps the background's exact value.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_image, check_mask, luminance, split_alpha, to_colour
from ..errors import ParameterError
from ..operators import Image, Mask, operator
from .placement import Placement, check_shown_lands, landed, resolve_placement, unplaced


def blend_over(fg: np.ndarray, bg: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``fg`` over ``bg`` (same H x W) with the H x W ``weight``, by the rules above."""
    fg_colour, fg_alpha = split_alpha(fg)
    bg_colour, bg_alpha = split_alpha(bg)
    a = weight if fg_alpha is None else weight * fg_alpha
    channels = max(fg_colour.shape[2], bg_colour.shape[2])
    f = to_colour(fg_colour, channels).astype(np.float32)
    b = to_colour(bg_colour, channels).astype(np.float32)
    a = a[..., None].astype(np.float32)
    if bg_alpha is None:
        out = a * f + (1 - a) * b
        keep = a[..., 0] == 0
        out[keep] = b[keep]  # exact where the foreground does not reach
        return np.clip(out, 0, 1).astype(np.float32)
    ab = bg_alpha[..., None].astype(np.float32)
    a_out = a + ab * (1 - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_out = np.where(a_out > 0, (a * f + (1 - a) * ab * b) / a_out, 0)
    keep = a[..., 0] == 0
    c_out[keep] = b[keep]
    out = np.concatenate([c_out, a_out], axis=2)
    return np.clip(out, 0, 1).astype(np.float32)


def _check_one_size(fg_hw, bg_hw) -> None:
    if tuple(fg_hw) != tuple(bg_hw):
        raise ParameterError("foreground", f"the foreground is {fg_hw[0]} x {fg_hw[1]} but the "
                                           f"background is {bg_hw[0]} x {bg_hw[1]}; give at "
                                           "(and scale or fit) to place a smaller one")


def sizes_agree(params, inputs) -> None:
    """``composite``'s shape_check: without a placement both images have one size."""
    if not unplaced(params):
        return
    fg, bg = (getattr(inputs.get(n), "size", None) for n in ("foreground", "background"))
    if fg is not None and bg is not None:
        _check_one_size(fg, bg)


def check_composite(params) -> None:
    """``scale`` or ``fit`` need ``at``: composite has no offset, so the resized foreground
    would sit at the top-left corner, which no one asks for."""
    if params.get("at") is None:
        for name in ("fit", "scale"):
            if params.get(name) not in (None, 1.0):
                raise ParameterError(name, f"{name} is given without at; give at (and "
                                           "anchor) for where the resized foreground goes")


@operator(same_size=("foreground", "mask"), size_of="background", check=check_composite,
          shape_check="imgfusion.layout.compose:sizes_agree")
def composite(foreground: Image, background: Image, mask: Mask | None = None, *,
              placement: Placement = Placement()) -> Image:
    """Alpha-blend a foreground over a background through a mask.

    The images have the same size unless ``at`` places the foreground.  See
    the module's channel rules: colour if either input has colour, alpha if the
    background has alpha.  Pixels where the mask (times the foreground alpha) is 0
    are the background's, unchanged.

    Parameters
    ----------
    foreground : the image shown where the mask is on
    background : the image shown elsewhere
    mask : where the foreground shows; default: its alpha channel
    placement : by anchor: the foreground (of any size) placed by a point of its mask, as ``place``
    """
    check_image(foreground, "foreground")
    check_image(background, "background")
    if mask is None and foreground.shape[2] != 4:
        raise ParameterError("mask", "composite needs a mask, or a foreground with an "
                                     "alpha channel")
    check_composite({"at": placement.at, "fit": placement.fit, "scale": placement.scale})
    if placement != Placement():
        hw = background.shape[:2]
        placed = resolve_placement(placement, foreground, mask, hw, by_alpha=True)
        check_shown_lands(placement, placed, hw, nudge=False)   # composite has no offset
        fg, weight, offset = placed
        return blend_over(landed(fg, offset, hw), background, landed(weight, offset, hw))
    _check_one_size(foreground.shape[:2], background.shape[:2])
    if mask is None:
        weight = np.ones(foreground.shape[:2], np.float32)
    else:
        weight = check_mask(mask, foreground.shape[:2])
    return blend_over(foreground, background, weight)


@operator(size_of="image")
def to_gray(image: Image) -> Image:
    """Convert to grey by luminance; RGBA stays RGBA with its alpha.

    ITU-R BT.709 weights, as skimage.color.rgb2gray.  H x W x 1 for a grey or RGB
    image; for RGBA, an RGBA image with R = G = B = luminance and the alpha kept
    (imgfusion's grey + alpha).
    """
    check_image(image)
    grey = luminance(image)[..., None]
    if image.shape[2] == 4:
        return np.concatenate([grey, grey, grey, image[..., 3:]], axis=2).astype(np.float32)
    return np.ascontiguousarray(grey, dtype=np.float32)
