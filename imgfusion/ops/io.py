"""Built-in I/O and layout operators: load, load_mask, shape_mask, save, resize,
crop, repeat, place, to_gray, composite, contact_sheet.

Functions are named as ``"module:function"`` strings so that listing operators
imports nothing heavy.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import ParameterError
from ..hookspecs import hookimpl
from ..operators import Input, InputPath, Operator, Output, OutputPath, Param
from .limits import COORD_MAX, FEATHER_MAX, RESIZE_SCALE, SIDE_MAX

Pair = tuple[int, int]
FloatPair = tuple[float, float]
IMAGE_OR_MASK = Input("image", "any", help="image or mask")


def _problems(probe: Callable[[Mapping[str, Any]], object]):
    """Turn a function that raises ParameterError into an Operator.check."""
    def check(params: Mapping[str, Any]) -> list[tuple[str, str]]:
        try:
            probe(params)
        except ParameterError as exc:
            return [(exc.field, exc.message)]
        return []
    return check


def _check_resize(p):
    from ..geometry import target_size

    target_size((1, 1), p.get("size"), p.get("scale"), p.get("longest"))


def _check_readable(p):
    from ..images import probe_image

    probe_image(p["path"])


def _check_save(p):
    from ..image_write import output_format

    output_format(p.get("path", ""), p.get("bits", 8))


def _operators() -> list[Operator]:
    return [
        Operator(
            name="load", func="imgfusion.images:read_image",
            summary="Read an image file (png, jpg, tiff, bmp, webp; 8/16 bit) or sample:NAME.",
            params=[Param("path", InputPath, help="image file, or sample:NAME (e.g. "
                          "sample:astronaut) for a scikit-image bundled image")],
            check=_problems(_check_readable),
        ),
        Operator(
            name="load_mask", func="imgfusion.images:read_mask",
            summary="Read a mask from an image's alpha channel or grey levels.",
            params=[
                Param("path", InputPath, help="image file or sample:NAME"),
                Param("channel", str, "auto", choices=("auto", "alpha", "gray"),
                      help="alpha, gray (luminance), or auto: alpha if not fully opaque"),
                Param("threshold", float | None, None, min=0, max=1,
                      help="null keeps soft alpha; a number gives a hard mask (value > t)"),
                Param("invert", bool, False, help="swap inside and outside"),
            ],
            outputs=[Output("mask", "mask")],
            check=_problems(_check_readable),
        ),
        Operator(
            name="shape_mask", func="imgfusion.masks:shape_mask",
            summary="Draw an ellipse or rectangle mask, hard or feathered.",
            inputs=[Input("like", "any", optional=True,
                          help="image whose size the mask takes (unless size is given)")],
            params=[
                Param("size", Pair | None, None, min=1, max=SIDE_MAX,
                      help="[rows, cols]; overrides like"),
                Param("shape", str, "ellipse", choices=("ellipse", "rectangle"),
                      help="the shape drawn"),
                Param("center", FloatPair, (0.5, 0.5), min=-100, max=100,
                      help="[row, col] as fractions of the height and width"),
                Param("extent", FloatPair, (0.6, 0.6), min=1e-6, max=100,
                      help="[height, width] as fractions of the mask's"),
                Param("feather", float, 0.0, min=0, max=FEATHER_MAX, help="soft edge width in px (0 = hard)"),
            ],
            outputs=[Output("mask", "mask")],
        ),
        Operator(
            name="save", func="imgfusion.image_write:save",
            summary="Write an image or mask (format by extension), atomically.",
            inputs=[Input("image", "any", help="image or mask to write")],
            params=[
                Param("path", OutputPath, help="file name, relative to the output folder"),
                Param("bits", int, 8, choices=(8, 16), help="bits per sample (16: png, tif)"),
                Param("overwrite", bool, False, help="replace an existing file (never an input)"),
            ],
            outputs=[Output("path", "data", help="the path written")],
            context=("workdir", "protect"),
            check=_problems(_check_save),
        ),
        Operator(
            name="resize", func="imgfusion.geometry:resize",
            summary="Resize (anti-aliased) to a size, by a scale, or to a longest side.",
            inputs=[IMAGE_OR_MASK],
            params=[
                Param("size", Pair | None, None, min=1, max=SIDE_MAX, help="[rows, cols]"),
                Param("scale", float | None, None, min=RESIZE_SCALE[0], max=RESIZE_SCALE[1],
                      help="factor for both sides"),
                Param("longest", int | None, None, min=1, max=SIDE_MAX, help="new longest side in px"),
            ],
            check=_problems(_check_resize),
        ),
        Operator(
            name="crop", func="imgfusion.geometry:crop",
            summary="Cut out a window given by origin [row, col] and size [rows, cols].",
            inputs=[IMAGE_OR_MASK],
            params=[
                Param("origin", Pair, min=0, max=COORD_MAX, help="[row, col] of the top-left corner"),
                Param("size", Pair, min=1, max=COORD_MAX, help="[rows, cols] of the window"),
            ],
        ),
        Operator(
            name="repeat", func="imgfusion.geometry:repeat",
            summary="Lay copies of an image side by side in a grid, to preview tiling.",
            inputs=[IMAGE_OR_MASK],
            params=[Param("grid", Pair, (2, 2), min=1, max=256, help="[rows, cols] of copies")],
        ),
        Operator(
            name="place", func="imgfusion.geometry:place",
            summary="Paste an image onto another at [row, col], clipped at the borders.",
            inputs=[Input("image", help="what is pasted (its alpha, if any, is used)"),
                    Input("onto", help="the background; the result has its size"),
                    Input("mask", "mask", optional=True,
                          help="alpha in the pasted image's coordinates")],
            params=[Param("offset", Pair, (0, 0), min=-COORD_MAX, max=COORD_MAX,
                          help="[row, col] of the pasted image's top-left corner; may be "
                               "negative")],
        ),
        Operator(
            name="to_gray", func="imgfusion.compose:to_gray",
            summary="Convert to grey by luminance; RGBA stays RGBA with its alpha.",
            inputs=[Input("image")],
        ),
        Operator(
            name="composite", func="imgfusion.compose:composite",
            summary="Alpha-blend a foreground over a background through a mask.",
            inputs=[Input("foreground"), Input("background"),
                    Input("mask", "mask", optional=True,
                          help="where the foreground shows; default: its alpha channel")],
        ),
        Operator(
            name="contact_sheet", func="imgfusion.contact_sheets:contact_sheet",
            summary="Lay images out in a grid labelled with their (swept) values.",
            inputs=[Input("images", many=True, help="the images, e.g. a sweep's results")],
            params=[
                Param("rows", str | None, None, help="label key down the rows"),
                Param("cols", str | None, None, help="label key across the columns"),
                Param("columns", int, 4, min=1, max=1000, help="images per row when wrapping"),
                Param("cell", int, 256, min=8, max=SIDE_MAX, help="longest side of each image in px"),
                Param("padding", int, 8, min=0, max=FEATHER_MAX, help="px between and around cells"),
                Param("label", bool, True, help="draw the labels"),
                Param("background", float | tuple[float, float, float], 1.0, min=0, max=1,
                      help="sheet colour: grey level or [r, g, b] in [0, 1]"),
                Param("font_size", int, 14, min=6, max=200, help="label text size in px"),
            ],
            context=("labels",),
        ),
    ]


@hookimpl
def imgfusion_register_operators(register):
    for op in _operators():
        register(op)
