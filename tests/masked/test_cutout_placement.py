"""stylize_and_blend by anchor, with the colour-keeping blend chosen by default and the
stylised piece as an output."""
import numpy as np
import pytest

from imgfusion.gradient.color_keeping import banded_blend
from imgfusion.masked.cutout import stylize_and_blend
from masked_helpers import FAST

pytestmark = pytest.mark.filterwarnings("ignore::imgfusion.style.weights.RandomWeightsWarning")


@pytest.fixture(scope="module")
def pictures(smooth_image):
    source = smooth_image((40, 44), 3)
    target = smooth_image((64, 70), 4, low=0.6, high=0.9)
    rows, cols = np.mgrid[0:40, 0:44]
    ellipse = ((rows - 21) / 12.0) ** 2 + ((cols - 20) / 14.0) ** 2 <= 1
    return source, target, ellipse, smooth_image((32, 32), 5)


def test_anchor_places_the_piece_and_the_piece_blends_again(pictures):
    source, target, mask, style = pictures
    out = stylize_and_blend(source, target, mask, style, at=(0.5, 0.5), units="fraction",
                            margin=3, blend="keep_colors", **FAST)
    assert out.piece.shape[:2] == out.piece_mask.shape == (25 + 6, 29 + 6)
    changed = np.argwhere(np.any(out.image != target, axis=2))
    centre = changed.mean(0)
    assert np.all(np.abs(centre - (31.5, 34.5)) <= 1.0)     # the mask's centre on the middle
    offset = tuple(int(v) for v in changed.min(0) - np.argwhere(out.piece_mask).min(0))
    again = banded_blend(out.piece, target, out.piece_mask, offset, 6, ("auto", 1e-8))
    np.testing.assert_array_equal(again.image, out.image)


def test_auto_chooses_by_the_measures_and_says_so(pictures):
    source, target, mask, style = pictures
    out = stylize_and_blend(source, target, mask, style, at=(32, 35), margin=3, **FAST)
    scores = out.info["scores"]
    keeps = (scores["keep_colors"]["colour_distance"] < scores["poisson"]["colour_distance"]
             and scores["keep_colors"]["seam_visibility"] < scores["alpha"]["seam_visibility"])
    assert out.info["blend"] == ("keep_colors" if keeps else "poisson")
    assert keeps     # a piece whose colours differ from the photo's: kept


def test_landing_outside_names_at(pictures):
    source, target, mask, style = pictures
    with pytest.raises(Exception) as err:
        stylize_and_blend(source, target, mask, style, at=(0, 0), **FAST)
    assert getattr(err.value, "field", None) == "at"
