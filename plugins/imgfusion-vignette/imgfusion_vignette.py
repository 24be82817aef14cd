"""imgfusion-vignette: the ``vignette`` operator, an example imgfusion plugin.

The plugin is one module: a plain function that works on imgfusion's data
layout (float32 H x W x C in [0, 1]) and a hook that registers it.
"""
from __future__ import annotations

import numpy as np

from imgfusion import Input, Operator, Param, ParameterError, hookimpl


def vignette(image: np.ndarray, *, strength: float = 0.5, radius: float = 0.6,
             softness: float = 0.4, center: tuple[float, float] = (0.5, 0.5),
             color: float = 0.0) -> np.ndarray:
    """Fade an image towards ``color`` away from a centre, like a lens vignette.

    Parameters
    ----------
    image : (H, W, C) float32 ndarray
        The alpha channel of an RGBA image is left as it is.
    strength : float in [0, 1]
        How far the corners move towards ``color`` (0: no change).
    radius : float
        Distance from the centre, as a fraction of the centre-to-corner
        distance, where the fade starts.
    softness : float
        Width of the fade, same unit; the fade follows a smoothstep.
    center : (row, col)
        The centre as fractions of the height and width.
    color : float in [0, 1]
        Grey level faded towards: 0 darkens, 1 lightens.

    Returns
    -------
    (H, W, C) float32 ndarray
        Pixels within ``radius`` of the centre are unchanged.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3:
        raise ParameterError("image", f"expected an H x W x C image, got {getattr(image, 'shape', image)}")
    if softness <= 0:
        raise ParameterError("softness", f"must be above 0, got {softness!r}")
    rows, cols = image.shape[:2]
    y = (np.arange(rows) + 0.5) / rows - center[0]
    x = (np.arange(cols) + 0.5) / cols - center[1]
    dist = np.hypot(y[:, None], x[None, :]) / np.hypot(0.5, 0.5)
    t = np.clip((dist - radius) / softness, 0, 1)
    weight = (strength * t * t * (3 - 2 * t)).astype(np.float32)[..., None]
    out = image.astype(np.float32, copy=True)
    colour = out[..., :3] if out.shape[2] == 4 else out
    colour[...] = (1 - weight) * colour + weight * np.float32(color)
    return out


@hookimpl
def imgfusion_register_operators(register):
    register(Operator(
        name="vignette", func=vignette,
        summary="Fade an image towards black (or any grey) away from its centre.",
        inputs=[Input("image")],
        params=[
            Param("strength", float, 0.5, min=0, max=1, help="how far the corners fade"),
            Param("radius", float, 0.6, min=0, help="where the fade starts (0 centre, 1 corner)"),
            Param("softness", float, 0.4, min=0.001, help="width of the fade"),
            Param("center", tuple[float, float], (0.5, 0.5),
                  help="[row, col] of the centre as fractions of the size"),
            Param("color", float, 0.0, min=0, max=1, help="grey level faded towards"),
        ],
    ))
