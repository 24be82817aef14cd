"""Dense optical flow, warping, and Ruder et al.'s consistency map.

Flows are H x W x 2 float32 arrays in imgfusion's (row, col) order: ``flow[y, x] =
(dy, dx)`` takes pixel (y, x) of frame ``a`` to the matching point ``(y + dy, x + dx)``
of frame ``b``, so ``warp(b, flow)`` looks like ``a`` wherever the flow is right.

Methods: ``dis`` (OpenCV's DIS, Kroeger et al. 2016: no weights, hundreds of frames per
second; presets ultrafast, fast, medium), ``raft_small`` / ``raft_large`` (torchvision;
only when their weights are already in the torch hub cache: imgfusion never downloads
them), and ``farneback`` (OpenCV's polynomial expansion, a baseline).

The consistency map ``c`` (Ruder, Dosovitskiy, Brox 2016, after Sundaram et al. 2010)
is 1 where the warped neighbour can be trusted and 0 where

- the forward-backward round trip fails: |w̃ + ŵ|² ≥ 0.01 (|w̃|² + |ŵ|²) + 0.5,
- a motion boundary is crossed: |∇u|² + |∇v|² > 0.01 |ŵ|² + 0.002,
- the pixel warps out of the frame,

with ŵ the flow from the frame to its neighbour and w̃ the neighbour's flow back,
sampled where ŵ lands.  Disoccluded pixels (seen now, hidden in the neighbour) fail
the round trip.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ..errors import ParameterError
from .drift import luminance

METHODS = ("dis", "farneback", "raft_small", "raft_large")
PRESETS = ("ultrafast", "fast", "medium")


def _gray8(frame: np.ndarray) -> np.ndarray:
    """The frame's BT.601 luminance (OpenCV's RGB2GRAY) as 8-bit, what DIS and
    Farneback take."""
    return np.round(np.clip(luminance(frame), 0, 1) * 255).astype(np.uint8)


@lru_cache(maxsize=4)
def _dis(preset: str):
    import cv2

    code = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
            "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[preset]
    return cv2.DISOpticalFlow_create(code)


def _opencv_flow(a: np.ndarray, b: np.ndarray, method: str, preset: str) -> np.ndarray:
    import cv2

    ga, gb = _gray8(a), _gray8(b)
    if method == "dis":
        xy = _dis(preset).calc(ga, gb, None)
    else:
        xy = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 4, 15, 5, 7, 1.5, 0)
    return np.ascontiguousarray(xy[..., ::-1], dtype=np.float32)


# -- RAFT (torchvision), offline only ---------------------------------------------------
def _raft_weights(method: str):
    from torchvision.models.optical_flow import Raft_Large_Weights, Raft_Small_Weights

    return (Raft_Small_Weights if method == "raft_small" else Raft_Large_Weights).DEFAULT


def raft_weights_path(method: str) -> str:
    import torch

    name = os.path.basename(_raft_weights(method).url)
    return os.path.join(torch.hub.get_dir(), "checkpoints", name)


def check_method(method: str, preset: str = "medium") -> None:
    """ParameterError (field ``method``) for an unknown method or RAFT weights not on disk."""
    if method not in METHODS:
        raise ParameterError("method", f"'{method}' is not one of {', '.join(METHODS)}")
    if preset not in PRESETS:
        raise ParameterError("preset", f"'{preset}' is not one of {', '.join(PRESETS)}")
    if method.startswith("raft"):
        path = raft_weights_path(method)
        if not os.path.isfile(path):
            raise ParameterError("method", f"{method} needs torchvision's weights at {path}, "
                                           "which are not there, and imgfusion does not "
                                           "download them (offline). Copy the file there, or "
                                           "use method: dis (no weights)")


@lru_cache(maxsize=2)
def _raft_model(method: str, device: str):
    import torch
    from torchvision.models.optical_flow import raft_large, raft_small

    build = raft_small if method == "raft_small" else raft_large
    model = build(weights=None)
    model.load_state_dict(torch.load(raft_weights_path(method), map_location="cpu"))
    return model.eval().to(device)


def _raft_flow(a: np.ndarray, b: np.ndarray, method: str, device: str) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    h, w = a.shape[:2]   # RAFT wants multiples of 8, and 128 px at least (its pyramid)
    ph, pw = max(128, h + -h % 8) - h, max(128, w + -w % 8) - w

    def prep(x):
        t = torch.from_numpy(np.ascontiguousarray(x[..., :3], np.float32)).permute(2, 0, 1)[None]
        return F.pad(t * 2 - 1, (0, pw, 0, ph), mode="replicate").to(device)

    with torch.no_grad():
        xy = _raft_model(method, device)(prep(a), prep(b))[-1][0, :, :h, :w]
    return np.ascontiguousarray(xy.flip(0).permute(1, 2, 0).cpu().numpy(), dtype=np.float32)


def dense_flow(a: np.ndarray, b: np.ndarray, *, method: str = "dis", preset: str = "medium",
               device: str = "cpu") -> np.ndarray:
    """Flow from frame ``a`` to frame ``b`` (H x W x 2, (dy, dx))."""
    check_method(method, preset)
    if a.shape[:2] != b.shape[:2]:
        raise ParameterError("video", f"frames of different sizes {a.shape[:2]} and {b.shape[:2]}")
    if method.startswith("raft"):
        return _raft_flow(a, b, method, device)
    return _opencv_flow(a, b, method, preset)


# -- warping and consistency ------------------------------------------------------------
def _grid(shape) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    return ys, xs


def warp(image: np.ndarray, flow: np.ndarray, sharp: bool = False) -> np.ndarray:
    """``out[p] = image[p + flow[p]]`` (bilinear, or with ``sharp`` Lanczos over 8 x 8
    pixels, which blurs far less and is clipped to the image's range; borders
    replicated)."""
    import cv2

    ys, xs = _grid(flow.shape)
    img = np.asarray(image, dtype=np.float32)
    out = cv2.remap(img, xs + flow[..., 1], ys + flow[..., 0],
                    cv2.INTER_LANCZOS4 if sharp else cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE).reshape(img.shape)
    return np.clip(out, img.min(), img.max()) if sharp else out


def out_of_frame(flow: np.ndarray) -> np.ndarray:
    """Pixels whose flow lands outside the frame."""
    ys, xs = _grid(flow.shape)
    y, x = ys + flow[..., 0], xs + flow[..., 1]
    h, w = flow.shape[:2]
    return (y < 0) | (y > h - 1) | (x < 0) | (x > w - 1)


def motion_boundary(flow: np.ndarray) -> np.ndarray:
    """|∇u|² + |∇v|² > 0.01 |w|² + 0.002 (gradients by central differences)."""
    grad = sum(g * g for k in range(2) for g in np.gradient(flow[..., k]))
    return grad > 0.01 * (flow ** 2).sum(-1) + 0.002


def round_trip_failure(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """|w̃ + ŵ|² ≥ 0.01 (|w̃|² + |ŵ|²) + 0.5, with ŵ = ``flow`` and w̃ = ``reverse``
    sampled where ŵ lands."""
    back = warp(reverse, flow)
    return ((back + flow) ** 2).sum(-1) >= 0.01 * ((back ** 2).sum(-1)
                                                   + (flow ** 2).sum(-1)) + 0.5


def consistency(flow: np.ndarray, reverse: np.ndarray, *,
                boundaries: bool = True) -> np.ndarray:
    """Ruder et al.'s c (float32 H x W of 0 and 1) for ``flow`` (frame -> neighbour),
    given ``reverse`` (neighbour -> frame)."""
    bad = round_trip_failure(flow, reverse) | out_of_frame(flow)
    if boundaries:
        bad |= motion_boundary(flow)
    return (~bad).astype(np.float32)


def trusted_flow(frame: np.ndarray, neighbour: np.ndarray, *, method: str = "dis",
                 preset: str = "medium", device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """The flow from ``frame`` to ``neighbour`` and its consistency map c: 1 where
    ``neighbour``, warped along it into ``frame``, can be trusted."""
    options = {"method": method, "preset": preset, "device": device}
    flow = dense_flow(frame, neighbour, **options)
    return flow, consistency(flow, dense_flow(neighbour, frame, **options))


def flow_to_rgb(flow: np.ndarray, max_motion: float | None = None) -> np.ndarray:
    """The usual colour wheel: hue = direction, saturation = speed (relative to
    ``max_motion``, default the largest in this flow)."""
    import cv2

    dy, dx = flow[..., 0], flow[..., 1]
    mag = np.hypot(dx, dy)
    top = float(max_motion) if max_motion else max(float(mag.max()), 1e-6)
    hsv = np.zeros((*flow.shape[:2], 3), np.float32)
    hsv[..., 0] = (np.degrees(np.arctan2(dy, dx)) + 360) % 360
    hsv[..., 1] = np.clip(mag / top, 0, 1)
    hsv[..., 2] = 1.0
    return np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0, 1).astype(np.float32)
