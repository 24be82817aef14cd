"""The I/O family's registrations: load, load_mask, save.

Functions are named as ``"module:function"`` strings so that listing operators
imports nothing heavy.
"""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..operators import InputPath, Input, Operator, Output, OutputPath, Param, problems


def _check_readable(p):
    from .read import probe_image

    probe_image(p["path"], float_range=p.get("float_range", "refuse"))


def _check_save(p):
    from .write import output_format

    output_format(p.get("path", ""), p.get("bits", 8))


FLOAT_RANGE = Param("float_range", str, "refuse", choices=("refuse", "clip", "stretch"),
                    help="float samples outside [0, 1]: refuse (naming the range found), "
                         "clip to [0, 1], or stretch the range found onto [0, 1]")
OPERATORS = [
    Operator(
        name="load", func="imgfusion.io.read:read_image",
        summary="Read an image file (png, jpg, tiff, bmp, webp; 8/16 bit) or sample:NAME.",
        params=[Param("path", InputPath, help="image file, or sample:NAME (e.g. "
                      "sample:astronaut) for a scikit-image bundled image"), FLOAT_RANGE],
        check=problems(_check_readable),
    ),
    Operator(
        name="load_mask", func="imgfusion.io.read:read_mask",
        summary="Read a mask from an image's alpha channel or grey levels.",
        params=[
            Param("path", InputPath, help="image file or sample:NAME"),
            Param("channel", str, "auto", choices=("auto", "alpha", "gray"),
                  help="alpha, gray (luminance), or auto: alpha if not fully opaque"),
            Param("threshold", float | None, None, min=0, max=1,
                  help="null keeps soft alpha; a number gives a hard mask (value > t)"),
            Param("invert", bool, False, help="swap inside and outside"),
            FLOAT_RANGE,
        ],
        outputs=[Output("mask", "mask")],
        check=problems(_check_readable),
    ),
    Operator(
        name="save", func="imgfusion.io.write:save",
        summary="Write an image or mask (format by extension), atomically.",
        inputs=[Input("image", "any", help="image or mask to write")],
        params=[
            Param("path", OutputPath, help="file name, relative to the output folder"),
            Param("bits", int, 8, choices=(8, 16), help="bits per sample (16: png, tif)"),
            Param("overwrite", bool, False, help="replace an existing file (never an input)"),
        ],
        outputs=[Output("path", "data", help="the path written")],
        context=("workdir", "protect"),
        check=problems(_check_save),
    ),
]


@hookimpl
def imgfusion_register_operators(register):
    for op in OPERATORS:
        register(op)
