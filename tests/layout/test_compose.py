"""composite and to_gray."""
import numpy as np
import pytest
from skimage.color import rgb2gray

from imgfusion.layout.compose import composite, to_gray
from imgfusion.errors import ParameterError

RNG = np.random.default_rng(5)


def img(c=3, shape=(6, 7)):
    return RNG.random(shape + (c,)).astype(np.float32)


def test_composite_outside_mask_is_background_inside_is_foreground():
    fg, bg = img(), img()
    mask = np.zeros((6, 7), np.float32)
    mask[2:4, 1:5] = 1.0
    mask[0, 0] = 0.25
    before = fg.copy(), bg.copy(), mask.copy()
    out = composite(fg, bg, mask)
    outside = mask == 0
    np.testing.assert_array_equal(out[outside], bg[outside])
    np.testing.assert_allclose(out[2:4, 1:5], fg[2:4, 1:5], atol=1e-6)
    np.testing.assert_allclose(out[0, 0], 0.25 * fg[0, 0] + 0.75 * bg[0, 0], atol=1e-6)
    for a, b in zip(before, (fg, bg, mask)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(composite(fg, bg, mask > 0.5)[outside], bg[outside])


def test_composite_uses_foreground_alpha_without_mask():
    fg = img(4)
    bg = img(3)
    out = composite(fg, bg)
    a = fg[..., 3:]
    np.testing.assert_allclose(out, a * fg[..., :3] + (1 - a) * bg, atol=1e-6)
    assert out.shape == (6, 7, 3)


def test_composite_over_transparent_background():
    fg, bg = img(3), img(4)
    bg[..., 3] = 0.0
    mask = np.full((6, 7), 0.4, np.float32)
    out = composite(fg, bg, mask)
    assert out.shape == (6, 7, 4)
    np.testing.assert_allclose(out[..., :3], fg, atol=1e-6)   # nothing behind: pure foreground
    np.testing.assert_allclose(out[..., 3], 0.4, atol=1e-6)
    bg[..., 3] = 0.5
    out = composite(fg, bg, mask)
    np.testing.assert_allclose(out[..., 3], 0.4 + 0.5 * 0.6, atol=1e-6)


def test_composite_grey_and_colour_mix():
    out = composite(img(1), img(3), np.ones((6, 7)))
    assert out.shape == (6, 7, 3)
    assert np.allclose(out[..., 0], out[..., 1])


@pytest.mark.parametrize("args, field", [
    ((img(), img(), np.ones((6, 6))), "mask"),
    ((img(), img(shape=(6, 8)), np.ones((6, 7))), "foreground"),
    ((img(), img(), None), "mask"),
    ((img(2), img(), np.ones((6, 7))), "foreground"),
    ((img(), img(), np.full((6, 7), np.nan)), "mask"),
])
def test_composite_bad_input(args, field):
    with pytest.raises(ParameterError) as err:
        composite(*args)
    assert err.value.field == field


def test_to_gray():
    rgb = img(3)
    grey = to_gray(rgb)
    assert grey.shape == (6, 7, 1) and grey.dtype == np.float32
    np.testing.assert_allclose(grey[..., 0], rgb2gray(rgb), atol=1e-6)
    rgba = img(4)
    out = to_gray(rgba)
    assert out.shape == (6, 7, 4)
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    g = img(1)
    np.testing.assert_array_equal(to_gray(g), g)


def test_an_h_w_1_mask_is_read_as_h_w():
    """The one mask policy (imgfusion.checks): H x W x 1 is the same mask as H x W."""
    fg, bg = img(), img()
    mask = np.linspace(0, 1, 42, dtype=np.float32).reshape(6, 7)
    assert np.array_equal(composite(fg, bg, mask[:, :, None]), composite(fg, bg, mask))


@pytest.mark.parametrize("field, value", [("scale", 0.5), ("fit", [4, 4])])
def test_scale_or_fit_without_at_is_refused_at_validation(tmp_path, field, value):
    """composite has no offset: the resized foreground went to the top-left corner."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    steps = [{"id": "bg", "op": "load", "path": "sample:coffee"},
             {"id": "fg", "op": "resize", "image": "$bg", "longest": 40},
             {"id": "c", "op": "composite", "foreground": "$fg", "background": "$bg",
              field: value},
             {"op": "save", "image": "$c", "path": "c.png"}]
    with pytest.raises(RecipeError) as err:
        load_recipe({"imgfusion": 1, "steps": steps}, out_dir=tmp_path)
    assert [(p.step, p.field) for p in err.value.problems] == [("c", field)]
    assert "without at" in err.value.problems[0].message
    steps[2]["at"] = [0.5, 0.5]
    steps[2]["units"] = "fraction"
    assert load_recipe({"imgfusion": 1, "steps": steps}, out_dir=tmp_path)
