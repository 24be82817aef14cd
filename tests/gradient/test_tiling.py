import numpy as np
import pytest


from imgfusion.errors import ParameterError
from imgfusion.gradient.tiling import seamless_tile


@pytest.mark.parametrize("solver", ["direct", "fft"])
def test_opposite_borders_match(smooth_image, solver):
    img = smooth_image((18, 21), seed=20, low=0.3, high=0.7)
    out = seamless_tile(img, solver=solver).image
    np.testing.assert_array_equal(out[0], out[-1])
    np.testing.assert_array_equal(out[:, 0], out[:, -1])
    np.testing.assert_allclose(out[0, 1:-1], (img[0, 1:-1] + img[-1, 1:-1]) / 2, atol=1e-7)


def test_an_image_that_already_tiles_is_unchanged(smooth_image):
    img = smooth_image((16, 16), seed=21, low=0.3, high=0.7)
    img[0, :] = img[-1, :] = img[:, 0] = img[:, -1] = 0.5
    assert np.abs(seamless_tile(img).image - img).max() < 1e-6


def test_interior_keeps_the_image_gradients(smooth_image):
    img = smooth_image((16, 16), seed=22, low=0.3, high=0.7)
    out = seamless_tile(img).image.astype(float)
    lap = lambda a: (4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1]  # noqa: E731
                     - a[1:-1, :-2] - a[1:-1, 2:])
    assert np.abs(lap(out) - lap(img.astype(float))).max() < 1e-5


def test_too_small_images_are_refused():
    with pytest.raises(ParameterError) as err:
        seamless_tile(np.zeros((2, 5, 3), np.float32)).image
    assert err.value.field == "image"


def test_size_rules_are_refused_at_validation_where_the_size_is_known(tmp_path):
    """A 2-row image for seamless_tile, an anchor outside for gradient_reconstruct: exit
    2 before the earlier steps run, not a failure at that step."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    steps = [{"id": "c", "op": "load", "path": "sample:coffee"},
             {"id": "small", "op": "resize", "image": "$c", "size": [2, 40]},
             {"id": "t", "op": "seamless_tile", "image": "$small"},
             {"id": "g", "op": "gradient_reconstruct", "image": "$small", "anchor": [5, 0]},
             {"id": "ok", "op": "gradient_reconstruct", "image": "$small", "anchor": [1, 39]}]
    with pytest.raises(RecipeError) as err:
        load_recipe({"imgfusion": 1, "steps": steps}, out_dir=tmp_path)
    assert [(p.step, p.field) for p in err.value.problems] == [("t", "image"), ("g", "anchor")]
    assert "got 2 x 40" in err.value.problems[0].message
