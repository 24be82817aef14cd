import numpy as np
import pytest


from imgfusion.errors import ParameterError
from imgfusion.gradient.reconstruct import gradient_reconstruct


@pytest.mark.parametrize("solver", ["direct", "cg", "multigrid", "auto"])
@pytest.mark.parametrize("channels", [1, 3])
def test_reconstruction_is_exact(smooth_image, solver, channels):
    img = smooth_image((30, 27), channels=channels, seed=11, low=0.0, high=1.0)
    out, info = gradient_reconstruct(img, anchor=(4, 9), solver=solver)
    assert out.dtype == np.float32 and out.shape == img.shape
    assert np.abs(out - img).max() < 1e-6
    assert info["residual"] < 1e-6 and info["unknowns"] == 30 * 27


def test_anchor_value_shifts_by_a_constant(smooth_image):
    img = smooth_image((12, 10), seed=12, low=0.3, high=0.6)
    out = gradient_reconstruct(img, anchor=(2, 3), anchor_value=0.5).image
    np.testing.assert_allclose(out, img - img[2, 3] + 0.5, atol=1e-6)


def test_grey_2d_and_rgba_keep_their_layout(smooth_image):
    img = smooth_image((10, 11), channels=4, seed=13, low=0.15, high=0.85)
    out = gradient_reconstruct(img).image
    np.testing.assert_array_equal(out[:, :, 3], img[:, :, 3])
    assert np.abs(out - img).max() < 1e-6
    assert gradient_reconstruct(img[:, :, 0]).image.shape == (10, 11)


@pytest.mark.parametrize("kwargs, field", [
    (dict(anchor=(10, 0)), "anchor"),
    (dict(anchor=(0, -1)), "anchor"),
    (dict(anchor=5), "anchor"),
    (dict(anchor_value=float("nan")), "anchor_value"),
    (dict(solver="fft"), "solver"),
    (dict(tol=0.0), "tol"),
])
def test_bad_input_names_the_parameter(smooth_image, kwargs, field):
    with pytest.raises(ParameterError) as err:
        gradient_reconstruct(smooth_image((10, 11), low=0.15, high=0.85), **kwargs).image
    assert err.value.field == field
