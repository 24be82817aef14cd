from typing import Annotated

import numpy as np

from imgfusion import Image, Range, hookimpl, operator
from imgfusion.checks import check_image


@operator
def vignette(image: Image, *, strength: Annotated[float, Range(0, 1)] = 0.5,
             radius: Annotated[float, Range(0)] = 0.6, center: tuple[float, float] = (0.5, 0.5),
             softness: Annotated[float, Range(1e-3)] = 0.4,
             color: Annotated[float, Range(0, 1)] = 0.0) -> Image:
    """Fade an image towards black (or any grey) away from its centre, like a lens vignette.

    Parameters
    ----------
    strength : how far the corners fade
    radius : where the fade starts (0 centre, 1 corner)
    center : [row, col] of the centre as fractions of the size
    softness : width of the fade (a smoothstep)
    color : grey level faded towards; an RGBA image's alpha is kept
    """
    y, x = ((np.arange(n) + 0.5) / n - c for n, c in zip(check_image(image).shape[:2], center))
    t = np.clip((np.hypot(y[:, None], x) / np.hypot(0.5, 0.5) - radius) / softness, 0, 1)
    weight = (strength * t * t * (3 - 2 * t)).astype(np.float32)[..., None]
    out = image.astype(np.float32, copy=True)
    out[..., :3] = (1 - weight) * out[..., :3] + weight * np.float32(color)
    return out


@hookimpl
def imgfusion_register_operators(register):
    register(vignette)
