"""Built-in plugin: the video operators (load_video, save_video, synthetic_video,
optical_flow, temporal_error, video_style).

The modules are registered by path (their declarations read from source) and the two
remaining records name their functions as ``"module:function"`` strings, so listing
operators imports neither torch nor OpenCV nor PyAV.  Any image operator also runs on a
video, frame by frame (the engine's rule, :mod:`imgfusion.per_frame`).
"""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..operators import Input, Operator, Output, OutputPath, Param
from ..masked.plugin import GUIDE_PARAMS  # guide_mode, guide_dilation, as masked_style's
from ..limits import FEATHER_MAX, ITERATIONS_MAX, WEIGHT_MAX
from ..operators import problems as _problems  # ParameterError -> (field, message)
from .limits import FRAMES_MAX

_PKG = "imgfusion.video"
VIDEO_IN = Input("video", "video", help="a video (load_video, or an operator run over one)")
FLOW_PARAMS = (
    Param("method", str, "dis", choices=("dis", "farneback", "raft_small", "raft_large"),
          help="dis (OpenCV, no weights), farneback, or torchvision RAFT (local weights only)"),
    Param("preset", str, "medium", choices=("ultrafast", "fast", "medium"),
          help="DIS preset"),
)


def _check_flow(p):
    from .flow_op import check_flow

    check_flow(p)


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
        Param("carry", str, "sharpened", choices=("sharp", "sharpened", "image", "stylisation"),
              help="what an earlier result carries forward (temporal target, warped start): "
                   "warped with a Lanczos kernel (sharp), that with the detail it lost put "
                   "back (sharpened), warped bilinearly (image: Ruder's; blur compounds), "
                   "or its stylisation on this frame's content"),
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
        *GUIDE_PARAMS,
        Param("overwrite", bool, False,
              help="start again when frames_dir holds another run's frames"),
        *_style_params(),
    ],
    outputs=[Output("video", "video", help="the stylised frames, read from frames_dir"),
             Output("report", "data", help="per frame: losses, iterations, seconds, "
                                           "fraction with c = 0, temporal error, "
                                           "mask fraction")],
    context=("device", "seed", "progress", "workdir"),
    traits={"lockstep": ("video", "mask"), "same_size": ("video", "mask")},
    check=_problems(lambda p: _check_flow({"method": p.get("flow_method", "dis"),
                                           "preset": p.get("flow_preset", "medium")})),
)


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.video.reader")
    register("imgfusion.video.writer")
    register("imgfusion.video.synthetic")
    register("imgfusion.video.flow_op")
    # Still Operator records, until the core declares what they need (see the lead's report):
    # a many-video input (temporal_error's videos), a many-mask input (video_style's
    # style_guides) and option-group defaults taken from the parameter's default instance.
    for op in (TEMPORAL_ERROR, VIDEO_STYLE):
        register(op)
