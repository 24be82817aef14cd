"""The placement preview (the cutout blended into the target where the page holds it) and
the mask tools (an operator applied to a drawn mask: a cut-out refining a rough shape, the
mask algebra).

The page asks for the fast preview while the cutout follows the mouse (the ``fft``
Poisson mode: OpenCV's seamlessClone algorithm, approximate, tens of milliseconds on a
few hundred pixels) and for the exact blend (the default solver) on release.  Both call
the registered ``poisson_blend`` the recipe will run, with its ``offset`` and ``scale``, so
the exact preview is the recipe's result.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImgfusionError
from ..operators import InputPath, OutputPath
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
        source = _read(settings, "load", request["source"])
        mask = _read(settings, "load_mask", request["mask"])
        target = _read(settings, "load", request["target"])
        result = settings.registry["poisson_blend"].function(
            source, target, mask, offset=_offset(request.get("offset", (0, 0))),
            scale=float(request.get("scale", 1.0)), solver=mode)
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


def _bound_inputs(op) -> dict[str, str] | None:
    """The first image input and the first mask input (name -> kind) when every other
    input is optional; None when the operator cannot take one image and one mask."""
    bound: dict[str, str] = {}
    for i in op.inputs:
        if i.kind in ("image", "mask") and not i.many and i.kind not in bound.values():
            bound[i.name] = i.kind
        elif not i.optional:
            return None
    return bound if "mask" in bound.values() else None


def is_mask_tool(op) -> bool:
    """A mask in, a mask as the first output, and nothing that reads or writes files or
    needs the engine (no path parameters, no run context): safe to apply from the page."""
    return (bool(op.outputs) and op.outputs[0].kind == "mask" and not op.context
            and _bound_inputs(op) is not None
            and not any(p.type in (InputPath, OutputPath) for p in op.params))


def mask_tools(registry) -> list[str]:
    return [n for n in registry.names() if is_mask_tool(registry[n])]


def refine(settings: Settings, request: dict) -> bytes:
    """PNG of the mask tool ``op`` applied to ``mask`` (and ``image``) with ``params``."""
    name = request.get("op")
    if name not in mask_tools(settings.registry):
        raise Refused(f"{str(name)[:80]!r} is not a mask tool; they are: "
                      f"{', '.join(mask_tools(settings.registry)) or 'none'}")
    op = settings.registry[name]
    try:
        files = {"image": _read(settings, "load", request["image"]),
                 "mask": _read(settings, "load_mask", request["mask"])}
        inputs = {n: files[kind] for n, kind in _bound_inputs(op).items()}
        outputs = op.call(inputs, op.checked(dict(request.get("params") or {})))
    except KeyError as exc:
        raise Refused(f"a mask tool needs {exc}") from None
    except (ImgfusionError, ValueError) as exc:
        raise Refused(str(exc), 422) from None
    return png_bytes(next(iter(outputs.values())))
