"""Cut-outs: masks of an object from a rough hint (GrabCut) or from colour, luminance or alpha.

:func:`cut_out` runs OpenCV's GrabCut (Rother et al. 2004): a colour model of the
object and of its background (5-component Gaussian mixtures) and a graph cut,
iterated; the hint is a box (everything outside it is background) or a rough mask
(outside it is background, inside probably the object).  GrabCut's labels are
hard; the edge is then made soft with a guided filter (He et al. 2010) that
follows the image's own edges, so hair-thin steps of the hard cut do not show.

The keys (:func:`color_key`, :func:`channel_key`) take any image of the recipe,
computed ones too, and ramp linearly over ``softness`` around their threshold.
"""
from __future__ import annotations

import warnings
from typing import Annotated, Literal

import numpy as np

from ..checks import check_image, check_mask, luminance, split_alpha
from ..errors import ParameterError
from ..limits import COORD_MAX, FEATHER_MAX
from ..operators import Image, Mask, Range, operator

GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = 0, 1, 2, 3


def _box_pixels(box, units: str, hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), half-open, in pixels and inside the image."""
    rows, cols = hw
    px = box if units == "px" else (box[0] * rows, box[1] * cols, box[2] * rows, box[3] * cols)
    top, left = max(int(round(px[0])), 0), max(int(round(px[1])), 0)
    bottom, right = min(int(round(px[2])), rows), min(int(round(px[3])), cols)
    if bottom - top < 2 or right - left < 2:
        hint = ("; these look like pixels: set units: px" if units == "fraction"
                and max(abs(v) for v in box) > 1 else "")
        raise ParameterError("box", f"{tuple(box)} ({units}) leaves less than 2 x 2 pixels of "
                                    f"the {rows} x {cols} image; give [top, left, bottom, "
                                    f"right]{hint}")
    return top, left, bottom, right


def check_box(params) -> None:
    """Validation's check of ``cut_out``'s box: its corners in order, and, in fractions,
    a start inside the image (what can be told without the image's size)."""
    box, units = params.get("box"), params.get("units", "fraction")
    if box is None:
        return
    top, left, bottom, right = (float(v) for v in box)
    if bottom <= top or right <= left:
        raise ParameterError("box", f"{tuple(box)}: give [top, left, bottom, right], bottom "
                                    "below top and right of left")
    if units == "fraction" and (top >= 1 or left >= 1 or bottom <= 0 or right <= 0):
        raise ParameterError("box", f"{tuple(box)} (fraction) lies outside the image, whose "
                                    "fractions run from 0 to 1; for pixels set units: px")


def _labels(hw, box, units, hint, sure) -> np.ndarray:
    """GrabCut's starting labels from the box and/or the rough mask."""
    inside = np.ones(hw, bool)
    if box is not None:
        top, left, bottom, right = _box_pixels(box, units, hw)
        inside[:] = False
        inside[top:bottom, left:right] = True
    labels = np.where(inside, GC_PR_FGD, GC_BGD).astype(np.uint8)
    if hint is not None:
        alpha = check_mask(hint, hw, "hint", "the image", nonempty=True)
        labels[:] = GC_BGD
        labels[inside & (alpha > 0)] = GC_PR_BGD
        labels[inside & (alpha >= 0.5)] = GC_PR_FGD
    if sure is not None:
        labels[check_mask(sure, hw, "sure", "the image", nonempty=True) >= 0.5] = GC_FGD
    if hint is None and inside.all():
        raise ParameterError("box", WHOLE_BOX)
    if not (labels == GC_BGD).any() or not (labels & 1).any():
        raise ParameterError("hint" if hint is not None else "sure",
                             "GrabCut needs some background (outside the box and the hint, "
                             "not marked sure) and some object (alpha >= 0.5) inside them")
    return labels


WHOLE_BOX = ("covers the whole image, which leaves GrabCut no background to learn from: draw "
             "the box around the object, or give a rough mask as hint")


def box_leaves_background(params, inputs) -> None:
    """``cut_out``'s shape check: without a hint, the box leaves some of the image outside
    it (where the image's size is known, or in fractions)."""
    box, units, shape = params.get("box"), params.get("units", "fraction"), inputs.get("image")
    if box is None or "hint" in inputs:
        return
    hw = getattr(shape, "size", None)
    if hw is not None:
        whole = _box_pixels(box, units, hw) == (0, 0, *hw)
    else:   # the size unknown: only a fraction box that reaches every edge is sure to
        top, left, bottom, right = (float(v) for v in box)
        whole = units == "fraction" and max(top, left) <= 0 and min(bottom, right) >= 1
    if whole:
        raise ParameterError("box", f"{tuple(box)} {WHOLE_BOX}")


class EmptyCutWarning(UserWarning):
    """GrabCut kept no pixel: the mask cut_out returns is empty."""


def _grabcut(rgb8: np.ndarray, labels: np.ndarray, iterations: int) -> np.ndarray:
    import cv2

    cv2.setRNGSeed(0)  # its mixtures start from k-means: the same cut on every run
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(rgb8, labels, None, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_MASK)
    return (labels & 1).astype(bool)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey ``guide`` (H x W), box windows of ``radius``."""
    import cv2

    size = (2 * radius + 1, 2 * radius + 1)

    def mean(x):
        return cv2.boxFilter(x, cv2.CV_64F, size, borderType=cv2.BORDER_REFLECT)

    g, p = guide.astype(np.float64), src.astype(np.float64)
    mg, mp = mean(g), mean(p)
    a = (mean(g * p) - mg * mp) / (mean(g * g) - mg * mg + eps)
    b = mp - a * mg
    return mean(a) * g + mean(b)


def _rgb8(colour: np.ndarray) -> np.ndarray:
    rgb = colour if colour.shape[2] == 3 else np.repeat(colour, 3, axis=2)
    return np.ascontiguousarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8))


@operator(size_of="image", same_size=("image", "hint", "sure"), check=check_box,
          shape_check="imgfusion.layout.cutouts:box_leaves_background")
def cut_out(image: Image, hint: Mask | None = None, sure: Mask | None = None, *,
            box: Annotated[tuple[float, float, float, float] | None,
                           Range(-COORD_MAX, COORD_MAX)] = None,
            units: Literal["fraction", "px"] = "fraction",
            iterations: Annotated[int, Range(1, 100)] = 5,
            edge: Annotated[int, Range(0, FEATHER_MAX)] = 2) -> Mask:
    """Cut an object out of its background from a rough box or mask (GrabCut), with a soft edge.

    Give ``box``, ``hint`` or both (then the hint counts only inside the box).  The
    object is the part of the image whose colours GrabCut finds more like the inside
    of the hint than the outside; where the object shares its colours with the
    background (a cup on a saucer of its colour), mark a part of it as ``sure``.
    Combine with ``mask_largest`` or ``mask_fill_holes`` to clean up.

    Parameters
    ----------
    image : the image the object is cut out of (its alpha is ignored)
    hint : a rough mask around the object: outside it is background, inside (alpha >= 0.5) probably the object, its soft fringe probably background
    sure : pixels (alpha >= 0.5) that are certainly the object, wherever the hint or box says
    box : [top, left, bottom, right] around the object, in ``units``; outside it is background
    units : fraction (of the image's height and width) or px, for ``box``
    iterations : rounds of GrabCut's model update and graph cut
    edge : radius in pixels of the guided filter that softens the cut's edge along the image's edges (0: a hard mask)
    """
    colour, _ = split_alpha(check_image(image))
    if box is None and hint is None:
        raise ParameterError("box", "give a box around the object, a rough mask as hint, or both")
    check_box({"box": box, "units": units})
    labels = _labels(colour.shape[:2], box, units, hint, sure)
    hard = _grabcut(_rgb8(colour), labels, iterations)
    if not hard.any():
        warnings.warn("cut_out: GrabCut kept no pixel, so the mask is empty: the object's "
                      "colours may match the background's; give a hint, or mark some of the "
                      "object as sure", EmptyCutWarning, stacklevel=2)
    if edge == 0 or not hard.any():
        return hard
    return soft_edge(hard, luminance(colour), edge)


def soft_edge(hard: np.ndarray, guide: np.ndarray, edge: int) -> np.ndarray:
    """``hard`` softened along ``guide``'s edges, within ``2 * edge`` px of its outline only.

    Alpha below 1/255 is 0 and above 1 - 1/255 is 1, so no faint halo widens the
    mask's bounding box (the region a blend solves).
    """
    from scipy.ndimage import distance_transform_edt

    soft = guided_filter(guide, hard.astype(np.float64), edge, 1e-3)
    near = distance_transform_edt(~hard) <= 2 * edge
    soft = np.where(near, np.clip(soft, 0, 1), 0.0)
    soft[soft < 1 / 255] = 0.0
    soft[soft > 1 - 1 / 255] = 1.0
    return soft.astype(np.float32)


def _ramp(value: np.ndarray, threshold: float, softness: float) -> np.ndarray:
    """1 above ``threshold``, 0 below, linear over ``softness`` centred on it."""
    if softness == 0:
        return value > threshold
    return np.clip((value - threshold) / softness + 0.5, 0, 1).astype(np.float32)


def _select(alpha: np.ndarray, invert: bool) -> np.ndarray:
    if not invert:
        return alpha
    return ~alpha if alpha.dtype == bool else (1 - alpha).astype(np.float32)


@operator(size_of="image")
def color_key(image: Image, *,
              color: Annotated[tuple[float, float, float], Range(0, 1)] = (0.0, 1.0, 0.0),
              tolerance: Annotated[float, Range(0, 2)] = 0.2,
              softness: Annotated[float, Range(0, 2)] = 0.05,
              invert: bool = False) -> Mask:
    """Key out a colour: the mask of the pixels farther than ``tolerance`` from ``color``.

    Distance is Euclidean in RGB (0 to about 1.73); a grey image is compared with
    the colour's luminance.  The default keeps everything but a green screen.

    Parameters
    ----------
    image : the image keyed (any image of the recipe; its alpha is ignored)
    color : [r, g, b] in [0, 1] of the background keyed out
    tolerance : RGB distance from ``color`` up to which a pixel is background
    softness : width of the linear ramp around ``tolerance`` (0: a hard mask)
    invert : select the pixels near the colour instead
    """
    colour, _ = split_alpha(check_image(image))
    key = np.asarray(color, np.float32)
    if colour.shape[2] == 1:
        key = np.array([float(luminance(key[None, None, :])[0, 0])], np.float32)
    distance = np.sqrt(((colour - key) ** 2).sum(axis=2))
    return _select(_ramp(distance, tolerance, softness), invert)


@operator(size_of="image")
def channel_key(image: Image, *,
                channel: Literal["luminance", "alpha", "red", "green", "blue"] = "luminance",
                threshold: Annotated[float, Range(0, 1)] = 0.5,
                softness: Annotated[float, Range(0, 1)] = 0.0,
                invert: bool = False) -> Mask:
    """Key an image by one channel: the mask of the pixels whose ``channel`` is above ``threshold``.

    Parameters
    ----------
    image : the image keyed (any image of the recipe, computed ones too)
    channel : luminance (BT.709), alpha (the image's alpha channel), red, green or blue
    threshold : the level above which a pixel is selected
    softness : width of the linear ramp around ``threshold`` (0: a hard mask)
    invert : select the pixels below the threshold instead (a dark object on a light ground)
    """
    check_image(image)
    return _select(_ramp(_channel(image, channel), threshold, softness), invert)


def _channel(image: np.ndarray, channel: str) -> np.ndarray:
    colour, alpha = split_alpha(image)
    if channel == "luminance":
        return luminance(colour)
    if channel == "alpha":
        if alpha is None:
            raise ParameterError("image", "has no alpha channel to key (channel: alpha)")
        return alpha
    if colour.shape[2] == 1:
        raise ParameterError("image", f"a grey image has no {channel} channel; "
                                      "key its luminance")
    return colour[..., ("red", "green", "blue").index(channel)]
