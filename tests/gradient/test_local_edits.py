import numpy as np
import pytest


from imgfusion.errors import ParameterError
from imgfusion.gradient.local_edits import color_change, illumination_change, texture_flatten


def box_mask(h, w, margin=4):
    mask = np.zeros((h, w), bool)
    mask[margin:-margin, margin:-margin] = True
    return mask


def step_with_texture(h=32, w=32):
    rng = np.random.default_rng(0)
    img = np.where(np.arange(w) < w // 2, 0.3, 0.7)[None, :, None] * np.ones((h, 1, 3))
    return (img + 0.04 * rng.standard_normal((h, w, 3))).astype(np.float32)


def test_texture_flatten_keeps_edges_and_removes_texture():
    img = step_with_texture()
    mask = box_mask(32, 32)
    out = texture_flatten(img, mask, low_threshold=0.1, high_threshold=0.2, sigma=2.0).image
    np.testing.assert_array_equal(out[~mask], img[~mask])
    left, right = out[8:24, 6:12], out[8:24, 20:26]
    assert left.std() < 0.3 * img[8:24, 6:12].std()  # texture washed out
    assert right.mean() - left.mean() > 0.3  # the step survives


def test_texture_flatten_without_edges_is_a_membrane():
    img = step_with_texture()
    mask = box_mask(32, 32)
    out = texture_flatten(img, mask, low_threshold=50, high_threshold=60).image.astype(float)
    lap = (4 * out[1:-1, 1:-1] - out[:-2, 1:-1] - out[2:, 1:-1] - out[1:-1, :-2]
           - out[1:-1, 2:])
    assert np.abs(lap[mask[1:-1, 1:-1]]).max() < 1e-5  # discrete harmonic inside


def test_illumination_change_with_beta_zero_is_the_identity(smooth_image):
    img = smooth_image((20, 22), seed=14, low=0.15, high=0.85)
    assert np.abs(illumination_change(img, box_mask(20, 22), beta=0.0).image - img).max() < 1e-6


def test_illumination_change_compresses_large_log_gradients(smooth_image):
    img = smooth_image((24, 24), seed=15, low=0.05, high=0.95)
    img[10:14, 10:14] = 1.0  # a highlight
    mask = box_mask(24, 24, 3)
    out = illumination_change(img, mask, beta=0.5).image
    np.testing.assert_array_equal(out[~mask], img[~mask])

    def peak(im):
        logs = np.log(im.astype(float) + 1e-3)
        return np.abs(np.diff(logs[5:19, 5:19], axis=1)).max()

    assert peak(out) < 0.8 * peak(img)


def test_color_change_scales_only_the_chosen_channel(smooth_image):
    img = smooth_image((20, 22), seed=16, low=0.15, high=0.85)
    mask = box_mask(20, 22)
    out = color_change(img, mask, multipliers=(1.5, 1.0, 1.0)).image
    assert np.abs(out[:, :, 1:] - img[:, :, 1:]).max() < 1e-6
    inside = np.diff(out[:, :, 0].astype(float), axis=1)[mask[:, 1:] & mask[:, :-1]]
    before = np.diff(img[:, :, 0].astype(float), axis=1)[mask[:, 1:] & mask[:, :-1]]
    assert inside.std() > 1.2 * before.std()
    assert np.abs(color_change(img, mask, multipliers=(1, 1, 1)).image - img).max() < 1e-6


def test_decolorize_background_turns_the_outside_grey(smooth_image):
    img = smooth_image((20, 22), seed=17, low=0.15, high=0.85)
    mask = box_mask(20, 22)
    out = color_change(img, mask, multipliers=(1, 1, 1), decolorize_background=True).image
    outside = out[~mask]
    np.testing.assert_allclose(outside, np.repeat(outside[:, :1], 3, axis=1), atol=1e-7)
    inside = out[mask]
    assert np.abs(inside[:, 0] - inside[:, 2]).mean() > 0.05  # the object keeps colour


@pytest.mark.parametrize("call, field", [
    (lambda im, m: color_change(im[:, :, :1], m).image, "image"),
    (lambda im, m: color_change(im, m, multipliers=(1, 0, 1)).image, "multipliers"),
    (lambda im, m: color_change(im, m, multipliers=(1, 1)).image, "multipliers"),
    (lambda im, m: texture_flatten(im, m, low_threshold=0.3, high_threshold=0.2).image,
     "low_threshold"),
    (lambda im, m: texture_flatten(im, m, sigma=-1).image, "sigma"),
    (lambda im, m: illumination_change(im, m, beta=1.0).image, "beta"),
    (lambda im, m: illumination_change(im, m, alpha=0).image, "alpha"),
    (lambda im, m: illumination_change(im, m[:5]).image, "mask"),
    (lambda im, m: texture_flatten(im, np.zeros_like(m)).image, "mask"),
])
def test_bad_input_names_the_parameter(smooth_image, call, field):
    img = smooth_image((12, 12), seed=18, low=0.15, high=0.85)
    with pytest.raises(ParameterError) as err:
        call(img, box_mask(12, 12, 3))
    assert err.value.field == field


def test_alpha_is_kept_and_inputs_untouched(smooth_image):
    img = smooth_image((12, 12), channels=4, seed=19, low=0.15, high=0.85)
    mask = box_mask(12, 12, 3)
    before = img.copy(), mask.copy()
    for edit in (texture_flatten, illumination_change, color_change):
        out = edit(img, mask).image
        np.testing.assert_array_equal(out[:, :, 3], img[:, :, 3])
    np.testing.assert_array_equal(before[0], img)
    np.testing.assert_array_equal(before[1], mask)
