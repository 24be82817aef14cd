"""Writing images: format by extension, 8 or 16 bit, atomic, never over an input.

The file is encoded into a temporary file in the destination folder, flushed
and fsynced, then renamed over the destination (``os.replace``, atomic on
POSIX and Windows).  Any exception, KeyboardInterrupt included, removes the
temporary file, so an interrupted run leaves either the old file or the new
one, never a partial one.

Encoders: Pillow for 8-bit PNG, JPEG (quality 95 unless told), BMP and WebP (lossless
unless a quality is given);
pypng for 16-bit PNG (Pillow cannot write 16-bit colour PNG); tifffile for
TIFF (zlib compressed, alpha stored as unassociated alpha).  16 bit is for PNG
and TIFF only; JPEG and BMP cannot hold alpha.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Iterable, Literal

import numpy as np

from ..errors import ParameterError
from ..operators import Data, OutputPath, Protect, Range, Value, WorkDir, operator
from ..paths import UnsafePath, atomic_write, check_destination, protected_by  # noqa: F401 (re-exported)

WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                 ".tiff": "TIFF", ".bmp": "BMP", ".webp": "WEBP"}
SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
NO_ALPHA_FORMATS = ("JPEG", "BMP")
LOSSY_FORMATS = ("JPEG", "WEBP")   # the formats a quality applies to


def quantise(image, bits: int = 8, field: str = "image") -> np.ndarray:
    """Float image or mask in [0, 1] -> uint8/uint16 H x W or H x W x C (C = 3, 4).

    Values outside [0, 1] are clipped; bool masks become 0 / max; NaN is refused.
    """
    x = np.asarray(image)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    if not (x.ndim == 2 or (x.ndim == 3 and x.shape[2] in (3, 4))) or x.size == 0:
        raise ParameterError(field, "expected an H x W mask or an H x W x C image with "
                                    f"C = 1, 3 or 4, got shape {x.shape}")
    dtype, top = (np.uint8, 255) if bits == 8 else (np.uint16, 65535)
    if x.dtype == bool:
        return x.astype(dtype) * dtype(top)
    if x.dtype.kind in "ui":
        x = x.astype(np.float64) / np.iinfo(x.dtype).max
    elif x.dtype.kind != "f":
        raise ParameterError(field, f"unsupported array type {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ParameterError(field, "the image contains NaN or infinite values")
    return np.rint(np.clip(x.astype(np.float64), 0, 1) * top).astype(dtype)


# -- encoders (each writes to an open binary file) ----------------------------
def _encode_pillow(f, pixels: np.ndarray, fmt: str, quality: int | None = None) -> None:
    from PIL import Image

    options = {"JPEG": {"quality": 95 if quality is None else quality},
               "WEBP": ({"lossless": True, "exact": True} if quality is None
                        else {"quality": quality})}
    Image.fromarray(pixels).save(f, format=fmt, **options.get(fmt, {}))


def _encode_png16(f, pixels: np.ndarray) -> None:
    import png

    rows, cols = pixels.shape[:2]
    planes = 1 if pixels.ndim == 2 else pixels.shape[2]
    writer = png.Writer(cols, rows, greyscale=planes == 1, alpha=planes == 4, bitdepth=16)
    writer.write(f, pixels.reshape(rows, cols * planes))


def _encode_tiff(f, pixels: np.ndarray) -> None:
    import tifffile

    colour = pixels.ndim == 3
    tifffile.imwrite(f, pixels, photometric="rgb" if colour else "minisblack",
                     extrasamples=["unassalpha"] if colour and pixels.shape[2] == 4 else None,
                     compression="zlib")


def _encoder(fmt: str, bits: int, quality: int | None = None) -> Callable:
    if fmt == "TIFF":
        return _encode_tiff
    if fmt == "PNG" and bits == 16:
        return _encode_png16
    return lambda f, px: _encode_pillow(f, px, fmt, quality)


def output_format(path, bits: int = 8, quality: int | None = None) -> str:
    """The format that ``path`` is written in; ParameterError if it cannot hold ``bits``,
    or if a ``quality`` is given for a lossless format."""
    suffix = Path(path).suffix.lower()
    fmt = WRITE_FORMATS.get(suffix)
    if fmt is None:
        raise ParameterError("path", f"unsupported output format '{suffix or Path(path).name}'; "
                                     f"use one of {', '.join(WRITE_FORMATS)}")
    if bits not in (8, 16):
        raise ParameterError("bits", f"{bits!r} is not 8 or 16")
    if bits == 16 and fmt not in SIXTEEN_BIT_FORMATS:
        raise ParameterError("bits", f"{fmt} holds 8 bits per sample; save 16-bit images "
                                     "as .png or .tif")
    if quality is not None and fmt not in LOSSY_FORMATS:
        raise ParameterError("quality", f"{fmt} is written losslessly; quality applies to "
                                        ".jpg and .webp (leave it out for this file)")
    return fmt


def write_image(path, image, *, bits: int = 8, overwrite: bool = False,
                protect: Iterable = (), quality: int | None = None) -> Path:
    """Write an image or mask to ``path``, atomically; the format follows the extension.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; missing parent folders are created.  Extensions: .png,
        .jpg/.jpeg, .tif/.tiff, .bmp, .webp.
    image : ndarray
        Float image H x W x C (C = 1, 3, 4) or mask H x W (bool or float) in
        [0, 1]; values outside are clipped.  Integer arrays are scaled by
        their type's maximum.  The array is not modified.
    bits : {8, 16}
        Bits per sample; 16 for PNG and TIFF only.
    overwrite : bool
        Replace an existing file.  Without it an existing file is an error.
    protect : iterable of paths
        Files that must never be replaced, whatever ``overwrite`` says (the
        run's input images).
    quality : int, optional
        1-100, for .jpg (default 95) and .webp (default: lossless; with a quality,
        lossy); an error for the lossless formats.

    Returns
    -------
    pathlib.Path
        The absolute path written.
    """
    dest = Path(path).expanduser().absolute()
    fmt = output_format(dest, bits, quality)
    pixels = quantise(image, bits)
    if fmt in NO_ALPHA_FORMATS and pixels.ndim == 3 and pixels.shape[2] == 4:
        raise ParameterError("path", f"{fmt} cannot store an alpha channel; save as .png, "
                                     ".tif or .webp, or composite the image onto a background")
    check_replace(dest, protect, overwrite)
    encode = _encoder(fmt, bits, quality)
    atomic_write(dest, lambda f: encode(f, pixels), overwrite=overwrite)
    return dest


def check_replace(dest: Path, protect: Iterable, overwrite: bool) -> None:
    """ParameterError (field ``path``) unless a file may be written at ``dest``: never an
    input of the run or a folder, an existing file only with ``overwrite``."""
    guard = protected_by(dest, protect)
    if guard is not None:
        raise ParameterError("path", f"refusing to overwrite {dest}: it is an input of this "
                                     f"run ({guard})")
    if dest.is_dir():
        raise ParameterError("path", f"{dest} is a folder")
    if dest.exists() and not overwrite:
        raise ParameterError("path", f"{dest} already exists; set overwrite: true to replace it")


def destination(path, workdir) -> Path:
    """``path``, a relative one taken relative to ``workdir`` (the run's output folder)."""
    dest = Path(path)
    return Path(workdir) / dest if not dest.is_absolute() and workdir is not None else dest


def check_save(params) -> None:
    """Validation's check of ``save``: the extension's format holds ``bits``, and takes a
    ``quality`` if one is given."""
    output_format(params.get("path", ""), params.get("bits", 8), params.get("quality"))


@operator(check=check_save, for_video="save_video", pictures=("image",), for_data="save_json")
def save(image: Value, *, path: OutputPath, bits: Literal[8, 16] = 8,
         quality: Annotated[int | None, Range(1, 100)] = None, overwrite: bool = False,
         workdir: WorkDir = None, protect: Protect = ()) -> Data:
    """Write an image or mask (format by extension), atomically.

    A relative ``path`` is taken relative to ``workdir`` (the run's output
    folder) when given.  See :func:`write_image` for formats and guarantees.

    Parameters
    ----------
    image : image or mask to write
    path : file name, relative to the output folder
    bits : bits per sample (16: png, tif)
    quality
        1-100 for .jpg (default 95) and .webp (default lossless); lossless formats refuse it
    overwrite : replace an existing file (never an input)

    Returns
    -------
    path : the path written
    """
    return str(write_image(destination(path, workdir), image, bits=bits,
                           overwrite=overwrite, protect=protect, quality=quality))
