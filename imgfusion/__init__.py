"""imgfusion: image pipelines in YAML recipes, and the functions behind them.

Every operator is a plain function exported here, e.g.::

    from imgfusion import load, poisson_blend, neural_style
"""
from __future__ import annotations

import importlib

from .errors import ImgfusionError, ParameterError, RecipeError
from .hookspecs import hookimpl
from .operators import Input, InputPath, Operator, Output, OutputPath, Param

__version__ = "0.1.0"

# name -> module that defines it; imported on first use so that `import imgfusion`
# and the CLI's listing commands do not pay for torch unless they need it.
_LAZY = {
    # --- core I/O (imgfusion.io.plugin / imgfusion.io.read) ---
    "load": "imgfusion.io.read",
    "load_mask": "imgfusion.io.read",
    "read_image": "imgfusion.io.read",
    "read_mask": "imgfusion.io.read",
    "probe_image": "imgfusion.io.read",
    "sample_names": "imgfusion.io.samples",
    "save": "imgfusion.io.write",
    "write_image": "imgfusion.io.write",
    "shape_mask": "imgfusion.layout.masks",
    "resize": "imgfusion.layout.geometry",
    "crop": "imgfusion.layout.geometry",
    "repeat": "imgfusion.layout.geometry",
    "place": "imgfusion.layout.geometry",
    "to_gray": "imgfusion.layout.compose",
    "composite": "imgfusion.layout.compose",
    "contact_sheet": "imgfusion.layout.contact_sheets",
    # --- gradient domain (imgfusion.gradient) ---
    "gradient_reconstruct": "imgfusion.gradient.reconstruct",
    "poisson_blend": "imgfusion.gradient.blending",
    "mixed_blend": "imgfusion.gradient.blending",
    "monochrome_transfer": "imgfusion.gradient.blending",
    "texture_flatten": "imgfusion.gradient.local_edits",
    "illumination_change": "imgfusion.gradient.local_edits",
    "color_change": "imgfusion.gradient.local_edits",
    "seamless_tile": "imgfusion.gradient.tiling",
    # --- neural style (imgfusion.style) ---
    "neural_style": "imgfusion.style.transfer",
    "content_reconstruction": "imgfusion.style.transfer",
    "texture_synthesis": "imgfusion.style.transfer",
    "match_color": "imgfusion.style.color",
    "plot_loss_history": "imgfusion.style.plot",
    # --- mask-guided (imgfusion.masked.plugin) ---
    "masked_style": "imgfusion.masked.spatial_style",
    "stylize_and_blend": "imgfusion.masked.cutout",
    # --- video (imgfusion.video) ---
    "Video": "imgfusion.video.frames",
    "load_video": "imgfusion.video.reader",
    "probe_video": "imgfusion.video.reader",
    "save_video": "imgfusion.video.writer",
    "optical_flow": "imgfusion.video.flow_op",
    "dense_flow": "imgfusion.video.flow",
    "video_style": "imgfusion.video.stylize",
    "temporal_errors": "imgfusion.video.measures",
    "temporal_error": "imgfusion.video.measures",
    "synthetic_video": "imgfusion.video.synthetic",
    # --- trained style networks, conv-VAE (imgfusion.trained) ---
    "train_style_vae": "imgfusion.trained.vae_train",
    "vae_style": "imgfusion.trained.vae_apply",
    "load_vae_model": "imgfusion.trained.vae_io",
    # --- trained networks: feed-forward style (imgfusion.trained) ---
    "train_fast_style": "imgfusion.trained.fast_train",
    "fast_style": "imgfusion.trained.fast_style",
    "load_fast_style": "imgfusion.trained.fast_style",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imgfusion' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["ImgfusionError", "ParameterError", "RecipeError", "hookimpl", "Input",
           "InputPath", "Operator", "Output", "OutputPath", "Param", *_LAZY]
