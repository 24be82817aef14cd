"""resize, crop, place."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.layout.geometry import crop, place, repeat, resize

RNG = np.random.default_rng(11)


def img(rows, cols, c=3):
    return RNG.random((rows, cols, c)).astype(np.float32)


@pytest.mark.parametrize("kwargs, shape", [
    ({"size": (10, 7)}, (10, 7)),
    ({"scale": 0.5}, (20, 30)),
    ({"scale": 2.0}, (80, 120)),
    ({"longest": 30}, (20, 30)),
])
def test_resize_shapes(kwargs, shape):
    out = resize(img(40, 60), **kwargs)
    assert out.shape == shape + (3,) and out.dtype == np.float32


def test_resize_is_anti_aliased_and_keeps_constants():
    checker = (np.indices((64, 64)).sum(0) % 2).astype(np.float32)[..., None]
    small = resize(checker, size=(16, 16))
    assert np.abs(small - 0.5).max() < 0.05   # aliasing would give 0s and 1s
    flat = np.full((30, 20, 4), 0.25, np.float32)
    np.testing.assert_allclose(resize(flat, scale=0.3), 0.25, atol=1e-6)


def test_resize_masks_and_input_untouched():
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    out = resize(mask, size=(10, 10))
    assert out.dtype == bool and out[3:7, 3:7].all() and not out[:2].any()
    soft = resize(mask.astype(np.float32), scale=2)
    assert soft.shape == (40, 40)
    before = mask.copy()
    resize(mask, scale=3)
    np.testing.assert_array_equal(mask, before)


@pytest.mark.parametrize("kwargs, field", [
    ({}, "size"),
    ({"size": (4, 4), "scale": 2.0}, "scale"),
    ({"scale": 0.0}, "scale"),
    ({"longest": 0}, "longest"),
    ({"size": (0, 3)}, "size"),
])
def test_resize_bad_parameters(kwargs, field):
    with pytest.raises(ParameterError) as err:
        resize(img(5, 5), **kwargs)
    assert err.value.field == field


def test_crop_exact_and_bounds():
    image = img(10, 12)
    out = crop(image, origin=(2, 3), size=(4, 5))
    np.testing.assert_array_equal(out, image[2:6, 3:8])
    out[:] = 0
    assert image[2, 3, 0] != 0 or image[2, 3, 1] != 0   # a copy, not a view
    assert crop(image, origin=(0, 0), size=(10, 12)).shape == image.shape
    for origin, size, field in [((-1, 0), (2, 2), "origin"), ((10, 0), (1, 1), "origin"),
                                ((8, 0), (3, 2), "size"), ((0, 11), (1, 2), "size"),
                                ((0, 0), (0, 2), "size")]:
        with pytest.raises(ParameterError) as err:
            crop(image, origin=origin, size=size)
        assert err.value.field == field


def test_place_clips_at_borders_and_keeps_uncovered_pixels():
    onto, patch = img(10, 10), img(4, 5)
    for offset in [(-2, -3), (8, 7), (3, 3), (-1, 8)]:
        out = place(patch, onto, offset=offset)
        r, c = offset
        covered = np.zeros((10, 10), bool)
        covered[max(r, 0):r + 4, max(c, 0):c + 5] = True
        np.testing.assert_array_equal(out[~covered], onto[~covered])
        rows, cols = np.nonzero(covered)
        np.testing.assert_array_equal(out[rows, cols], patch[rows - r, cols - c])


def test_place_with_mask_and_alpha():
    onto, patch = img(6, 6), img(2, 2)
    mask = np.array([[1.0, 0.0], [0.5, 1.0]], np.float32)
    out = place(patch, onto, offset=(1, 1), mask=mask)
    np.testing.assert_array_equal(out[1, 2], onto[1, 2])            # mask 0: unchanged
    np.testing.assert_allclose(out[1, 1], patch[0, 0], atol=1e-6)   # mask 1: the patch
    np.testing.assert_allclose(out[2, 1], 0.5 * patch[1, 0] + 0.5 * onto[2, 1], atol=1e-6)
    rgba = np.concatenate([patch, mask[..., None]], axis=2)
    np.testing.assert_allclose(place(rgba, onto, offset=(1, 1)), out, atol=1e-6)


def test_place_channel_rules_and_errors():
    grey_onto = img(4, 4, 1)
    out = place(img(2, 2, 3), grey_onto, offset=(0, 0))
    assert out.shape == (4, 4, 3)
    np.testing.assert_array_equal(out[3, 3], np.repeat(grey_onto[3, 3], 3))
    with pytest.raises(ParameterError) as err:
        place(img(2, 2), img(4, 4), offset=(4, 0))
    assert err.value.field == "offset"
    with pytest.raises(ParameterError) as err:
        place(img(2, 2), img(4, 4), offset=(-2, 0))
    assert err.value.field == "offset"
    with pytest.raises(ParameterError, match="rows x cols") as err:
        place(img(2, 2), img(4, 4), mask=np.ones((3, 2)))
    assert err.value.field == "mask"


def test_repeat_lays_exact_copies_for_images_and_masks():
    image = img(3, 4)
    out = repeat(image, grid=(2, 3))
    assert out.shape == (6, 12, image.shape[2])
    for r in range(2):
        for c in range(3):
            np.testing.assert_array_equal(out[3 * r:3 * r + 3, 4 * c:4 * c + 4], image)
    mask = np.eye(3, dtype=bool)
    assert repeat(mask, grid=(1, 2)).shape == (3, 6)
    with pytest.raises(ParameterError, match="grid"):
        repeat(image, grid=(0, 2))


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_a_cutouts_transparent_colour_does_not_darken_its_edge(scale):
    # a white square on transparent black: scaled, its edge stays white (no dark halo)
    rgba = np.zeros((40, 40, 4), np.float32)
    rgba[10:30, 10:30] = 1
    out = resize(rgba, scale=scale)
    assert out[..., :3][out[..., 3] > 0] == pytest.approx(1.0) and out[..., 3].max() == 1
    pasted = place(rgba, np.ones((60, 60, 3), np.float32), at=(30, 30), scale=scale)
    assert pasted.min() == pytest.approx(1.0)
    opaque = np.random.default_rng(0).random((9, 9, 4)).astype(np.float32)
    opaque[..., 3] = 1   # nothing transparent: resampled as any image
    np.testing.assert_array_equal(resize(opaque, scale=scale)[..., :3],
                                  resize(opaque[..., :3], scale=scale))
