"""Built-in plugin: the video operators (load_video, save_video, synthetic_video,
optical_flow, temporal_error, video_style).

Functions are named as ``"module:function"`` strings, so listing operators imports
neither torch nor OpenCV nor PyAV.  Any image operator also runs on a video, frame by
frame (:mod:`imgfusion.video.mapping`).
"""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..operators import Input, InputPath, Operator, Output, OutputPath, Param
from ..masked.plugin import _GUIDE_PARAMS  # guide_mode, guide_dilation, as masked_style's
from ..limits import COORD_MAX, FEATHER_MAX, ITERATIONS_MAX, SIDE_MAX, WEIGHT_MAX
from ..operators import problems as _problems  # ParameterError -> (field, message)

_PKG = "imgfusion.video"
FRAMES_MAX = 10_000_000  # frames: over 46 days at 25 fps
FPS_MAX = 1000.0
Pair = tuple[int, int]
FloatPair = tuple[float, float]
VIDEO_IN = Input("video", "video", help="a video (load_video, or an operator run over one)")
FLOW_PARAMS = (
    Param("method", str, "dis", choices=("dis", "farneback", "raft_small", "raft_large"),
          help="dis (OpenCV, no weights), farneback, or torchvision RAFT (local weights only)"),
    Param("preset", str, "medium", choices=("ultrafast", "fast", "medium"),
          help="DIS preset"),
)


def _check_load(p):
    from .reader import check_load_video

    check_load_video(p)


def _check_save(p):
    from .writer import check_save_video

    check_save_video(p)


def _check_flow(p):
    from .flow import check_method

    check_method(p.get("method", "dis"), p.get("preset", "medium"))


LOAD_VIDEO = Operator(
    name="load_video", func=f"{_PKG}.reader:load_video",
    summary="Open a video (mp4, webm, mov, mkv, gif) or a folder of numbered frames, lazily.",
    params=[
        Param("path", InputPath, help="video file, or a folder of numbered image frames"),
        Param("start", int, 0, min=0, max=FRAMES_MAX, help="first frame (0-based)"),
        Param("stop", int | None, None, min=0, max=FRAMES_MAX, help="stop before this frame (null: the end)"),
        Param("step", int, 1, min=1, max=FRAMES_MAX, help="take every step-th frame"),
        Param("size", int | Pair | None, None, min=1, max=SIDE_MAX,
              help="longest side in px, or [rows, cols]; null keeps the size"),
        Param("fps", float | None, None, min=1e-3, max=FPS_MAX,
              help="frame rate (default: the file's, divided by step; a folder: 25)"),
    ],
    outputs=[Output("video", "video")],
    check=_problems(_check_load),
)

SAVE_VIDEO = Operator(
    name="save_video", func=f"{_PKG}.writer:save_video",
    summary="Write a video (mp4/H.264, webm, gif, or a folder of PNG frames), atomically.",
    inputs=[VIDEO_IN],
    params=[
        Param("path", OutputPath, help=".mp4 .mov .mkv .webm .gif, or a folder name "
                                       "(no extension) for numbered PNG frames"),
        Param("fps", float | None, None, min=1e-3, max=FPS_MAX, help="frame rate (default: the video's)"),
        Param("crf", int, 18, min=0, max=51, help="H.264/VP9 quality (lower: better)"),
        Param("audio", bool, False, help="copy the source file's audio stream"),
        Param("overwrite", bool, False, help="replace an existing file (never an input)"),
    ],
    outputs=[Output("path", "data", help="the path written")],
    context=("workdir", "protect", "progress"),
    check=_problems(_check_save),
)

SYNTHETIC_VIDEO = Operator(
    name="synthetic_video", func=f"{_PKG}.synthetic:synthetic_video",
    summary="Film a still image with a panning, zooming camera and a disc sliding over it.",
    inputs=[Input("background", help="the still image the camera films"),
            Input("cutout", optional=True, help="texture of the moving disc (default: "
                                                "the background's)")],
    params=[
        Param("frames", int, 24, min=2, max=FRAMES_MAX, help="number of frames"),
        Param("size", Pair, (128, 128), min=8, max=SIDE_MAX, help="[rows, cols] of the frames"),
        Param("pan", FloatPair, (1.0, 2.0), min=-COORD_MAX, max=COORD_MAX, help="camera motion, image px per frame [row, col]"),
        Param("zoom", float, 1.01, min=0.5, max=2, help="camera scale factor per frame"),
        Param("radius", float, 0.18, min=0, max=0.5,
              help="disc radius, fraction of the shorter side (0: no disc)"),
        Param("velocity", FloatPair, (0.5, 2.5), min=-COORD_MAX, max=COORD_MAX, help="disc motion, frame px per frame"),
        Param("fps", float, 12.0, min=1e-3, max=FPS_MAX, help="frame rate"),
    ],
    outputs=[Output("video", "video"),
             Output("disc", "video", help="the disc's masks, frame for frame (a mask video)")],
)

OPTICAL_FLOW = Operator(
    name="optical_flow", func=f"{_PKG}.flow_op:optical_flow",
    summary="Dense forward/backward flow between consecutive frames and Ruder's "
            "consistency masks.",
    inputs=[VIDEO_IN],
    params=[*FLOW_PARAMS,
            Param("max_motion", float | None, None, min=1e-3, max=COORD_MAX,
                  help="px of full saturation in the flow pictures (default: per picture)")],
    outputs=[Output("forward", "video", help="flow t -> t+1 on the colour wheel"),
             Output("backward", "video", help="flow t+1 -> t on the colour wheel"),
             Output("consistency", "video", help="c of frame t+1: 0 at disocclusions, "
                                                 "motion boundaries, out of frame"),
             Output("info", "data", help="per pair: fraction with c = 0, largest motion")],
    context=("device",),
    check=_problems(_check_flow),
)

TEMPORAL_ERROR = Operator(
    name="temporal_error", func=f"{_PKG}.measures:temporal_error",
    summary="Per-frame temporal error of stylised clips (mean over c = 1 of the squared "
            "difference to the warped previous frame).",
    inputs=[Input("videos", "video", many=True, help="the stylised clips"),
            Input("content", "video", help="the unstylised clip (flow and c come from it)")],
    params=[*FLOW_PARAMS,
            Param("plot", OutputPath, None, help="PNG of the error per frame, one line per clip")],
    outputs=[Output("errors", "data", help="per_frame and mean errors, by clip")],
    context=("workdir", "labels", "device"),
    check=_problems(_check_flow),
)


def _style_params() -> list[Param]:
    """neural_style's per-frame options, as that operator declares them."""
    from dataclasses import replace

    from ..style.plugin import PARAMS

    shared = {p.name: p for p in PARAMS}
    names = ("content_layers", "style_layers", "content_weight", "style_weight", "tv_weight",
             "style_blend_weights", "pooling", "style_scale", "optimizer", "learning_rate",
             "tolerance", "window", "original_colors", "color_control", "histogram_mode",
             "weights", "precision")
    return [shared["size"],
            replace(shared["init"], choices=("content", "noise", "style", "white"),
                    help="start of the first frame (and of every frame with frame_init: init)"),
            *(shared[n] for n in names)]


VIDEO_STYLE = Operator(
    name="video_style", func=f"{_PKG}.stylize:video_style_flat",
    summary="Neural style on every frame with Ruder et al.'s temporal loss (optical flow), "
            "resumable.",
    inputs=[VIDEO_IN, Input("style", many=True, help="one style image or a list"),
            Input("mask", "video", optional=True,
                  help="where to stylise: a still mask (every frame) or a mask video in "
                       "lockstep with the clip; outside it the frames stay the content's"),
            Input("style_guides", "mask", optional=True, many=True,
                  help="mask_method guided: the part of the style image to take the "
                       "style from")],
    params=[
        Param("frames_dir", OutputPath, "video_style_frames",
              help="folder of the finished frames, report and resume state"),
        Param("iterations", int, 200, min=1, max=ITERATIONS_MAX, help="per frame (per pass)"),
        Param("first_iterations", int | None, None, min=1, max=ITERATIONS_MAX,
              help="for the first frame (default: 2 x iterations)"),
        Param("temporal_weight", float, 1e3, min=0, max=WEIGHT_MAX,
              help="weight of the temporal loss, a mean squared pixel error masked by c "
                   "(0: independent frames)"),
        Param("neighbours", list[int], [1], min=1, max=FRAMES_MAX,
              help="earlier frames held: [1] short-term, [1, 2, 4] long-term"),
        Param("frame_init", str, "auto", choices=("auto", "prev_warped", "prev", "init"),
              help="start of later frames: previous result warped, unwarped, or as frame 1 "
                   "(with first_iterations); auto: init without the temporal loss "
                   "(independent frames, each a single-image run), else prev_warped"),
        Param("carry", str, "sharpened", choices=("sharpened", "image", "stylisation"),
              help="what an earlier result carries forward (temporal target, warped start): "
                   "warped bicubically with the detail the warp lost put back, warped "
                   "bilinearly (Ruder's; blur compounds), or its stylisation on this "
                   "frame's content"),
        Param("passes", int, 1, min=1, max=1000, help="multi-pass: sweeps alternating in direction"),
        Param("temporal_from_pass", int | None, None, min=0, max=1000,
              help="multi-pass: first pass with the temporal loss (default: the middle one)"),
        Param("flow_method", str, "dis", choices=("dis", "farneback", "raft_small",
                                                  "raft_large"), help="optical flow method"),
        Param("flow_preset", str, "medium", choices=("ultrafast", "fast", "medium"),
              help="DIS preset"),
        Param("mask_method", str, "composite", choices=("composite", "guided"),
              help="composite: stylise all, keep it inside the mask; guided: Gatys 2017 "
                   "guided Gram matrices (style loss inside the mask), then the same"),
        Param("mask_threshold", float | None, None, min=0, max=1,
              help="binarise each mask at this level (a mask clip from H.264 is never "
                   "exactly 0 or 1); null keeps it soft"),
        Param("feather", float, 0.0, min=0, max=FEATHER_MAX,
              help="soften the mask over this many pixels inside its outline"),
        *_GUIDE_PARAMS,
        Param("overwrite", bool, False,
              help="start again when frames_dir holds another run's frames"),
        *_style_params(),
    ],
    outputs=[Output("video", "video", help="the stylised frames, read from frames_dir"),
             Output("report", "data", help="per frame: losses, iterations, seconds, "
                                           "fraction with c = 0, temporal error, "
                                           "mask fraction")],
    context=("device", "seed", "progress", "workdir"),
    check=_problems(lambda p: _check_flow({"method": p.get("flow_method", "dis"),
                                           "preset": p.get("flow_preset", "medium")})),
)


@hookimpl
def imgfusion_register_operators(register):
    for op in (LOAD_VIDEO, SAVE_VIDEO, SYNTHETIC_VIDEO, OPTICAL_FLOW, TEMPORAL_ERROR,
               VIDEO_STYLE):
        register(op)
