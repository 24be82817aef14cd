"""Reading images and masks: formats, bit depths, channel layouts, samples, bad input."""
import struct
import zlib

import numpy as np
import png
import pytest
import tifffile
from PIL import Image

from imgfusion.errors import ParameterError
from imgfusion.io.read import probe_image, read_image, read_mask, sample_names, write_image

RNG = np.random.default_rng(7)


def levels(shape, bits):
    top = 2 ** bits - 1
    return RNG.integers(0, top + 1, shape), top


# -- round trips ---------------------------------------------------------------
@pytest.mark.parametrize("ext", ["png", "tif"])
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_round_trip_is_exact(tmp_path, ext, bits, channels):
    q, top = levels((7, 9, channels), bits)
    image = (q / top).astype(np.float32)
    path = write_image(tmp_path / f"x.{ext}", image, bits=bits)
    back = read_image(path)
    assert back.dtype == np.float32 and back.shape == image.shape
    np.testing.assert_array_equal(np.rint(back * top).astype(int), q)
    info = probe_image(path)
    assert (info.rows, info.cols, info.channels, info.bits) == (7, 9, channels, bits)


@pytest.mark.parametrize("name", ["x.jpg", "x.jpeg"])
def test_jpeg_is_close(tmp_path, name):
    y, x = np.mgrid[0:32, 0:40] / 40.0
    image = np.stack([y, x, (x + y) / 2], axis=2).astype(np.float32)
    back = read_image(write_image(tmp_path / name, image))
    assert back.shape == image.shape
    assert np.abs(back - image).mean() < 0.01


@pytest.mark.parametrize("ext", ["webp", "bmp"])
@pytest.mark.parametrize("channels", [1, 3])
def test_webp_bmp_8bit_exact(tmp_path, ext, channels):
    q, _ = levels((6, 5, channels), 8)
    image = (q / 255).astype(np.float32)
    back = read_image(write_image(tmp_path / f"x.{ext}", image))
    # WebP stores grey as RGB; the values must survive either way
    np.testing.assert_array_equal(np.rint(back * 255).astype(int),
                                  np.broadcast_to(q, back.shape))


def test_webp_keeps_alpha_and_hidden_colour(tmp_path):
    q, _ = levels((6, 5, 4), 8)
    q[0, 0, 3] = 0
    back = read_image(write_image(tmp_path / "x.webp", (q / 255).astype(np.float32)))
    np.testing.assert_array_equal(np.rint(back * 255).astype(int), q)


def test_16bit_colour_png_from_another_writer_is_not_truncated(tmp_path):
    q, _ = levels((4, 5, 3), 16)
    with open(tmp_path / "c.png", "wb") as f:
        png.Writer(5, 4, greyscale=False, bitdepth=16).write(f, q.reshape(4, 15))
    back = read_image(tmp_path / "c.png")
    np.testing.assert_array_equal(np.rint(back * 65535).astype(int), q)


def test_16bit_grey_png_from_pillow(tmp_path):
    q, _ = levels((4, 5), 16)
    Image.fromarray(q.astype(np.uint16)).save(tmp_path / "g.png")
    back = read_image(tmp_path / "g.png")
    np.testing.assert_array_equal(np.rint(back[..., 0] * 65535).astype(int), q)


def test_grey_alpha_becomes_rgba(tmp_path):
    q, _ = levels((4, 5, 2), 8)
    Image.fromarray(q.astype(np.uint8), "LA").save(tmp_path / "la.png")
    back = read_image(tmp_path / "la.png")
    assert back.shape == (4, 5, 4)
    for c in range(3):
        np.testing.assert_array_equal(back[..., c], q[..., 0].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(back[..., 3], q[..., 1].astype(np.float32) / np.float32(255))


def test_grey_alpha_16bit_png(tmp_path):
    q, _ = levels((3, 4, 2), 16)
    with open(tmp_path / "la16.png", "wb") as f:
        png.Writer(4, 3, greyscale=True, alpha=True, bitdepth=16).write(f, q.reshape(3, 8))
    back = read_image(tmp_path / "la16.png")
    np.testing.assert_array_equal(np.rint(back[..., [0, 3]] * 65535).astype(int), q)


def test_palette_with_transparency_and_1bit(tmp_path):
    pal = Image.new("P", (3, 2))
    pal.putpalette([255, 0, 0, 0, 0, 255])
    pal.putdata([0, 1, 0, 1, 0, 1])
    pal.info["transparency"] = 1
    pal.save(tmp_path / "p.png", transparency=1)
    rgba = read_image(tmp_path / "p.png")
    assert rgba.shape == (2, 3, 4)
    np.testing.assert_array_equal(rgba[0, 0], [1, 0, 0, 1])
    assert rgba[0, 1, 3] == 0
    Image.fromarray(np.array([[True, False]])).save(tmp_path / "b.png")
    np.testing.assert_array_equal(read_image(tmp_path / "b.png")[..., 0], [[1, 0]])


def test_tiff_variants(tmp_path):
    q, _ = levels((3, 4, 3), 8)
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(q.astype(np.uint8), 2, 0),
                     photometric="rgb", planarconfig="separate")
    np.testing.assert_array_equal(np.rint(read_image(tmp_path / "planar.tif") * 255), q)
    tifffile.imwrite(tmp_path / "white.tif", q[..., 0].astype(np.uint8), photometric="miniswhite")
    np.testing.assert_array_equal(np.rint(read_image(tmp_path / "white.tif")[..., 0] * 255),
                                  255 - q[..., 0])
    tifffile.imwrite(tmp_path / "f.tif", np.array([[-0.5, 0.25], [0.75, 2.0]], np.float32))
    with pytest.raises(ParameterError, match=r"range over \[-0.5, 2\]"):
        read_image(tmp_path / "f.tif")  # never clipped unasked (issue 20)
    np.testing.assert_array_equal(read_image(tmp_path / "f.tif", float_range="clip")[..., 0],
                                  [[0, 0.25], [0.75, 1]])


def test_format_follows_content_not_name(tmp_path):
    q, _ = levels((3, 3, 3), 8)
    write_image(tmp_path / "x.png", (q / 255).astype(np.float32))
    (tmp_path / "x.png").rename(tmp_path / "actually_png.data")
    assert read_image(tmp_path / "actually_png.data").shape == (3, 3, 3)


# -- samples ---------------------------------------------------------------------
def test_samples():
    import skimage.data

    names = sample_names()
    assert {"astronaut", "camera", "coffee", "chelsea", "rocket", "logo"} <= set(names)
    astronaut = read_image("sample:astronaut")
    np.testing.assert_array_equal(astronaut, skimage.data.astronaut() / np.float32(255))
    assert read_image("sample:camera").shape == (512, 512, 1)
    assert read_image("sample:logo").shape[2] == 4


def test_unknown_and_download_only_samples_list_the_bundled_ones():
    with pytest.raises(ParameterError, match="unknown sample 'astronot'.*astronaut") as err:
        read_image("sample:astronot")
    assert err.value.field == "path"
    with pytest.raises(ParameterError, match="needs a download.*camera"):
        read_image("sample:eagle")


# -- bad input ---------------------------------------------------------------------
def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bad_files(tmp_path):
    good = write_image(tmp_path / "good.png", RNG.random((20, 20, 3)).astype(np.float32))
    jpg = write_image(tmp_path / "good.jpg", RNG.random((20, 20, 3)).astype(np.float32))
    data, jdata = good.read_bytes(), jpg.read_bytes()
    files = {
        "missing": (tmp_path / "nope.png", "no such file"),
        "folder": (tmp_path, "is a folder"),
        "empty": (tmp_path / "empty.png", "empty"),
        "truncated png": (tmp_path / "trunc.png", "corrupt or truncated PNG"),
        "truncated jpg": (tmp_path / "trunc.jpg", "corrupt or truncated JPEG"),
        "garbage": (tmp_path / "garbage.png", "not a valid PNG"),
        "unsupported": (tmp_path / "anim.gif", "unsupported image format.*read by load_video"),
        "zero size": (tmp_path / "zero.png", "no pixels"),
    }
    files["empty"][0].write_bytes(b"")
    files["truncated png"][0].write_bytes(data[: len(data) // 2])
    files["truncated jpg"][0].write_bytes(jdata[: len(jdata) // 2])
    files["garbage"][0].write_bytes(b"this is not an image at all")
    Image.new("RGB", (4, 4)).save(files["unsupported"][0], format="GIF")
    ihdr = struct.pack(">IIBBBBB", 0, 5, 8, 0, 0, 0, 0)
    files["zero size"][0].write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"")) + _png_chunk(b"IEND", b""))
    return files


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "truncated png", "truncated jpg",
                                  "garbage", "unsupported", "zero size"])
def test_bad_input_is_a_parameter_error_naming_path(tmp_path, kind):
    path, message = bad_files(tmp_path)[kind]
    for reader in (read_image, probe_image, read_mask):
        with pytest.raises(ParameterError, match=message) as err:
            reader(path)
        assert err.value.field == "path"


# -- masks -------------------------------------------------------------------------
@pytest.fixture
def rgba_file(tmp_path):
    image = np.zeros((4, 6, 4), np.float32)
    image[..., 0] = 1.0                    # red: luminance 0.2125
    image[..., 3] = np.linspace(0, 1, 6)   # alpha ramps left to right
    return write_image(tmp_path / "m.png", image), image


def test_mask_channels(rgba_file):
    path, image = rgba_file
    alpha = np.rint(image[..., 3] * 255) / np.float32(255)
    np.testing.assert_array_equal(read_mask(path), alpha)            # auto -> alpha
    np.testing.assert_array_equal(read_mask(path, channel="alpha"), alpha)
    np.testing.assert_allclose(read_mask(path, channel="gray"), 0.2125, atol=1e-6)
    assert read_mask(path).shape == (4, 6)


def test_mask_auto_uses_grey_for_opaque_rgba_and_threshold_invert(tmp_path):
    image = np.ones((3, 4, 4), np.float32)
    image[..., :3] = np.array([0.0, 0.2, 0.6, 1.0])[None, :, None]
    path = write_image(tmp_path / "opaque.png", image)
    grey = read_mask(path)
    np.testing.assert_allclose(grey[0], np.rint(np.array([0, 0.2, 0.6, 1]) * 255) / 255, atol=1e-6)
    hard = read_mask(path, threshold=0.5)
    assert hard.dtype == bool and hard[0].tolist() == [False, False, True, True]
    assert read_mask(path, threshold=0.5, invert=True)[0].tolist() == [True, True, False, False]
    np.testing.assert_allclose(read_mask(path, invert=True), 1 - grey, atol=1e-7)


def test_mask_bad_parameters(tmp_path):
    path = write_image(tmp_path / "rgb.png", np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ParameterError) as err:
        read_mask(path, channel="alpha")
    assert err.value.field == "channel"
    with pytest.raises(ParameterError) as err:
        read_mask(path, threshold=1.5)
    assert err.value.field == "threshold"
