import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.masked.region_masks import check_disjoint, feathered
from imgfusion.masked.spatial_style import masked_style
from imgfusion.style.encoder import VGGEncoder
from imgfusion.style.guided import region_guides
from imgfusion.style.options import StyleLosses, StyleSchedule
from imgfusion.style.pipeline import StyleInputs, StyleSettings
from imgfusion.style.transfer import neural_style, stylise
from imgfusion.style.weights import random_features
from masked_helpers import FAST, box_mask

pytestmark = pytest.mark.filterwarnings("ignore::imgfusion.style.weights.RandomWeightsWarning")

SHAPE = (32, 40)


@pytest.fixture(scope="module")
def content(smooth_image):
    return smooth_image(SHAPE, 1)


@pytest.fixture(scope="module")
def style(smooth_image):
    rng = np.random.default_rng(2)
    return np.clip(smooth_image((36, 36), 2) + 0.3 * rng.standard_normal((36, 36, 3)), 0, 1) \
        .astype(np.float32)


@pytest.mark.parametrize("feather", [0.0, 3.0])
def test_composite_leaves_pixels_outside_the_mask_exactly_unchanged(content, style, feather):
    mask = box_mask(SHAPE, 8, 10, 24, 30)
    before = content.copy()
    out = masked_style(content, style, mask, method="composite", feather=feather, **FAST).image
    assert out.shape == content.shape and out.dtype == np.float32
    assert np.array_equal(out[~mask], content[~mask])
    assert np.abs(out[mask] - content[mask]).mean() > 1e-3  # something was stylised inside
    assert np.array_equal(content, before)  # the caller's array is not modified


def test_composite_inside_is_the_whole_frame_stylisation(content, style):
    mask = box_mask(SHAPE, 8, 10, 24, 30)
    whole = neural_style(content, style, size=None, **FAST).image
    out = masked_style(content, style, mask, **FAST).image
    assert np.allclose(out[mask], whole[mask], atol=1e-6)


def test_composite_keeps_the_contents_alpha(content, style):
    alpha = np.linspace(0, 1, SHAPE[1], dtype=np.float32)[None, :].repeat(SHAPE[0], 0)
    rgba = np.concatenate([content, alpha[..., None]], axis=2)
    mask = box_mask(SHAPE, 8, 10, 24, 30)
    out = masked_style(rgba, style, mask, **FAST).image
    assert out.shape == rgba.shape
    assert np.array_equal(out[..., 3], alpha)
    assert np.array_equal(out[~mask], rgba[~mask])


def test_size_resizes_content_and_mask_together(content, style):
    mask = box_mask(SHAPE, 8, 10, 24, 30)
    out = masked_style(content, style, mask, size=20, **FAST).image
    assert out.shape == (16, 20, 3)


def test_guided_with_an_all_ones_guide_gives_the_plain_losses(content, style):
    # style_grid 1: the guided losses are Gatys et al.'s one Gram per region
    plain = neural_style(content, style, size=None, style_grid=1, **FAST).loss_history
    ones = np.ones(SHAPE, bool)
    guided = masked_style(content, style, ones, method="guided", **FAST).loss_history
    assert len(plain) == len(guided) == FAST["iterations"]
    for p, g in zip(plain, guided):
        for key in ("content", "style", "total"):
            assert g[key] == pytest.approx(p[key], rel=1e-5)


def test_guided_style_loss_does_not_reach_pixels_far_outside_the_mask(style):
    """Gram matrices of guided features: with relu1_1 alone (3 x 3 receptive field),
    pixels more than one column from the region get no style gradient at all."""
    encoder = VGGEncoder(random_features(0, 2), ["relu1_1"])
    mask = box_mask(SHAPE, 0, 0, SHAPE[0], 16)
    regions = region_guides(mask, None, SHAPE, [style.shape[:2]], "simple", 0)
    with torch.no_grad():
        feats = [encoder(torch.from_numpy(style).permute(2, 0, 1)[None])]
    loss = regions.loss(feats, SHAPE, 1.0, {"relu1_1": 1.0}, "cpu")
    x = torch.rand(1, 3, *SHAPE, requires_grad=True)
    loss(encoder(x)).backward()
    grad = x.grad[0].abs().sum(0)
    assert grad[:, :16].sum() > 0
    assert torch.all(grad[:, 18:] == 0)


@pytest.mark.parametrize("mode", ["simple", "all", "inside"])
def test_region_guides_partition_every_layer_as_their_mode_says(mode):
    """Two complementary regions (an ellipse and the rest), carried to every relu layer:
    simple sums to one everywhere; all covers every neuron (borders in both); inside
    never gives a neuron to both regions."""
    rows, cols = np.mgrid[0:64, 0:64]
    ellipse = ((rows - 30) / 20.0) ** 2 + ((cols - 36) / 14.0) ** 2 <= 1
    layers = [f"relu{b}_1" for b in range(1, 6)] + ["relu3_4", "relu4_2"]
    encoder = VGGEncoder(random_features(0, 30), layers)
    style = torch.rand(1, 3, 48, 48)
    regions = region_guides([ellipse, ~ellipse], None, (64, 64), [(48, 48)] * 2, mode, 0)
    with torch.no_grad():
        sfeats = encoder(style)
        xfeats = encoder(torch.rand(1, 3, 64, 64))
    loss = regions.loss([sfeats, sfeats], (64, 64), 1.0, {n: 1.0 for n in layers}, "cpu")
    for name in layers:
        g = loss._guide(name, tuple(xfeats[name].shape[-2:]))
        assert g.shape == (2, *xfeats[name].shape[-2:])
        assert torch.all((g >= 0) & (g <= 1))
        if mode == "simple":
            assert torch.allclose(g.sum(0), torch.ones(g.shape[1:]), atol=1e-5), name
        elif mode == "all":
            assert torch.all(g.max(0).values == 1), name
            assert torch.all(g.sum(0) >= 1), name
        else:
            assert torch.all((g > 0).sum(0) <= 1), name
            if name == "relu1_1":  # shallow: a band along the outline belongs to neither
                assert torch.any(g.sum(0) == 0)


def test_regions_runs_with_two_styles_and_a_style_guide(content, style):
    left = box_mask(SHAPE, 0, 0, SHAPE[0], 20)
    second = style[::-1].copy()
    out = masked_style(content, [style, second], [left, ~left], method="regions",
                       style_guides=[None, box_mask((36, 36), 0, 0, 18, 36)], **FAST)
    totals = [h["total"] for h in out.loss_history]
    assert out.image.shape == content.shape
    assert totals[-1] < totals[0]


def test_feathered_complementary_masks_are_not_an_overlap():
    m = feathered(box_mask(SHAPE, 0, 0, SHAPE[0], 20).astype(np.float32), 4.0)
    check_disjoint([m, 1 - m])
    with pytest.raises(ParameterError, match="masks 0 and 1 overlap on 8 pixel"):
        check_disjoint([box_mask(SHAPE, 0, 0, 2, 20), box_mask(SHAPE, 0, 16, 4, 40)])


def test_a_feathered_region_is_styled_to_the_image_border():
    f = feathered(box_mask(SHAPE, 0, 0, SHAPE[0], 20).astype(np.float32), 4.0)
    assert (f[:, :17] == 1).all() and f[10, 19] == pytest.approx(0.25)


def test_feather_ramps_inside_the_outline_only():
    mask = box_mask(SHAPE, 8, 10, 24, 30)
    f = feathered(mask, 4.0)
    assert np.all(f[~mask] == 0)
    assert f[8, 20] == pytest.approx(0.25) and f[16, 20] == 1.0


BAD = [
    # (method, styles, masks, extra, field, message)
    ("composite", 1, [box_mask((20, 40), 0, 0, 10, 10)], {}, "mask", "20 x 40 but the image"),
    ("regions", 2, [box_mask(SHAPE, 0, 0, 20, 20), box_mask(SHAPE, 10, 10, 30, 30)], {},
     "mask", "overlap on 100 pixel"),
    ("regions", 3, [box_mask(SHAPE, 0, 0, 20, 20), box_mask(SHAPE, 20, 20, 30, 30)], {},
     "style", "3 style images for 2 mask"),
    ("regions", 1, [box_mask(SHAPE, 0, 0, 20, 20), box_mask(SHAPE, 20, 20, 30, 30)], {},
     "mask", "2 masks for 1 style"),
    ("regions", 2, [box_mask(SHAPE, 0, 0, 20, 20), np.zeros(SHAPE, bool)], {},
     "mask[1]", "empty"),
    ("guided", 1, [np.zeros(SHAPE, np.float32)], {}, "mask", "empty"),
    ("composite", 1, [box_mask(SHAPE, 0, 0, 5, 5)] * 2, {}, "mask", "takes one mask"),
    ("paint", 1, [box_mask(SHAPE, 0, 0, 5, 5)], {}, "method", "not one of"),
    ("guided", 1, [box_mask(SHAPE, 0, 0, 5, 5)], {"guide_mode": "near"}, "guide_mode",
     "not one of"),
    ("guided", 1, [box_mask(SHAPE, 0, 0, 5, 5)], {"style_guides": [np.ones((9, 9))]},
     "style_guides", "9 x 9 but its image is 36 x 36"),
    ("guided", 1, [box_mask(SHAPE, 0, 0, 5, 5)], {"style_guides": [None, None]},
     "style_guides", "2 style guide"),
    ("composite", 1, [box_mask(SHAPE, 0, 0, 5, 5)], {"feather": -1.0}, "feather",
     ">= 0|or more|below the minimum"),
]


@pytest.mark.parametrize("method, n_styles, masks, extra, field, message", BAD)
def test_bad_input_names_the_field(content, style, method, n_styles, masks, extra, field,
                                   message):
    with pytest.raises(ParameterError, match=message) as err:
        masked_style(content, [style] * n_styles, masks, method=method, **extra, **FAST)
    assert err.value.field == field


def test_neural_style_guides_are_checked(content, style):
    """The guides reach neural_style's pipeline (stylise) from masked_style; checked there."""
    settings = StyleSettings(losses=StyleLosses(weights="random"),
                             schedule=StyleSchedule(iterations=1))
    with pytest.raises(ParameterError) as err:
        stylise(StyleInputs(content, style, style_guides=[None]), settings)
    assert err.value.field == "style_guides"
    with pytest.raises(ParameterError) as err:
        stylise(StyleInputs(content, style, content_guides=np.ones((5, 5))), settings)
    assert err.value.field == "content_guides"
