"""The layout family's registrations: shape_mask, resize, crop, repeat, place,
to_gray, composite, contact_sheet.

Functions are named as ``"module:function"`` strings so that listing operators
imports nothing heavy.
"""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..limits import COORD_MAX, FEATHER_MAX, RESIZE_SCALE, SIDE_MAX
from ..operators import Input, Operator, Output, Param, problems

Pair = tuple[int, int]
FloatPair = tuple[float, float]
IMAGE_OR_MASK = Input("image", "any", help="image or mask")


def _check_resize(p):
    from .geometry import target_size

    target_size((1, 1), p.get("size"), p.get("scale"), p.get("longest"))


OPERATORS = [
    Operator(
        name="shape_mask", func="imgfusion.layout.masks:shape_mask",
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
        traits={"output_probe": "imgfusion.layout.masks:probe_output"},
    ),
    Operator(
        name="resize", func="imgfusion.layout.geometry:resize",
        summary="Resize (anti-aliased) to a size, by a scale, or to a longest side.",
        inputs=[IMAGE_OR_MASK],
        params=[
            Param("size", Pair | None, None, min=1, max=SIDE_MAX, help="[rows, cols]"),
            Param("scale", float | None, None, min=RESIZE_SCALE[0], max=RESIZE_SCALE[1],
                  help="factor for both sides"),
            Param("longest", int | None, None, min=1, max=SIDE_MAX, help="new longest side in px"),
        ],
        check=problems(_check_resize),
        traits={"output_probe": "imgfusion.layout.geometry:probe_output"},
    ),
    Operator(
        name="crop", func="imgfusion.layout.geometry:crop",
        summary="Cut out a window given by origin [row, col] and size [rows, cols].",
        inputs=[IMAGE_OR_MASK],
        params=[
            Param("origin", Pair, min=0, max=COORD_MAX, help="[row, col] of the top-left corner"),
            Param("size", Pair, min=1, max=COORD_MAX, help="[rows, cols] of the window"),
        ],
    ),
    Operator(
        name="repeat", func="imgfusion.layout.geometry:repeat",
        summary="Lay copies of an image side by side in a grid, to preview tiling.",
        inputs=[IMAGE_OR_MASK],
        params=[Param("grid", Pair, (2, 2), min=1, max=256, help="[rows, cols] of copies")],
    ),
    Operator(
        name="place", func="imgfusion.layout.geometry:place",
        summary="Paste an image onto another at [row, col], clipped at the borders.",
        inputs=[Input("image", help="what is pasted (its alpha, if any, is used)"),
                Input("onto", help="the background; the result has its size"),
                Input("mask", "mask", optional=True,
                      help="alpha in the pasted image's coordinates")],
        params=[Param("offset", Pair, (0, 0), min=-COORD_MAX, max=COORD_MAX,
                      help="[row, col] of the pasted image's top-left corner; may be "
                           "negative")],
        traits={"same_size": ("image", "mask"), "size_of": "onto"},
    ),
    Operator(
        name="to_gray", func="imgfusion.layout.compose:to_gray",
        summary="Convert to grey by luminance; RGBA stays RGBA with its alpha.",
        inputs=[Input("image")],
        traits={"size_of": "image"},
    ),
    Operator(
        name="composite", func="imgfusion.layout.compose:composite",
        summary="Alpha-blend a foreground over a background through a mask.",
        inputs=[Input("foreground"), Input("background"),
                Input("mask", "mask", optional=True,
                      help="where the foreground shows; default: its alpha channel")],
        traits={"same_size": ("foreground", "mask")},
    ),
    Operator(
        name="contact_sheet", func="imgfusion.layout.contact_sheets:contact_sheet",
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
    for op in OPERATORS:
        register(op)
