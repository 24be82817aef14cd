"""Image sizes read from file headers, and the pixel limit checked before any decoding
(of an image, or of a video's frames: :func:`check_declared`).

A PNG of a few hundred bytes can declare 100000 x 100000 pixels; decoding it would
ask for tens of gigabytes.  Pillow guards itself (``Image.MAX_IMAGE_PIXELS``) but
pypng (16-bit PNG) and tifffile do not, so imgfusion reads the declared size of
every format it decodes (PNG, JPEG, TIFF, BMP, WebP; ``sample:`` files too) from
the header alone and refuses, naming the field, an image above :func:`max_pixels`:
100 megapixels unless the environment variable ``IMGFUSION_MAX_PIXELS`` says
otherwise.
"""
from __future__ import annotations

import math
import os
import struct
from pathlib import Path

from ..errors import ParameterError

DEFAULT_MAX_PIXELS = 100_000_000
ENV_MAX_PIXELS = "IMGFUSION_MAX_PIXELS"
MAX_CHANNELS = 4
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def max_pixels() -> int:
    """The pixel limit: ``IMGFUSION_MAX_PIXELS`` (e.g. 4e8) or 100 megapixels."""
    text = os.environ.get(ENV_MAX_PIXELS, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value >= 1):
        raise ParameterError(ENV_MAX_PIXELS, f"{text!r} is not a positive number of pixels")
    return int(value)


def png_header(p: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk."""
    with open(p, "rb") as f:
        ihdr = f.read(26)
    if len(ihdr) < 26 or ihdr[12:16] != b"IHDR":
        raise ValueError("no IHDR chunk")
    width, height = struct.unpack(">II", ihdr[16:24])
    return width, height, ihdr[24], ihdr[25]


def _jpeg_size(f) -> tuple[int, int]:
    if f.read(2) != b"\xff\xd8":
        raise ValueError("no JPEG start marker")
    while True:
        byte = f.read(1)
        if byte != b"\xff":
            raise ValueError("no frame header before the image data")
        marker = f.read(1)
        while marker == b"\xff":
            marker = f.read(1)
        if not marker:
            raise ValueError("no frame header")
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:
            continue
        length = struct.unpack(">H", f.read(2))[0]
        if code in _SOF:
            height, width = struct.unpack(">xHH", f.read(5))
            return width, height
        if code == 0xDA or length < 2:
            raise ValueError("no frame header before the image data")
        f.seek(length - 2, os.SEEK_CUR)


def _bmp_size(head: bytes) -> tuple[int, int]:
    if struct.unpack("<I", head[14:18])[0] == 12:  # OS/2 BITMAPCOREHEADER
        return struct.unpack("<HH", head[18:22])
    width, height = struct.unpack("<ii", head[18:26])
    return abs(width), abs(height)


def _webp_size(head: bytes) -> tuple[int, int]:
    kind = head[12:16]
    if kind == b"VP8X":
        return (int.from_bytes(head[24:27], "little") + 1,
                int.from_bytes(head[27:30], "little") + 1)
    if kind == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise ValueError(f"unknown WebP chunk {kind!r}")


def _tiff_size(p: Path) -> tuple[int, int, int]:
    import tifffile

    with tifffile.TiffFile(p) as tif:
        if not tif.pages:
            return 0, 0, 0
        page = tif.pages.first
        return page.imagewidth, page.imagelength, math.prod(page.shape)


def declared_size(p: Path, fmt: str) -> tuple[int, int, int]:
    """(width, height, samples) as the header of ``p`` (format ``fmt``) declares them."""
    if fmt == "TIFF":
        return _tiff_size(p)
    if fmt == "PNG":
        width, height = png_header(p)[:2]
        return width, height, width * height
    with open(p, "rb") as f:
        if fmt == "JPEG":
            width, height = _jpeg_size(f)
        else:
            head = f.read(32)
            if len(head) < 30:
                raise ValueError("truncated header")
            width, height = _bmp_size(head) if fmt == "BMP" else _webp_size(head)
    return width, height, width * height


def check_pixels(p: Path, fmt: str, field: str) -> tuple[int, int]:
    """Refuse, before decoding, an image whose header declares more than the limit."""
    width, height, samples = declared_size(p, fmt)
    return check_declared(p, f"{fmt} header", width, height, field, samples)


def _count(pixels: float) -> str:
    """Pixels as megapixels, or as a count below 0.1 megapixel ("0.0 above 0.0" read as
    nothing)."""
    return f"{pixels / 1e6:,.1f} megapixels" if pixels >= 1e5 else f"{pixels:,.0f} pixels"


def check_declared(p, what: str, width: int, height: int, field: str,
                   samples: int | None = None) -> tuple[int, int]:
    """The one pixel limit, for an image or a video frame whose ``what`` (a header)
    declares ``width`` x ``height``: refused above :func:`max_pixels`, before decoding."""
    limit = max_pixels()
    samples = width * height if samples is None else samples
    if width * height > limit or samples > limit * MAX_CHANNELS:
        raise ParameterError(
            field, f"{p}: the {what} declares {width} x {height} pixels "
                   f"({_count(width * height)}), above the limit of {_count(limit)}; not "
                   f"decoded (set {ENV_MAX_PIXELS} to raise the limit)")
    return width, height
