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
