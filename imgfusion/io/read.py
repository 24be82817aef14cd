"""Reading images and masks into imgfusion's data layout, and writing them back.

Every image comes out as a float32 array H x W x C in [0, 1]:

========================  ====================================================
file holds                result
========================  ====================================================
grey (1-bit, 8, 16 bit)   C = 1
grey + alpha              C = 4, RGBA with R = G = B (imgfusion has no C = 2)
RGB, palette, CMYK, YCbCr C = 3 (a palette with transparency gives C = 4)
RGBA                      C = 4, straight (unassociated) alpha
========================  ====================================================

Integer samples are divided by their type's maximum (255, 65535, ...), so an
8- or 16-bit file written back with the same bit depth is reproduced exactly.
Samples are never silently changed: float samples (a float TIFF, a 32-bit float
image) or negative integers outside [0, 1] are refused, naming the range found,
unless the step asks (``float_range``: ``clip`` cuts to [0, 1], ``stretch`` maps
the range found onto [0, 1]); :func:`in_unit_range` is that one rule, for images
and masks alike, at validation (:func:`probe_image`) and when read.  Formats: PNG, JPEG, TIFF (first page),
BMP and WebP, recognised by their content.  Pillow reads all but TIFF
(tifffile) and 16-bit colour PNG (pypng: Pillow would reduce it to 8 bits).
``sample:NAME`` reads one of scikit-image's bundled images.

Every file's declared size is checked against a pixel limit before it is decoded
(:mod:`imgfusion.io.headers`: 100 megapixels, ``IMGFUSION_MAX_PIXELS``).

Bad input (missing, empty, corrupt or truncated file, unsupported format, an
image without pixels or with too many) raises :class:`~imgfusion.errors.ParameterError` naming
the parameter, ``path`` by default.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np

from ..checks import luminance
from ..errors import ParameterError
from ..operators import Image, InputPath, Mask, Range, operator
from ..values import Shape
from .headers import check_pixels, max_pixels, png_header
from .write import save, write_image  # noqa: F401 - part of this module's API
from .samples import is_sample, sample_names, sample_path  # noqa: F401

FloatRange = Literal["refuse", "clip", "stretch"]
FLOAT_RANGES = ("refuse", "clip", "stretch")
READ_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
# the containers load_video reads (named here so that load can point to it)
CONTAINER_EXTENSIONS = (".mp4", ".m4v", ".webm", ".mov", ".mkv", ".avi", ".gif")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
)
_EXT_FORMAT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
               ".tiff": "TIFF", ".bmp": "BMP", ".webp": "WEBP"}


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`probe_image` found: size, channels as read, file format, bit depth."""

    path: str
    rows: int
    cols: int
    channels: int
    format: str
    bits: int


# -- locating and sniffing --------------------------------------------------------
def _resolve(path, field: str) -> Path:
    if is_sample(path):
        return sample_path(path, field)
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ParameterError(field, f"expected a file name, got {path!r}")
    p = Path(path)
    if not p.exists():
        raise ParameterError(field, f"no such file: {p}")
    if p.is_dir():
        raise ParameterError(field, f"{p} is a folder, not an image file")
    return p


def _sniff(p: Path, field: str) -> str:
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise ParameterError(field, f"cannot open {p}: {exc.strerror or exc}") from None
    if not head:
        raise ParameterError(field, f"{p} is empty (0 bytes)")
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    expected = _EXT_FORMAT.get(p.suffix.lower())
    if expected:
        raise ParameterError(field, f"{p} is not a valid {expected} file (corrupt, or "
                                    f"another format under a {p.suffix} name)")
    video = "; a video is read by load_video" if p.suffix.lower() in CONTAINER_EXTENSIONS else ""
    raise ParameterError(field, f"unsupported image format for {p}; imgfusion reads "
                                f"{', '.join(READ_EXTENSIONS)}{video}")


# -- decoders: each returns the file's samples in their own dtype ------------------
def _decode_pillow(p: Path) -> np.ndarray:
    from PIL import Image

    limit = max_pixels()  # checked from the header already; Pillow's own guard follows it
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < limit:
        Image.MAX_IMAGE_PIXELS = limit
    with Image.open(p) as im:
        im.load()
        mode = im.mode
        if mode == "P":
            im = im.convert("RGBA" if im.has_transparency_data else "RGB")
        elif mode in ("1", "L", "RGB", "RGBA") or mode.startswith("I;16"):
            pass
        elif mode in ("LA", "La", "PA"):
            im = im.convert("LA")
        elif mode in ("RGBa",):
            im = im.convert("RGBA")
        elif mode == "I":
            return _int32_samples(np.asarray(im))
        elif mode == "F":
            return np.asarray(im, dtype=np.float32)
        else:  # CMYK, YCbCr, LAB, HSV, RGBX
            im = im.convert("RGB")
        arr = np.asarray(im)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _decode_png16(p: Path) -> np.ndarray:
    import png

    width, height, rows, info = png.Reader(filename=str(p)).asDirect()
    flat = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows])
    return flat.reshape(height, width, info["planes"])


def _decode_tiff(p: Path, field: str) -> np.ndarray:
    import tifffile

    with tifffile.TiffFile(p) as tif:
        if not tif.pages:
            raise ParameterError(field, f"{p} holds no image")
        page = tif.pages.first
        arr = page.asarray()
        axes, photometric = page.axes, tifffile.PHOTOMETRIC(page.photometric)
        colormap = page.colormap
    if "S" in axes:
        arr = np.moveaxis(arr, axes.index("S"), -1)
    if photometric == tifffile.PHOTOMETRIC.MINISWHITE and arr.dtype.kind in "ub":
        arr = ~arr if arr.dtype == bool else np.iinfo(arr.dtype).max - arr
    elif photometric == tifffile.PHOTOMETRIC.PALETTE and colormap is not None:
        arr = np.moveaxis(colormap[:, arr], 0, -1).astype(np.uint16)
    elif photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.MINISWHITE,
                             tifffile.PHOTOMETRIC.RGB, tifffile.PHOTOMETRIC.YCBCR):
        raise ParameterError(field, f"{p}: unsupported TIFF colour model {photometric.name}")
    return arr


def _decode(p: Path, fmt: str, field: str) -> np.ndarray:
    try:
        check_pixels(p, fmt, field)
        if fmt == "TIFF":
            arr = _decode_tiff(p, field)
        elif fmt == "PNG":
            width, height, depth, colour_type = png_header(p)
            if width == 0 or height == 0:
                raise ParameterError(field, f"{p}: the image has no pixels ({height} x {width})")
            if depth == 16 and colour_type in (2, 4, 6):
                arr = _decode_png16(p)
            else:
                arr = _decode_pillow(p)
        else:
            arr = _decode_pillow(p)
    except ParameterError:
        raise
    except Exception as exc:  # noqa: BLE001 - every decoder failure means a bad file
        raise ParameterError(
            field, f"cannot read {p}: corrupt or truncated {fmt} file "
                   f"({type(exc).__name__}: {exc})") from None
    if arr.size == 0:
        raise ParameterError(field, f"{p}: the image has no pixels (shape {arr.shape})")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] > 4:
        raise ParameterError(field, f"{p}: unsupported image layout {arr.shape}; imgfusion "
                                    "reads grey, grey + alpha, RGB and RGBA images")
    return arr


def _int32_samples(arr: np.ndarray) -> np.ndarray:
    """Pillow's mode I: 16-bit samples when they fit (as 16-bit files read), else floats
    on the same scale (k / 65535), for the range rule to refuse or map (never clipped)."""
    if arr.size and 0 <= arr.min() and arr.max() <= 65535:
        return arr.astype(np.uint16)
    return (arr / 65535.0).astype(np.float32)


def in_unit_range(samples: np.ndarray, p, field: str, float_range: str = "refuse"
                  ) -> np.ndarray:
    """``samples`` (float32) if they lie in [0, 1]; else refused naming the range found,
    or, as the step asks, clipped (``clip``) or mapped from their range (``stretch``)."""
    if not np.all(np.isfinite(samples)):
        raise ParameterError(field, f"{p}: the image contains NaN or infinite values")
    lo, hi = float(samples.min()), float(samples.max())
    if 0 <= lo and hi <= 1:
        return samples
    if float_range == "clip":
        return np.clip(samples, 0, 1)
    if float_range == "stretch" and hi > lo:
        return ((samples - lo) / np.float32(hi - lo)).astype(np.float32)
    if float_range == "stretch":
        raise ParameterError("float_range", f"{p}: every sample is {lo:.6g}; a constant "
                                            "image has no range to stretch (use clip)")
    raise ParameterError(field, f"{p}: its samples range over [{lo:.6g}, {hi:.6g}], outside "
                                "[0, 1]; imgfusion never clips them silently: set float_range:"
                                " clip (cut to [0, 1]) or stretch (map the range found to "
                                "[0, 1]) on this step, or rescale the file")


def _to_float(arr: np.ndarray, p: Path, field: str, float_range: str = "refuse"
              ) -> np.ndarray:
    if arr.dtype == bool:
        out = arr.astype(np.float32)
    elif arr.dtype.kind == "u":
        out = arr.astype(np.float32) / np.float32(np.iinfo(arr.dtype).max)
    elif arr.dtype.kind in "if":
        scale = np.iinfo(arr.dtype).max if arr.dtype.kind == "i" else 1
        out = in_unit_range(arr.astype(np.float32) / np.float32(scale), p, field, float_range)
    else:
        raise ParameterError(field, f"{p}: unsupported sample type {arr.dtype}")
    if out.shape[2] == 2:  # grey + alpha -> RGBA
        out = np.concatenate([out[..., :1]] * 3 + [out[..., 1:]], axis=2)
    return np.ascontiguousarray(out, dtype=np.float32)


def _bits(arr: np.ndarray) -> int:
    return 1 if arr.dtype == bool else arr.dtype.itemsize * 8


# -- public API ------------------------------------------------------------------
def read_image(path, *, float_range: str = "refuse", field: str = "path") -> np.ndarray:
    """Read an image file (or ``sample:NAME``) as float32 H x W x C in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        PNG, JPEG, TIFF, BMP or WebP file (8 or 16 bit; grey, grey + alpha,
        RGB or RGBA), or ``sample:NAME`` for a scikit-image bundled image
        (see :func:`sample_names`).
    float_range : {"refuse", "clip", "stretch"}
        Float (or negative integer) samples outside [0, 1]: refused, naming the range
        found (default); cut to [0, 1]; or mapped from the range found to [0, 1].
    field : str
        The parameter name used in error messages.

    Returns
    -------
    image : (H, W, C) float32 ndarray
        C = 1 for grey, 3 for colour, 4 when the file has alpha (grey + alpha
        becomes RGBA with R = G = B).

    Raises
    ------
    ParameterError
        Missing, empty, corrupt or unsupported file; an image without pixels; samples
        outside [0, 1] with ``float_range`` refuse.
    """
    check_float_range(float_range)
    p = _resolve(path, field)
    arr = _decode(p, _sniff(p, field), field)
    return _to_float(arr, p, field, float_range)


def check_float_range(float_range: str) -> None:
    if float_range not in FLOAT_RANGES:
        raise ParameterError("float_range", f"{float_range!r} is not one of "
                                            f"{', '.join(FLOAT_RANGES)}")


def check_readable(params) -> None:
    """Validation's check of ``load`` and ``load_mask``: the file decodes (and its float
    samples lie in [0, 1] unless ``float_range`` says what to do with them); a mask's
    ``channel: alpha`` names a file that has one (refused at run time before)."""
    info = probe_image(params["path"], float_range=params.get("float_range", "refuse"))
    if params.get("channel") == "alpha" and info.channels != 4:
        no_alpha(params["path"], info.channels)


def no_alpha(path, channels: int):
    raise ParameterError("channel", f"{path} has no alpha channel (it has {channels} "
                                    "channel(s)); use channel: gray")


@operator(check=check_readable, output_probe="imgfusion.io.read:probe_output")
def load(*, path: InputPath, float_range: FloatRange = "refuse") -> Image:
    """Read an image file (png, jpg, tiff, bmp, webp; 8/16 bit) or sample:NAME.

    Grey gives 1 channel, colour 3, a file with alpha 4 (grey + alpha becomes RGBA);
    samples are divided by their type's maximum, so values lie in [0, 1].

    Parameters
    ----------
    path
        image file, or sample:NAME (e.g. sample:astronaut) for a scikit-image
        bundled image
    float_range
        float samples outside [0, 1] (HDR, a float TIFF): refuse (naming the range
        found), clip, or stretch the range found to [0, 1]

    Returns
    -------
    image : the image, float32 H x W x C in [0, 1]
    """
    return read_image(path, float_range=float_range)


def probe_image(path, *, field: str = "path", float_range: str = "refuse") -> ImageInfo:
    """Check that ``path`` is a readable image, before a run starts.

    Decodes the file so that corrupt or truncated data, or samples outside [0, 1]
    (with ``float_range`` refuse), fail here, with the same :class:`ParameterError`
    that :func:`read_image` would raise later.
    """
    check_float_range(float_range)
    p = _resolve(path, field)
    fmt = _sniff(p, field)
    arr = _decode(p, fmt, field)
    if arr.dtype.kind in "if":
        _to_float(arr, p, field, float_range)
    channels = 4 if arr.shape[2] == 2 else arr.shape[2]
    return ImageInfo(str(p), arr.shape[0], arr.shape[1], channels, fmt, _bits(arr))


def read_mask(path, *, channel: str = "auto", threshold: float | None = None,
              invert: bool = False, float_range: FloatRange = "refuse") -> np.ndarray:
    """Read a mask (H x W) from an image file: :func:`load_mask` for any path-like."""
    return load_mask(path=os.fspath(path), channel=channel, threshold=threshold,
                     invert=invert, float_range=float_range)


@operator(check=check_readable, output_probe="imgfusion.io.read:probe_output")
def load_mask(*, path: InputPath, channel: Literal["auto", "alpha", "gray"] = "auto",
              threshold: Annotated[float, Range(0, 1)] | None = None,
              invert: bool = False, float_range: FloatRange = "refuse") -> Mask:
    """Read a mask from an image's alpha channel or grey levels.

    Parameters
    ----------
    path : image file or sample:NAME
    channel
        alpha, gray (luminance), or auto: alpha if not fully opaque
    threshold
        null keeps soft alpha; a number gives a hard mask (value > t)
    invert : swap inside and outside
    float_range
        float samples outside [0, 1] (a float mask stored in 0..255): refuse (naming the
        range found), clip, or stretch the range found to [0, 1]

    Returns
    -------
    mask : float32 H x W alpha in [0, 1], or bool when threshold is given
    """
    image = read_image(path, float_range=float_range)
    has_alpha = image.shape[2] == 4
    if channel == "alpha" and not has_alpha:
        no_alpha(path, image.shape[2])
    use_alpha = channel == "alpha" or (channel == "auto" and has_alpha
                                       and bool(np.any(image[..., 3] < 1)))
    mask = image[..., 3].copy() if use_alpha else luminance(image)
    if threshold is not None:
        mask = mask > threshold
    if invert:
        mask = ~mask if mask.dtype == bool else (1 - mask).astype(np.float32)
    return np.ascontiguousarray(mask)


def probe_output(params, inputs) -> Shape:
    """The ``output_probe`` of ``load`` and ``load_mask``: the size the file's header
    declares, read at validation without decoding the pixels."""
    p = _resolve(params["path"], "path")
    width, height = check_pixels(p, _sniff(p, "path"), "path")
    return Shape((height, width))
