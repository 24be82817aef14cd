"""The workbench's files: every path confined to FOLDER or the output folder, images
served decoded, uploads and drawn masks checked like every image before they stay.

Paths from the page are relative names: an absolute path, a ``..`` part or a NUL byte
is refused outright, and :func:`imgfusion.paths.confine` (the rule recipes' output paths
follow) refuses a name that resolves, links followed, outside its folder.  Images are
decoded by :func:`imgfusion.io.read.read_image` (its header sniffing and pixel limit)
and sent as PNG, so the page never receives a file's raw bytes to interpret.  An upload
is read up to :data:`MAX_UPLOAD_BYTES` (``Content-Length`` checked first, then counted),
written to a hidden file inside its destination folder, probed like every recipe input
(:func:`imgfusion.io.read.probe_image`: format by content, declared size under the
pixel limit before decoding, pixels decodable) and only then published.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import ImgfusionError
from ..io.read import READ_EXTENSIONS, probe_image, read_image
from ..io.samples import sample_names
from ..io.write import quantise
from ..paths import UnsafePath, atomic_write, confine, is_sample

MAX_UPLOAD_BYTES = 64 * 2**20
MAX_LISTED = 500
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class Refused(Exception):
    """A request the workbench refuses; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def inside(root: Path, rel: str) -> Path:
    """``root/rel`` once it is sure to stay inside ``root`` (links followed)."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        raise Refused(f"{str(rel)[:80]!r} is not a file name")
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if rel.startswith(("/", "\\", "~")) or ".." in parts or re.match(r"^[A-Za-z]:", rel):
        raise Refused(f"{rel[:80]!r}: paths are relative to the folder, without '..'", 403)
    try:
        return Path(confine(rel, root))
    except UnsafePath as exc:
        raise Refused(f"{rel[:80]!r}: {exc}", 403) from None


def image_source(root: Path, rel: str) -> str | Path:
    """A ``sample:NAME`` as is, else the confined file."""
    return rel if is_sample(rel) else inside(root, rel)


def list_images(root: Path) -> list[str]:
    """The image files under ``root`` (relative, hidden folders skipped, links out left
    out), at most :data:`MAX_LISTED`."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in READ_EXTENSIONS and not name.startswith("."):
                rel = Path(folder, name).relative_to(root).as_posix()
                if _stays(root, rel):
                    found.append(rel)
            if len(found) >= MAX_LISTED:
                return found
    return found


def list_recipes(root: Path) -> list[str]:
    """The ``*.yaml`` files directly in ``root``."""
    return sorted(p.name for p in root.glob("*.yaml") if _stays(root, p.name))


def samples() -> list[str]:
    return [f"sample:{n}" for n in sample_names()]


def _stays(root: Path, rel: str) -> bool:
    try:
        inside(root, rel)
    except Refused:
        return False
    return True


def png_bytes(image: np.ndarray) -> bytes:
    """An image or mask as 8-bit PNG bytes (for display), quantised as ``save`` does."""
    from PIL import Image as PILImage

    try:
        pixels = quantise(image, 8)
    except ImgfusionError as exc:
        raise Refused(str(exc), 422) from None
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def decoded_png(root: Path, rel: str) -> bytes:
    """The image ``rel`` (in ``root``, or a sample) decoded and re-encoded as PNG."""
    try:
        return png_bytes(read_image(image_source(root, rel)))
    except ImgfusionError as exc:
        raise Refused(str(exc), 422) from None


def store_image(root: Path, rel: str, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``root/rel`` once it has proved to be an image within limits."""
    if not NAME_PATTERN.match(PurePosixPath(rel).name):
        raise Refused(f"{rel[:80]!r}: a file name is letters, digits, '_', '-' and '.'")
    if Path(rel).suffix.lower() not in READ_EXTENSIONS:
        raise Refused(f"{rel[:80]!r}: images end in {', '.join(READ_EXTENSIONS)}")
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(f"the file is {len(data)} bytes; the limit is {MAX_UPLOAD_BYTES}", 413)
    dest = inside(root, rel)
    if dest.exists() and not overwrite:
        raise Refused(f"{rel} already exists in the folder", 409)
    dest.parent.mkdir(parents=True, exist_ok=True)
    inside(root, rel)  # the folder just made must not have led out either
    _publish_checked(dest, data, overwrite)
    return dest


def _publish_checked(dest: Path, data: bytes, overwrite: bool) -> None:
    """``data`` written to ``dest`` atomically, once it has been probed as an image (the
    temporary file keeps ``dest``'s extension, which the probe's messages name)."""
    def write_probed(f) -> None:
        f.write(data)
        f.flush()
        try:
            probe_image(f.name, field="file")
        except ImgfusionError as exc:
            raise Refused(str(exc).replace(f.name, dest.name), 422) from None
    try:
        atomic_write(dest, write_probed, overwrite=overwrite, suffix=dest.suffix)
    except ImgfusionError as exc:
        raise Refused(str(exc), 422) from None


async def read_body(request, limit: int | None = None) -> bytes:
    """The request's body, refused (413) as soon as it is known to exceed ``limit``
    (default :data:`MAX_UPLOAD_BYTES`)."""
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Refused(f"the body is {declared} bytes; the limit is {limit}", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(f"the body exceeds the limit of {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)
