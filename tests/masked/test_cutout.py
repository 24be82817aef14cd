import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.gradient.blending import poisson_blend
from imgfusion.checks import bounding_box as region_box
from imgfusion.masked.cutout import stylize_and_blend
from imgfusion.style.transfer import neural_style
from masked_helpers import FAST

pytestmark = pytest.mark.filterwarnings("ignore::imgfusion.style.weights.RandomWeightsWarning")


@pytest.fixture(scope="module")
def source(smooth_image):
    return smooth_image((40, 44), 3)


@pytest.fixture(scope="module")
def target(smooth_image):
    return smooth_image((56, 60), 4)


@pytest.fixture(scope="module")
def style(smooth_image):
    return smooth_image((32, 32), 5)


@pytest.fixture(scope="module")
def ellipse():
    rows, cols = np.mgrid[0:40, 0:44]
    return ((rows - 21) / 12.0) ** 2 + ((cols - 20) / 14.0) ** 2 <= 1


def _in_target(mask, offset, shape):
    out = np.zeros(shape, bool)
    r, c = offset
    out[r:r + mask.shape[0], c:c + mask.shape[1]] = mask
    return out


@pytest.mark.parametrize("blend", ["poisson", "mixed"])
def test_photo_unchanged_outside_the_region_and_equal_to_it_on_the_boundary(
        source, target, style, ellipse, blend):
    offset = (6, 9)
    before = target.copy()
    result = stylize_and_blend(source, target, ellipse, style, offset=offset, blend=blend,
                               margin=4, **FAST)
    out = result.image
    assert out.shape == target.shape and out.dtype == np.float32
    region = _in_target(ellipse, offset, target.shape[:2])
    top, left, bottom, right = region_box(region)
    outside_box = np.ones(region.shape, bool)
    outside_box[top:bottom, left:right] = False
    assert np.array_equal(out[outside_box], target[outside_box])
    # the region's boundary: pixels outside it with a 4-neighbour inside (Dirichlet values)
    grown = region.copy()
    grown[1:] |= region[:-1]
    grown[:-1] |= region[1:]
    grown[:, 1:] |= region[:, :-1]
    grown[:, :-1] |= region[:, 1:]
    boundary = grown & ~region
    assert boundary.sum() > 0
    assert np.array_equal(out[boundary], target[boundary])
    assert np.abs(out[region] - target[region]).mean() > 1e-3
    assert result.info["residual"] < 1e-6
    assert len(result.loss_history) == FAST["iterations"]
    assert np.array_equal(target, before)


def test_is_crop_then_neural_style_then_blend(source, target, style, ellipse):
    """One code path: the same as cropping the box plus margin, stylising it, blending it."""
    offset, margin = (6, 9), 4
    got = stylize_and_blend(source, target, ellipse, style, offset=offset, margin=margin,
                            blend="poisson", **FAST).image
    top, left, bottom, right = region_box(ellipse)
    t, lft = top - margin, left - margin
    piece = source[t:bottom + margin, lft:right + margin]
    styled = neural_style(piece, style, size=None, **FAST).image
    want = poisson_blend(styled, target, ellipse[t:bottom + margin, lft:right + margin],
                         offset=(offset[0] + t, offset[1] + lft)).image
    assert np.array_equal(got, want)


def test_margin_is_clipped_at_the_source_border(source, target, style):
    mask = np.zeros(source.shape[:2], bool)
    mask[:20, 30:] = True  # touches the top and right borders
    out = stylize_and_blend(source, target, mask, style, offset=(0, 10), margin=8,
                            blend="mixed", **FAST).image
    region = _in_target(mask, (0, 10), target.shape[:2])
    assert np.array_equal(out[~region], target[~region])


@pytest.mark.parametrize("offset, message", [
    ((30, 0), "rows 39..63"),      # partly below the photo
    ((0, -10), "cols -4..24"),     # partly left of it
    ((100, 100), "outside the 56 x 60 photo"),
])
def test_cutout_landing_outside_the_photo_is_refused(source, target, style, ellipse, offset,
                                                     message):
    with pytest.raises(ParameterError, match=message) as err:
        stylize_and_blend(source, target, ellipse, style, offset=offset, **FAST)
    assert err.value.field == "offset"


@pytest.mark.parametrize("change, field", [
    ({"mask": np.zeros((40, 44), bool)}, "mask"),
    ({"mask": np.ones((30, 44), bool)}, "mask"),
    ({"blend": "average"}, "blend"),
    ({"margin": -1}, "margin"),
    ({"source": np.zeros((40, 44))}, "source"),
    ({"pyramid": [[16, 2]]}, "pyramid"),
])
def test_bad_input_names_the_field(source, target, style, ellipse, change, field):
    args = dict(source=source, target=target, mask=ellipse, style=style, offset=(6, 9))
    args.update(change)
    with pytest.raises(ParameterError) as err:
        stylize_and_blend(**args, **FAST)
    assert err.value.field == field


@pytest.mark.parametrize("grey_source, field", [(False, "source"), (True, "style")])
def test_colour_onto_a_grey_target_is_refused_before_stylising(source, target, style, ellipse,
                                                               monkeypatch, grey_source, field):
    """The blend refused the colour piece only after the whole style run (27 s in the
    review's recipe)."""
    import imgfusion.masked.cutout as cutout

    def no_style(*args, **kwargs):
        raise AssertionError("stylised before the channels were checked")

    monkeypatch.setattr(cutout, "stylise", no_style)
    grey = source.mean(axis=2, keepdims=True)
    with pytest.raises(ParameterError) as err:
        stylize_and_blend(np.repeat(grey, 3, 2) if grey_source else source,
                          target.mean(axis=2, keepdims=True), ellipse, style,
                          offset=(6, 9), **FAST)
    assert err.value.field == field and "grey" in err.value.message
    if grey_source:   # colour options that keep the grey source's colours: a grey piece
        from imgfusion.style.options import StyleColor

        for color in (StyleColor(original_colors=True), StyleColor(color_control="luminance")):
            with pytest.raises(AssertionError, match="stylised before"):
                stylize_and_blend(np.repeat(grey, 3, 2), target.mean(axis=2, keepdims=True),
                                  ellipse, style, offset=(6, 9), color=color, **FAST)
        with pytest.raises(ParameterError, match="style image is in colour"):   # histogram
            stylize_and_blend(np.repeat(grey, 3, 2), target.mean(axis=2, keepdims=True),
                              ellipse, style, offset=(6, 9), **FAST,
                              color=StyleColor(color_control="histogram"))
