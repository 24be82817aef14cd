"""Built-in plugin: the video operators (load_video, save_video, synthetic_video,
optical_flow, temporal_error, video_style).

The modules are registered by path (their declarations read from source), so listing
operators imports neither torch nor OpenCV nor PyAV.  Any image operator also runs on a
video, frame by frame (the engine's rule, :mod:`imgfusion.per_frame`).
"""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.video.reader")
    register("imgfusion.video.writer")
    register("imgfusion.video.synthetic")
    register("imgfusion.video.flow_op")
    register("imgfusion.video.measures")
    register("imgfusion.video.stylize")
