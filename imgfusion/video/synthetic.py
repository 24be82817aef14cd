"""Clips with known motion: a still image filmed by a panning, zooming camera, with a
disc cut from a second image sliding over it.  The true flows and the disoccluded
pixels come with the frames, for tests, benchmarks and the gallery.

Camera: frame t shows the image through ``q = c_t + (p - m) / s_t`` (p a frame pixel,
q an image pixel, m the frame centre), with the scale ``s_t = s_0 * zoom^t`` and the
centre ``c_t = c_0 + t * pan``.  The disc (radius ``radius`` px) moves by ``velocity``
px per frame in frame coordinates and carries its own texture rigidly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, NamedTuple

import numpy as np

from ..checks import check_image
from ..errors import ParameterError
from ..limits import COORD_MAX, SIDE_MAX
from ..operators import Image, Range, operator
from ..operators import Video as VideoKind
from ..values import Shape, Video
from .frames import from_frames
from .limits import FPS_MAX, FRAMES_MAX


@dataclass
class Clip:
    """Frames (float32 H x W x 3), true flows between consecutive frames ((dy, dx),
    ``forward[t]``: t -> t+1, ``backward[t]``: t+1 -> t), the disc's masks and, per
    frame t+1, the background pixels that frame t hid under the disc."""

    frames: list[np.ndarray]
    forward: list[np.ndarray]
    backward: list[np.ndarray]
    discs: list[np.ndarray]
    disoccluded: list[np.ndarray]
    fps: float = 12.0

    def video(self) -> Video:
        return from_frames(self.frames, self.fps)

    def disc_video(self) -> Video:
        """The disc's masks, a mask video in lockstep with :meth:`video`."""
        return from_frames(self.discs, self.fps, kind="mask")


class SyntheticVideo(NamedTuple):
    """``synthetic_video``'s outputs.

    Attributes
    ----------
    video : the frames
    disc : the disc's masks, frame for frame (a mask video)
    """

    video: VideoKind
    disc: VideoKind


def _camera(t: int, hw, image_hw, pan, zoom, scale0):
    """(scale, centre) of frame t, centre in image (row, col)."""
    s = scale0 * zoom ** t
    c = np.array(image_hw, np.float64) / 2 + t * np.asarray(pan, np.float64)
    return s, c


def _render_background(image, hw, s, c):
    import cv2

    m = (np.array(hw, np.float64) - 1) / 2
    # frame (x, y) -> image (x, y):  q = c + (p - m) / s, in (col, row) for OpenCV
    mat = np.array([[1 / s, 0, c[1] - m[1] / s], [0, 1 / s, c[0] - m[0] / s]], np.float64)
    out = cv2.warpAffine(image, mat, (hw[1], hw[0]), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT)
    return out.reshape(*hw, image.shape[2])


def _background_flow(hw, cam_a, cam_b):
    """Flow of the static image from the frame with camera a to the one with camera b."""
    m = (np.array(hw, np.float64) - 1) / 2
    ys, xs = np.mgrid[0:hw[0], 0:hw[1]].astype(np.float64)
    (sa, ca), (sb, cb) = cam_a, cam_b
    qy, qx = ca[0] + (ys - m[0]) / sa, ca[1] + (xs - m[1]) / sa
    py, px = sb * (qy - cb[0]) + m[0], sb * (qx - cb[1]) + m[1]
    with np.errstate(over="ignore"):   # a long zoom's far flows overflow float32: inf
        return np.stack([py - ys, px - xs], -1).astype(np.float32)


def _disc(hw, centre, radius):
    ys, xs = np.mgrid[0:hw[0], 0:hw[1]]
    return (ys - centre[0]) ** 2 + (xs - centre[1]) ** 2 <= radius ** 2


def _rgb(image, name):
    a = check_image(image, name, grey_2d=True).astype(np.float32)
    return np.ascontiguousarray(np.repeat(a, 3, -1) if a.shape[2] == 1 else a[..., :3])


def camera_clip(background: np.ndarray, cutout: np.ndarray | None = None, *, frames: int = 8,
                size: tuple[int, int] = (64, 64), pan: tuple[float, float] = (1.5, 2.5),
                zoom: float = 1.02, scale: float | None = None, radius: float = 0.2,
                velocity: tuple[float, float] = (0.0, 2.0), fps: float = 12.0) -> Clip:
    """Render the clip and its true motion.

    ``pan`` is the camera's motion in image px per frame (row, col); ``zoom`` its scale
    factor per frame; ``scale`` the first frame's scale (default: the frame shows 60 %
    of the image's shorter side); ``radius`` the disc's radius as a fraction of the
    frame's shorter side (0: no disc); ``velocity`` the disc's motion in frame px per
    frame, starting left of centre.
    """
    if frames < 2:
        raise ParameterError("frames", f"a clip needs at least 2 frames, got {frames}")
    bg = _rgb(background, "background")
    hw = (int(size[0]), int(size[1]))
    s0 = scale or min(hw) / (0.6 * min(bg.shape[:2]))
    cams = [_camera(t, hw, bg.shape[:2], pan, zoom, s0) for t in range(frames)]
    r = radius * min(hw)
    vel = np.asarray(velocity, np.float64)
    start = np.array([hw[0] / 2, hw[1] / 2], np.float64) - vel * (frames - 1) / 2
    tex = None
    if r > 0:
        src = bg if cutout is None else _rgb(cutout, "cutout")
        tex = _render_background(src, hw, min(hw) / (0.5 * min(src.shape[:2])),
                                 np.array(src.shape[:2], np.float64) / 2)
    clip = Clip([], [], [], [], [], float(fps))
    for t, cam in enumerate(cams):
        frame = _render_background(bg, hw, *cam)
        centre = start + t * vel
        disc = _disc(hw, centre, r) if r > 0 else np.zeros(hw, bool)
        if r > 0:
            import cv2

            shift = np.array([[1, 0, centre[1] - hw[1] / 2], [0, 1, centre[0] - hw[0] / 2]])
            moved = cv2.warpAffine(tex, shift, (hw[1], hw[0]), borderMode=cv2.BORDER_REFLECT)
            frame = np.where(disc[..., None], moved.reshape(frame.shape), frame)
        clip.frames.append(np.clip(frame, 0, 1).astype(np.float32))
        clip.discs.append(disc)
    for t in range(frames - 1):
        fwd = _background_flow(hw, cams[t], cams[t + 1])
        bwd = _background_flow(hw, cams[t + 1], cams[t])
        fwd[clip.discs[t]] = vel
        bwd[clip.discs[t + 1]] = -vel
        ys, xs = np.mgrid[0:hw[0], 0:hw[1]]
        ty = np.clip(np.round(ys + bwd[..., 0]), 0, hw[0] - 1).astype(int)
        tx = np.clip(np.round(xs + bwd[..., 1]), 0, hw[1] - 1).astype(int)
        hidden = clip.discs[t][ty, tx] & ~clip.discs[t + 1]
        clip.forward.append(fwd)
        clip.backward.append(bwd)
        clip.disoccluded.append(hidden)
    return clip


ZOOM_SPAN = 700   # the most log(zoom ** (frames - 1)) may be, either way: e^709 overflows


def check_zoom(params) -> None:
    """The camera's scale over the whole clip, ``zoom ** (frames - 1)``, stays a number
    (within e^:data:`ZOOM_SPAN` either way: 1.01 over 100,000 frames overflowed mid-run)."""
    zoom, frames = float(params.get("zoom", 1.01)), int(params.get("frames", 24))
    span = (frames - 1) * abs(math.log(zoom))
    if span > ZOOM_SPAN:
        raise ParameterError("zoom", f"zoom {zoom:g} over {frames} frames scales the view by "
                                     f"e^{span:.1f}, past what a number holds; keep "
                                     f"(frames - 1) * |ln zoom| within {ZOOM_SPAN} (a zoom "
                                     "nearer 1, or fewer frames)")


@operator(output_probe="imgfusion.video.synthetic:probe_output", check=check_zoom)
def synthetic_video(background: Image, cutout: Image | None = None, *,
                    frames: Annotated[int, Range(2, FRAMES_MAX)] = 24,
                    size: Annotated[tuple[int, int], Range(8, SIDE_MAX)] = (128, 128),
                    pan: Annotated[tuple[float, float], Range(-COORD_MAX, COORD_MAX)] = (1.0, 2.0),
                    zoom: Annotated[float, Range(0.5, 2)] = 1.01,
                    radius: Annotated[float, Range(0, 0.5)] = 0.18,
                    velocity: Annotated[tuple[float, float],
                                        Range(-COORD_MAX, COORD_MAX)] = (0.5, 2.5),
                    fps: Annotated[float, Range(1e-3, FPS_MAX)] = 12.0) -> SyntheticVideo:
    """Film a still image with a panning, zooming camera and a disc sliding over it.

    :func:`camera_clip`'s frames as a video, and the disc's masks as a mask video
    (e.g. the region for ``video_style``'s mask).

    Parameters
    ----------
    background
        the still image the camera films
    cutout
        texture of the moving disc (default: the background's)
    frames
        number of frames
    size
        [rows, cols] of the frames
    pan
        camera motion, image px per frame [row, col]
    zoom
        camera scale factor per frame
    radius
        disc radius, fraction of the shorter side (0: no disc)
    velocity
        disc motion, frame px per frame
    fps
        frame rate
    """
    check_zoom({"zoom": zoom, "frames": frames})
    clip = camera_clip(background, cutout, frames=frames, size=size, pan=pan, zoom=zoom,
                       radius=radius, velocity=velocity, fps=fps)
    return SyntheticVideo(clip.video(), clip.disc_video())


def probe_output(params, inputs) -> Shape:
    """The ``output_probe`` of ``synthetic_video``: its parameters say frames and size."""
    size = params.get("size", (128, 128))
    return Shape(tuple(int(v) for v in size), int(params.get("frames", 0)) or None, True)
