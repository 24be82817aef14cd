"""Writing images: formats, refusals, the protect list, atomicity."""
import os

import numpy as np
import pytest

from imgfusion.io import write as image_write
from imgfusion.errors import ParameterError
from imgfusion.io.write import save, write_image
from imgfusion.io.read import read_image

IMAGE = np.random.default_rng(3).random((5, 6, 3)).astype(np.float32)


def test_creates_parents_returns_absolute_path_and_keeps_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = IMAGE.copy()
    path = write_image("a/b/c.png", IMAGE)
    assert path == tmp_path / "a/b/c.png" and path.is_file()
    np.testing.assert_array_equal(IMAGE, before)
    mask = np.zeros((3, 4), bool)
    mask[1, 2] = True
    np.testing.assert_array_equal(read_image(write_image("m.png", mask))[..., 0], mask)


def test_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_image(tmp_path / "x.png", IMAGE)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_refuses_existing_file_unless_overwrite(tmp_path):
    dest = tmp_path / "x.png"
    dest.write_bytes(b"old")
    with pytest.raises(ParameterError, match="already exists") as err:
        write_image(dest, IMAGE)
    assert err.value.field == "path" and dest.read_bytes() == b"old"
    write_image(dest, IMAGE, overwrite=True)
    assert read_image(dest).shape == IMAGE.shape
    assert sorted(os.listdir(tmp_path)) == ["x.png"]


def test_protect_wins_over_overwrite_whatever_the_spelling(tmp_path):
    src = write_image(tmp_path / "in.png", IMAGE)
    data = src.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.png").symlink_to(src)
    for spelling in (src, tmp_path / "sub" / ".." / "in.png", tmp_path / "link.png"):
        with pytest.raises(ParameterError, match="input of this run") as err:
            write_image(spelling, IMAGE * 0, overwrite=True, protect=["sample:astronaut", str(src)])
        assert err.value.field == "path"
    assert src.read_bytes() == data


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch, exc):
    def broken(f, pixels):
        f.write(b"half an image")
        raise exc

    monkeypatch.setattr(image_write, "_encode_pillow", lambda f, px, *_: broken(f, px))
    with pytest.raises(type(exc)):
        write_image(tmp_path / "out" / "x.png", IMAGE)
    assert os.listdir(tmp_path / "out") == []


def test_failure_mid_overwrite_keeps_the_old_file(tmp_path, monkeypatch):
    dest = tmp_path / "x.tif"
    dest.write_bytes(b"old")

    def broken(f, pixels):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(image_write, "_encode_tiff", broken)
    with pytest.raises(KeyboardInterrupt):
        write_image(dest, IMAGE, overwrite=True)
    assert dest.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.tif"]


@pytest.mark.parametrize("name, kwargs, image, field, message", [
    ("x.gif", {}, IMAGE, "path", "unsupported output format"),
    ("x", {}, IMAGE, "path", "unsupported output format"),
    ("x.jpg", {"bits": 16}, IMAGE, "bits", "8 bits"),
    ("x.png", {"bits": 12}, IMAGE, "bits", "not 8 or 16"),
    ("x.jpg", {}, np.ones((2, 2, 4), np.float32), "path", "alpha"),
    ("x.bmp", {}, np.ones((2, 2, 4), np.float32), "path", "alpha"),
    ("x.png", {}, np.full((2, 2, 3), np.nan, np.float32), "image", "NaN"),
    ("x.png", {}, np.ones((2, 2, 2), np.float32), "image", "C = 1, 3 or 4"),
])
def test_bad_output(tmp_path, name, kwargs, image, field, message):
    with pytest.raises(ParameterError, match=message) as err:
        write_image(tmp_path / name, image, **kwargs)
    assert err.value.field == field
    assert os.listdir(tmp_path) == []


def test_clips_out_of_range_values(tmp_path):
    image = np.array([[[-0.2], [0.5], [1.7]]], np.float32)
    back = read_image(write_image(tmp_path / "c.png", image, bits=16))
    np.testing.assert_allclose(back[0, :, 0], [0, 0.5, 1], atol=1 / 65535)


def test_save_resolves_relative_paths_in_workdir(tmp_path):
    written = save(IMAGE, path="out/s.png", workdir=tmp_path)
    assert written == str(tmp_path / "out" / "s.png") and os.path.isfile(written)


def _photo():
    from skimage import data

    return data.astronaut()[:128, :128] / 255.0


@pytest.mark.parametrize("name", ["a.jpg", "a.webp"])
def test_quality_trades_size_for_fidelity(tmp_path, name):
    """A low quality writes a smaller, less faithful file; .webp without one is lossless."""
    photo = _photo()
    errors, sizes = {}, {}
    for q in (20, 95, None):
        path = write_image(tmp_path / f"{q}-{name}", photo, quality=q)
        errors[q] = float(np.abs(read_image(path)[..., :3] - photo).mean())
        sizes[q] = path.stat().st_size
    assert sizes[20] < 0.6 * sizes[95] and errors[20] > 1.5 * errors[95]
    if name.endswith(".webp"):
        assert errors[None] < 1 / 512 < errors[95]   # lossless: only 8-bit rounding
    else:
        assert errors[None] == errors[95]             # JPEG's default is 95


@pytest.mark.parametrize("name", ["a.png", "a.tif", "a.bmp"])
def test_quality_is_refused_for_lossless_formats(tmp_path, name):
    with pytest.raises(ParameterError, match="losslessly") as err:
        save(_photo(), path=str(tmp_path / name), quality=50)
    assert err.value.field == "quality" and not (tmp_path / name).exists()
    with pytest.raises(ParameterError) as err:
        image_write.check_save({"path": name, "quality": 50})
    assert err.value.field == "quality"
