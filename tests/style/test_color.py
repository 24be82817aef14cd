import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.style import color


@pytest.mark.parametrize("mode", ["chol", "pca", "sym"])
def test_match_color_gives_the_content_mean_and_covariance(mode, smooth_image):
    style = smooth_image((40, 40), 5) * 0.5 + 0.25
    content = smooth_image((30, 50), 6) * 0.6 + 0.2
    before = style.copy()
    out = color.match_color(style, content, mode, eps=0.0, clip=False).reshape(-1, 3)
    c = content.reshape(-1, 3)
    assert np.allclose(out.mean(0), c.mean(0), atol=1e-5)
    assert np.allclose(np.cov(out, rowvar=False), np.cov(c, rowvar=False), atol=1e-5)
    assert np.array_equal(style, before)


def test_match_color_modes_differ_and_bad_mode_is_named(smooth_image):
    style, content = smooth_image((20, 20), 7), smooth_image((20, 20), 8)
    outs = {m: color.match_color(style, content, m, clip=False) for m in color.HISTOGRAM_MODES}
    assert not np.allclose(outs["chol"], outs["pca"], atol=1e-3)
    with pytest.raises(ParameterError) as err:
        color.match_color(style, content, "lab")
    assert err.value.field == "histogram_mode"


def test_combine_luminance_keeps_chroma_exactly_and_stays_in_range(smooth_image):
    content = smooth_image((24, 24), 9)
    y = np.random.default_rng(0).uniform(-0.5, 1.5, (24, 24))  # wild luminance
    out = color.combine_luminance(y, content)
    assert out.min() >= 0 and out.max() <= 1
    assert np.allclose(color.rgb_to_yiq(out)[..., 1:], color.rgb_to_yiq(content)[..., 1:],
                       atol=1e-6)
    y_ok = color.luminance(content)
    assert np.allclose(color.combine_luminance(y_ok, content), content, atol=1e-6)


def test_original_colors_takes_luminance_from_output(smooth_image):
    content, output = smooth_image((16, 16), 10), smooth_image((16, 16), 11)
    out = color.original_colors(output, content)
    inside = color.luminance(out)
    lo, hi = color.gamut_limits(color.rgb_to_yiq(content)[..., 1:])
    target = np.clip(color.luminance(output), lo, hi)
    assert np.allclose(inside, target, atol=1e-5)


def test_match_luminance_moments():
    s, c = np.linspace(0, 1, 100), np.linspace(0.3, 0.6, 100)
    m = color.match_luminance(s, c)
    assert np.isclose(m.mean(), c.mean()) and np.isclose(m.std(), c.std())
