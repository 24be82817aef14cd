"""Built-in plugin: the trained style networks (train_fast_style, fast_style,
fast_video_style, train_style_vae, vae_style), declared by their functions and read from
the source, so listing operators imports no torch."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.trained.vae_train")
    register("imgfusion.trained.vae_apply")
    register("imgfusion.trained.fast_style")
    register("imgfusion.trained.fast_video")
    register("imgfusion.trained.fast_train")
