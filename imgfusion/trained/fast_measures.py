"""Does a feed-forward style model keep the photo?  Content, style, border and brightness
figures of a stylised image, and the pixel-blend peer it must beat.

Distances are ``neural_style``'s own losses, unweighted (one
:class:`~imgfusion.trained.perceptual.PerceptualLoss`):

- content distance: Σ (F - P)² / Σ P² at the content layers (0: the photo's features;
  about 1: features unrelated to the photo's);
- style distance: Σ (G - A)² / Σ A² of the Gram matrices at the style layers.

The peers:

- the style image itself, resized to the photo: its content distance is what a result
  that forgot the photo scores (a result that keeps the photo stays well below it);
- the pixel blends ``b(alpha) = alpha * photo + (1 - alpha) * m``, m the style image's
  mean colour or the style image itself (a double exposure), with alpha chosen
  (bisection) so that the blend keeps exactly as much content as the result (the same
  content distance): the result's style distance must beat both blends', or the network
  did no more than fade the photo into the style's colour or overlay the style image.

Border and brightness (streaks, collapse):

- border ratio: the mean squared gradient of the luminance in a strip ``strip`` px wide
  along the four borders over the interior's; streaks or dots along the borders raise it
  above 1 (a photo's own ratio is printed next to it by the bench);
- luminance ratio: the result's mean luminance over the photo's (a collapse to black
  takes it towards 0);
- grid share: the share of the fine detail's energy (the luminance less its blur) that
  repeats every 4 px in both directions (each of the grid's 16 phases averaged over the
  picture's 4 x 4 cells).  A network whose strides tie its output to that grid (a
  lattice of dots) puts several per cent there; a photo and noise, a few tenths of one
  per cent at most (noise: 16 / pixels).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..video.drift import luminance

BORDER_STRIP = 8   # px
GRID = 4           # px, the transformation network's total stride


class Distances(NamedTuple):
    content: float
    style: float


def distances(loss, image: np.ndarray, content: np.ndarray) -> Distances:
    """Unweighted content and style distances of ``image`` to ``content`` and the style."""
    from ..style.losses import content_loss
    from ..style.pipeline import resize, to_tensor

    x = to_tensor(content, loss.device)
    y = resize(to_tensor(image, loss.device), tuple(content.shape[:2]))
    with torch.no_grad():
        feats = loss.encoder(y)
        c = content_loss(feats, loss.content_features(x), loss.content_w)
        return Distances(float(c), float(loss.style(feats)))


def pixel_blend(photo: np.ndarray, other: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha * photo + (1 - alpha) * other`` (a colour, or an image of the photo's size)."""
    return (alpha * photo + (1 - alpha) * np.asarray(other, np.float32)).astype(np.float32)


def blend_toward(photo: np.ndarray, style_rgb: np.ndarray, toward: str) -> np.ndarray:
    """What the blend peer fades the photo into: the style image's mean colour
    (``"colour"``) or the style image itself, resized to the photo (``"image"``)."""
    from ..trained.data import resize_image

    if toward == "colour":
        return style_rgb.reshape(-1, 3).mean(axis=0)
    if toward == "image":
        return resize_image(style_rgb, photo.shape[:2])
    raise ValueError(f"toward must be 'colour' or 'image', got {toward!r}")


def blend_peer(loss, photo: np.ndarray, style_rgb: np.ndarray, content_distance: float,
               rounds: int = 12, toward: str = "colour") -> tuple[float, Distances]:
    """(alpha, distances) of the pixel blend toward the style (:func:`blend_toward`) that
    keeps as much content as ``content_distance`` (bisection on alpha; alpha 0 when even
    the style's side keeps more, 1 when the photo itself keeps less)."""
    other = blend_toward(photo, style_rgb, toward)
    lo, hi = 0.0, 1.0
    for _ in range(rounds):
        mid = (lo + hi) / 2
        if distances(loss, pixel_blend(photo, other, mid), photo).content > content_distance:
            lo = mid
        else:
            hi = mid
    alpha = (lo + hi) / 2
    return alpha, distances(loss, pixel_blend(photo, other, alpha), photo)


def content_share(content_distance: float, style_distance: float) -> float:
    """An image's content distance to its photo (:func:`distances`) over the style
    image's (``style_distance``, :func:`style_image_distance`): 0 is the photo, 1 is as
    far from it as the style image."""
    return content_distance / max(style_distance, 1e-12)


def style_image_distance(loss, photo: np.ndarray, style_rgb: np.ndarray) -> float:
    """The content distance of the style image (resized to the photo) to the photo."""
    from ..trained.data import resize_image

    return distances(loss, resize_image(style_rgb, photo.shape[:2]), photo).content


def gradient_energy(image: np.ndarray) -> np.ndarray:
    """Squared forward differences of the luminance (H-1 x W-1, vertical plus horizontal)."""
    y = luminance(image)
    return (y[1:, :-1] - y[:-1, :-1]) ** 2 + (y[:-1, 1:] - y[:-1, :-1]) ** 2


def border_ratio(image: np.ndarray, strip: int = BORDER_STRIP) -> float:
    """Mean gradient energy in the border strip over the interior's (1: no border
    artefact)."""
    e = gradient_energy(image)
    inner = np.zeros(e.shape, bool)
    inner[strip:-strip, strip:-strip] = True
    if not inner.any() or inner.all():
        raise ValueError(f"an image of {image.shape[:2]} has no border strip of {strip} px "
                         "and interior")
    return float(e[~inner].mean() / max(e[inner].mean(), 1e-12))


def luminance_ratio(image: np.ndarray, photo: np.ndarray) -> float:
    """Mean luminance of ``image`` over ``photo``'s."""
    return float(luminance(image).mean() / max(luminance(photo).mean(), 1e-12))


def grid_share(image: np.ndarray, period: int = GRID) -> float:
    """The share (0 to 1) of the fine detail's energy that repeats every ``period`` px
    (0 for a picture without fine detail)."""
    from scipy.ndimage import gaussian_filter

    if period < 1:
        raise ValueError(f"period must be at least 1 px, got {period}")
    y = luminance(image)
    h, w = (n // period * period for n in y.shape)
    if not h or not w:
        raise ValueError(f"an image of {image.shape[:2]} is smaller than the {period} px grid")
    detail = (y - gaussian_filter(y, 2.0))[:h, :w]
    phases = detail.reshape(h // period, period, w // period, period).mean((0, 2))
    total = float((detail ** 2).mean())
    return float((phases ** 2).mean() / total) if total > 1e-12 else 0.0
