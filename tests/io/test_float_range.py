"""Float (and signed) samples outside [0, 1] are never silently clipped when read: refused,
naming the range found, at validation and when read; clipped or stretched only when the
step asks (``float_range``)."""
import numpy as np
import pytest
import tifffile

from imgfusion.cli import main
from imgfusion.errors import ParameterError
from imgfusion.io.read import probe_image, read_image, read_mask


@pytest.fixture
def mask255(tmp_path):
    """A float mask stored in 0..255: clipped, it would be almost all ones."""
    values = np.zeros((6, 8), np.float32)
    values[2:4, 2:6] = 255.0
    values[0, 0] = 0.5
    tifffile.imwrite(tmp_path / "mask.tif", values)
    return tmp_path / "mask.tif"


def test_a_float_mask_in_0_255_is_refused_at_validation_naming_step_field_and_range(
        tmp_path, mask255, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - id: m\n    op: load_mask\n    path: mask.tif\n"
                      "  - op: save\n    path: out.png\n")
    assert main(["run", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "step m, field 'path'" in err and "[0, 255]" in err and "float_range" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.tif", "r.yaml"]
    with pytest.raises(ParameterError, match=r"range over \[0, 255\]"):
        read_mask(mask255)


def test_a_float_mask_is_stretched_only_when_the_step_asks(tmp_path, mask255):
    mask = read_mask(mask255, float_range="stretch")
    assert mask.max() == 1 and mask.min() == 0 and (mask == 1).sum() == 8
    assert mask[0, 0] == pytest.approx(0.5 / 255)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - op: load_mask\n    path: mask.tif\n"
                      "    float_range: stretch\n  - op: save\n    path: out.png\n")
    assert main(["run", str(recipe)]) == 0
    assert (read_image(tmp_path / "out.png")[..., 0] > 0.5).sum() == 8


def test_hdr_values_are_refused_or_mapped_never_lost_silently(tmp_path):
    hdr = np.linspace(0, 7.5, 4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)
    tifffile.imwrite(tmp_path / "hdr.tif", hdr, photometric="rgb")
    with pytest.raises(ParameterError, match=r"range over \[0, 7.5\]") as info:
        probe_image(tmp_path / "hdr.tif")
    assert info.value.field == "path"
    stretched = read_image(tmp_path / "hdr.tif", float_range="stretch")
    np.testing.assert_allclose(stretched, hdr / 7.5, atol=1e-6)
    clipped = read_image(tmp_path / "hdr.tif", float_range="clip")
    assert clipped.max() == 1 and np.array_equal(clipped[hdr <= 1], hdr[hdr <= 1])


def test_negative_signed_samples_are_refused_not_clipped(tmp_path):
    tifffile.imwrite(tmp_path / "s.tif", np.array([[-32767, 0], [16384, 32767]], np.int16))
    with pytest.raises(ParameterError, match=r"range over \[-1, 1\]"):
        read_image(tmp_path / "s.tif")
    out = read_image(tmp_path / "s.tif", float_range="stretch")[..., 0]
    np.testing.assert_allclose(out, [[0, 0.5], [0.75, 1]], atol=1e-4)


def test_in_range_floats_and_a_constant_image_to_stretch(tmp_path):
    tifffile.imwrite(tmp_path / "ok.tif", np.array([[0, 0.25], [0.5, 1]], np.float32))
    assert read_image(tmp_path / "ok.tif")[1, 1, 0] == 1
    tifffile.imwrite(tmp_path / "flat.tif", np.full((2, 2), 3.0, np.float32))
    with pytest.raises(ParameterError, match="no range to stretch") as info:
        read_image(tmp_path / "flat.tif", float_range="stretch")
    assert info.value.field == "float_range"
    with pytest.raises(ParameterError, match="not one of"):
        read_image(tmp_path / "ok.tif", float_range="wrap")
