"""The placement preview: the cutout blended into the target where the page holds it.

The page asks for the fast preview while the cutout follows the mouse (the ``fft``
Poisson mode: OpenCV's seamlessClone algorithm, approximate, tens of milliseconds on a
few hundred pixels) and for the exact blend (the default solver) on release.  Both call
the registered operators the recipe will run (``resize`` by the scale, then
``poisson_blend`` at the offset), so the exact preview is the recipe's result.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImgfusionError
from .files import NAME_PATTERN, Refused, image_source, png_bytes
from .recipes import Settings

MODES = {"fast": "fft", "exact": "auto"}


@functools.lru_cache(maxsize=16)
def _decoded(op_function, source: str, stamp: float) -> np.ndarray:
    return op_function(path=source)


def _read(settings: Settings, op: str, rel: str) -> np.ndarray:
    source = image_source(settings.folder, rel)
    stamp = 0.0 if isinstance(source, str) else os.stat(source).st_mtime
    return _decoded(settings.registry[op].function, os.fspath(source), stamp)


def _scaled(settings: Settings, value: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1:
        return value
    return settings.registry["resize"].function(value, scale=scale)


def _offset(value: Any) -> tuple[int, int]:
    try:
        row, col = (int(round(float(v))) for v in value)
    except (TypeError, ValueError):
        raise Refused(f"offset must be [row, col], got {value!r}") from None
    return row, col


def blend(settings: Settings, request: dict) -> bytes:
    """PNG of ``source`` (masked by ``mask``, scaled by ``scale``) blended into
    ``target`` at ``offset`` = (row, col); ``mode`` fast or exact."""
    mode = MODES.get(request.get("mode", "fast"))
    if mode is None:
        raise Refused(f"mode must be one of {', '.join(MODES)}")
    try:
        scale = float(request.get("scale", 1.0))
        source = _scaled(settings, _read(settings, "load", request["source"]), scale)
        mask = _scaled(settings, _read(settings, "load_mask", request["mask"]), scale)
        target = _read(settings, "load", request["target"])
        result = settings.registry["poisson_blend"].function(
            source, target, mask, offset=_offset(request.get("offset", (0, 0))), solver=mode)
    except KeyError as exc:
        raise Refused(f"the preview needs {exc}") from None
    except (ImgfusionError, ValueError) as exc:
        raise Refused(str(exc), 422) from None
    return png_bytes(result.image)


def mask_path(step_id: str) -> str:
    """Where the page's drawn mask of a step goes in FOLDER: ``masks/STEP.png``."""
    if not NAME_PATTERN.match(step_id) or "." in step_id:
        raise Refused(f"{step_id[:80]!r} is not a step id (letters, digits, '_', '-')")
    return Path("masks", f"{step_id}.png").as_posix()
