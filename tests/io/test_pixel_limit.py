"""Images are decoded only after the size their header declares is checked against a
pixel limit, for every format imgfusion reads: tiny files declaring huge images are
refused fast, naming the step and the field, without the memory a decode would take."""
import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.io.headers import declared_size
from imgfusion.io.write import write_image
from imgfusion.io.read import probe_image, read_image

ROOT = Path(__file__).resolve().parents[2]


def _png16(width: int, height: int) -> bytes:
    """A 16-bit RGB PNG whose IHDR declares width x height, with one tiny IDAT."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _png16_zeros(width: int, height: int) -> bytes:
    """A valid, complete 16-bit RGB PNG of zeros: ~1000 times smaller than its pixels."""
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + 6 * width)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    data = bytearray(_png16(width, height))
    at = data.index(b"IDAT") - 4
    end = data.index(b"IEND") - 4
    kind = b"IDAT"
    data[at:end] = (struct.pack(">I", len(idat)) + kind + idat
                    + struct.pack(">I", zlib.crc32(kind + idat) & 0xFFFFFFFF))
    return bytes(data)


def _tiff(width: int, height: int) -> bytes:
    """A baseline grey 8-bit TIFF declaring width x height, with a 16-byte strip."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, 16)]
    data_at = 8 + 2 + 12 * len(tags) + 4
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        value = data_at if tag == 273 else value
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\0\0\0\0" + b"\0" * 16


def _pillow(fmt: str, **options) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((6, 8, 3), 128, np.uint8)).save(buf, format=fmt, **options)
    return buf.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    data = bytearray(_pillow("JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _bmp(width: int, height: int) -> bytes:
    data = bytearray(_pillow("BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def _webp(width: int, height: int) -> bytes:
    data = bytearray(_pillow("WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
    data[21:25] = (bits | (width - 1) | ((height - 1) << 14)).to_bytes(4, "little")
    return bytes(data)


HUGE = [("png16", "png", _png16(100_000, 100_000)), ("tiff", "tif", _tiff(100_000, 100_000)),
        ("jpeg", "jpg", _jpeg(65_000, 65_000)), ("bmp", "bmp", _bmp(30_000, 30_000)),
        ("webp", "webp", _webp(16_384, 16_384))]


@pytest.mark.parametrize("name,ext,data", HUGE, ids=[h[0] for h in HUGE])
def test_huge_declared_size_is_refused_before_decoding(tmp_path, name, ext, data):
    image = tmp_path / f"huge.{ext}"
    image.write_bytes(data)
    assert len(data) < 2000
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"imgfusion: 1\nsteps:\n  - id: big\n    op: load\n    path: huge.{ext}\n"
                      f"  - id: big_mask\n    op: load_mask\n    path: huge.{ext}\n")
    script = ("import resource, subprocess, sys\n"
              "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)\n"
              "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
              "print(r.returncode, peak); print(r.stderr)\n")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "imgfusion.cli",
                           "validate", str(recipe)], capture_output=True, text=True,
                          timeout=120, env=env)
    head, err = proc.stdout.split("\n", 1)
    rc, peak_kib = map(int, head.split())
    assert rc == 2, err
    for step in ("big", "big_mask"):
        assert f"step {step}, field 'path'" in err
    assert "megapixels), above the limit of 100.0 megapixels" in err, err
    assert peak_kib < 600 * 1024  # a decode would take gigabytes


def test_a_complete_16_bit_png_over_the_limit_is_not_decoded(tmp_path, monkeypatch):
    """pypng has no limit of its own: a valid file one row over the limit is refused."""
    import png

    path = tmp_path / "zeros.png"
    path.write_bytes(_png16_zeros(500, 401))
    assert png.Reader(filename=str(path)).read()[:2] == (500, 401)
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "200000")
    decoded = []
    monkeypatch.setattr(png.Reader, "asDirect", lambda self: decoded.append(self))
    with pytest.raises(ParameterError, match=r"500 x 401 pixels"):
        probe_image(path)
    assert decoded == []
    monkeypatch.undo()
    assert read_image(path).shape == (401, 500, 3)


@pytest.mark.parametrize("name,ext,data", HUGE, ids=[h[0] for h in HUGE])
def test_read_image_refuses_the_same_files(tmp_path, name, ext, data):
    image = tmp_path / f"huge.{ext}"
    image.write_bytes(data)
    with pytest.raises(ParameterError, match="above the limit") as info:
        read_image(image, field="style")
    assert info.value.field == "style"


WRITABLE = [("png", 8), ("png", 16), ("jpg", 8), ("tif", 8), ("tif", 16), ("bmp", 8),
            ("webp", 8)]


@pytest.mark.parametrize("ext,bits", WRITABLE)
def test_declared_size_matches_the_decoded_image(tmp_path, ext, bits):
    path = tmp_path / f"im.{ext}"
    write_image(path, np.random.default_rng(0).random((37, 53, 3)).astype(np.float32),
                bits=bits)
    info = probe_image(path)
    assert declared_size(path, info.format)[:2] == (53, 37) == (info.cols, info.rows)


def test_lossy_and_extended_webp_headers(tmp_path):
    from PIL import Image

    for name, kwargs, mode in (("lossy", {"quality": 80}, "RGB"),
                               ("alpha", {"quality": 80}, "RGBA")):
        path = tmp_path / f"{name}.webp"
        Image.new(mode, (53, 37)).save(path, format="WEBP", **kwargs)
        assert declared_size(path, "WEBP")[:2] == (53, 37), name


def test_the_limit_is_settable_and_applies_to_samples(monkeypatch):
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "1e5")
    with pytest.raises(ParameterError, match=r"512 x 512 pixels .* limit of 0.1 megapixels"):
        read_image("sample:astronaut")
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "300000")
    assert read_image("sample:astronaut").shape == (512, 512, 3)
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "lots")
    with pytest.raises(ParameterError, match="IMGFUSION_MAX_PIXELS"):
        read_image("sample:astronaut")


def test_a_raised_limit_lets_a_large_image_through(tmp_path, monkeypatch):
    path = tmp_path / "wide.png"
    write_image(path, np.zeros((20, 6000, 3), np.float32))
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "100000")
    with pytest.raises(ParameterError, match="above the limit"):
        read_image(path)
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "120000")
    assert read_image(path).shape == (20, 6000, 3)
