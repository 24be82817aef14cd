"""``fast_video_style``: the trained network on every frame, made temporally consistent.

A feed-forward network styles each frame on its own, so its texture swims and its
colours flicker from frame to frame.  After the network, each frame t is pulled toward
the previous *output* warped into it (a blind post-process: Bonneel et al. 2015, "Blind
video temporal consistency"; the baseline of Lai et al. 2018), where that warp can be
trusted (Ruder et al.'s consistency ``c``: the forward-backward round trip holds, the
pixel does not come from outside the frame, no motion boundary), and is the network's
fresh output elsewhere::

    out_t = fresh_t + w · c · (g_t · warp(out_{t-1}) - fresh_t)

with ``w`` the ``temporal_weight`` and g_t the lighting's gain (:func:`lit`): the part
of the network's broad change in brightness that the content's own explains.  Without
it a fade never reached the output: on the bench's steady pan dimmed to half its
brightness over 8 frames, the last frames kept 0.775 of the first frame's luminance at
w = 0.9, where the network gives 0.406 frame by frame; with it 0.406, and the two
clips that do not fade are unchanged to three digits.  The previous output is warped
with a Lanczos kernel (:func:`imgfusion.video.flow.warp`, ``sharp``): out_t feeds
out_{t+1}, and a bilinear warp would soften the clip frame after frame.  The flow
comes from the content frames, as ``video_style``'s does.

Where the network's texture does not line up from frame to frame, the blend averages
textures and softens the frame (on the bench's zooming pan of chelsea at w = 0.9 the
last frames keep 0.40 of the first frame's sharpness, against 0.83 per frame).  So
(``keep_sharpness``) each blended frame's fine detail is amplified until it has the
sharpness of the network's fresh output for that frame
(:func:`imgfusion.video.temporal.restore_detail`): the sharpness follows the network's,
frame for frame, and cannot drift.  Blending only the low frequencies of the
difference (a Gaussian of 2 px) instead keeps the sharpness but hardly lowers the
flicker (at w = 0.8: 1.9e-3 against 3.6e-3 per frame; 2.7e-4 with the whole difference
blended and the detail restored): the network's flicker is in its fine texture.
Figures: ``bench/fast_style.py``.
"""
from __future__ import annotations

from typing import Annotated, Callable, Iterator

import numpy as np

from ..operators import Device, InputPath, Range, Value, operator
from ..operators import Video as VideoKind
from ..video.flow import trusted_flow, warp
from ..video.limits import FlowMethod, FlowPreset
from ..values import Video
from ..video.frames import as_video
from .checks import FAST_MODEL, FAST_TRAINER, ONE_MODEL, check_fast_video, check_network_size

LIGHTING_SCALE = 1 / 8   # of the frame's longer side: broader changes are lighting, not flicker
LIGHTING_FLOOR = 0.01   # a broad change of the content's brightness below 1 % explains little


def steadied(fresh: np.ndarray, frame: np.ndarray, previous: tuple, *, weight: float,
             keep_sharpness: bool, flow: dict) -> np.ndarray:
    """Frame t's output: the network's ``fresh`` output (RGB, alpha kept) pulled by
    ``weight`` toward the previous output warped into it and lit as the content's
    lighting changed since then (:func:`lit`), where the flow is reliable, and there
    (``keep_sharpness``) given the fresh output's sharpness back; elsewhere the fresh
    output itself.  ``previous`` is frame t - 1's (content, output, fresh output)."""
    from ..style.checks import as_rgb
    from ..video.temporal import restore_detail

    now, before = as_rgb(frame, "video")[0], as_rgb(previous[0], "video")[0]
    back, c = trusted_flow(now, before, **flow)
    rgb, held = fresh[..., :3], c > 0.5
    goal = warp(previous[1][..., :3], back, sharp=True) * lit(
        (now, rgb), (before, previous[2][..., :3]), back, held)
    moved = np.where(held[..., None], np.clip(rgb + weight * (goal - rgb), 0, 1), rgb)
    if keep_sharpness:
        moved = np.where(held[..., None], restore_detail(moved.astype(np.float32), rgb), rgb)
    out = fresh.copy()
    out[..., :3] = moved
    return out


def lit(now: tuple, before: tuple, back: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The gain (h, w, 3) by which the network's output follows the content's broad
    change in brightness from frame t - 1 to t: a fade, a light switched on.  ``now``
    and ``before`` are (content, fresh output) pairs.

    Lighting multiplies: a fade dims the texture's contrast with its mean.  So both
    changes are log ratios of broad means (:func:`broad_means`: scales of
    :data:`LIGHTING_SCALE` of the frame and above, over the reliable pixels), and each
    output channel's is regressed on the content luminance's; only the part the content
    explains is kept, the regression damped by a change of :data:`LIGHTING_FLOOR`
    everywhere (a content whose brightness hardly changes explains nothing).  So a fade
    reaches the output at once instead of lagging ``1 / (1 - weight)`` frames behind,
    while the network's own flicker, which no change of the content explains, stays
    held (gain 1 on a clip whose content only moves)."""
    import cv2

    means, trust = broad_means([now[0], warp(before[0], back), now[1], warp(before[1], back)],
                               held)
    eps = np.float32(1 / 255)  # black stays finite
    content = np.log((means[0].mean(-1, keepdims=True) + eps)
                     / (means[1].mean(-1, keepdims=True) + eps))
    output = np.log((means[2] + eps) / (means[3] + eps))
    spread = float((trust * (content ** 2 + LIGHTING_FLOOR ** 2)).sum())
    if spread <= 0:  # no reliable pixel: nothing is carried, nothing to light
        return np.ones(held.shape + (3,), np.float32)
    share = (trust * content * output).sum(axis=(0, 1)) / spread
    gain = np.exp(content * share).astype(np.float32)
    return cv2.resize(gain, held.shape[::-1], interpolation=cv2.INTER_LINEAR)


def broad_means(images: list, where: np.ndarray) -> tuple[list, np.ndarray]:
    """Each of ``images`` (h, w, C) averaged by a Gaussian of σ = :data:`LIGHTING_SCALE` of
    the frame's longer side over the pixels ``where`` holds (normalised convolution, so
    the rest neither counts nor dilutes it), on a grid shrunk by σ / 2 (area averages:
    the means hold no detail finer than σ, and a 960 px frame needs a 16 x 9 grid); and
    each cell's share of such pixels nearby (h', w', 1), 0 where none is (the means are
    0 there)."""
    import cv2
    from scipy.ndimage import gaussian_filter

    h, w = where.shape
    sigma = LIGHTING_SCALE * max(h, w)
    step = max(1, int(sigma // 2))
    small = (max(1, round(w / step)), max(1, round(h / step)))
    weight = where.astype(np.float32)[..., None]

    def shrunk(image: np.ndarray) -> np.ndarray:
        out = cv2.resize(image * weight, small, interpolation=cv2.INTER_AREA)
        return gaussian_filter(out.reshape(small[1], small[0], -1), (sigma / step,) * 2 + (0,),
                               mode="nearest")

    trust = shrunk(weight)
    known = trust > 1e-3
    means = [np.divide(shrunk(im), trust, out=np.zeros((*known.shape[:2], im.shape[2]),
                                                          np.float32), where=known)
             for im in images]
    return means, np.where(known, trust, 0)


def consistent_frames(frames: Iterator[np.ndarray], style_frame: Callable, *, weight: float,
                      keep_sharpness: bool = True,
                      flow: dict | None = None) -> Iterator[np.ndarray]:
    """``style_frame`` of each frame, each pulled toward the previous output (weight 0:
    the fresh outputs themselves, no flow computed)."""
    flow = flow or {"method": "dis", "preset": "medium", "device": "cpu"}
    previous = None     # (content frame, output, fresh output) of frame t - 1
    for frame in frames:
        fresh = out = style_frame(frame)
        if previous is not None and weight > 0:
            out = steadied(fresh, frame, previous, weight=weight,
                           keep_sharpness=keep_sharpness, flow=flow)
        yield out
        previous = (frame, out, fresh)


def _checked_size(video: Video) -> None:
    """Frames the network can take (sides of at least MIN_SIDE px), before any runs."""
    check_network_size(video.size or video.first().shape[:2], "video", frames=True)


@operator(check=check_fast_video, renamed={"model_path": "model_file"},
          needs_one=FAST_MODEL, not_both=ONE_MODEL, made_by=FAST_TRAINER,
          shape_check="imgfusion.trained.checks:fits_network")
def fast_video_style(video: VideoKind, model: Value | None = None, *,
                     model_file: InputPath = None,
                     strength: Annotated[float, Range(0, 1)] = 1.0,
                     temporal_weight: Annotated[float, Range(0, 1)] = 0.9,
                     keep_sharpness: bool = True, flow_method: FlowMethod = "dis",
                     flow_preset: FlowPreset = "medium", device: Device = "auto") -> VideoKind:
    """Stylise a video with a trained network, each frame held to its warped previous output (less flicker).

    Runs ``fast_style``'s network on every frame, then blends each frame's output with
    the previous output warped into it by the optical flow of the content frames:
    ``out = fresh + temporal_weight · c · (warped previous output - fresh)``, where c is
    Ruder et al.'s consistency map (0 at disocclusions, motion boundaries and pixels
    that come from outside the previous frame: there the output is the network's fresh
    output).  The warped previous output is first lit as the content's lighting changed
    (a fade, a light switched on), so the output follows them at once.  The first frame
    is fast_style's.  Lazy: the frames are computed as the video is read, one frame of
    state kept.  Alpha is kept, grey frames are styled as RGB.

    Parameters
    ----------
    video
        the video to stylise (load_video, or an operator run over one)
    model
        train_fast_style's model
    model_file
        a .safetensors model file written by train_fast_style (instead of the model input)
    strength
        how much of the network's picture in each frame (fast_style's strength)
    temporal_weight
        share of the warped previous output in each frame where the flow is reliable (0:
        exactly fast_style on every frame; 1: reliable pixels copy the previous output)
    keep_sharpness
        give each blended frame the sharpness (variance of the Laplacian) of the
        network's own output for it: a blend of textures that do not line up is softer,
        and the softness would carry on from frame to frame
    flow_method
        optical flow method: dis (OpenCV, no weights), farneback, or torchvision RAFT
        (local weights only)
    flow_preset
        DIS preset
    """
    from .fast_style import _model_of, fast_style

    video = as_video(video, "video")
    m = _model_of(model, model_file)
    _checked_size(video)
    flow = {"method": flow_method, "preset": flow_preset,
            "device": "cpu" if device == "auto" else device}

    def style_frame(frame: np.ndarray) -> np.ndarray:
        return fast_style.__wrapped__(frame, m, strength=strength, device=device)

    def frames() -> Iterator[np.ndarray]:
        return consistent_frames(iter(video), style_frame, weight=float(temporal_weight),
                                 keep_sharpness=bool(keep_sharpness), flow=flow)

    return Video(frames, fps=video.fps, frames=video.frames, size=video.size,
                 source=f"fast_video_style of {video.source}", audio=video.audio)
