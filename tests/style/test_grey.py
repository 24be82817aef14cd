"""Grey in, grey out: when the content (if any) and every style image are grey (H x W, or
three channels equal within 1/255), the run optimises the luminance alone, so the result
has R = G = B exactly; optimised in RGB, the network's per-channel weights used to tint it.
A colour style or a coloured init_image still makes a colour run.

Tiny images, shallow layers and a seeded random VGG19: the property, not the look."""
import numpy as np
import pytest

from imgfusion.style import color, tiles, transfer
from imgfusion.style.options import StyleLosses, StyleSchedule
from imgfusion.style.pipeline import StyleContext, StyleInputs, StyleSettings

FAST = dict(weights="random", device="cpu", seed=0, iterations=8,
            style_layers=["relu1_1", "relu2_1", "relu3_1"], content_layers=["relu3_1"])


def spread(image: np.ndarray) -> float:
    """The largest difference between two colour channels of one pixel."""
    rgb = image[..., :3]
    return float((rgb.max(-1) - rgb.min(-1)).max())


@pytest.fixture
def grey_content(smooth_image):
    return smooth_image((32, 40), 1, channels=1)[..., 0]            # H x W


@pytest.fixture
def grey_style(smooth_image):
    """Grey saved as RGB: the red channel off by half an 8-bit step."""
    y = smooth_image((36, 36), 2, channels=1, low=0.1, high=0.9)
    rgb = np.repeat(y, 3, axis=-1)
    rgb[..., 0] += 0.5 / 255
    return rgb


def test_is_grey_allows_one_8_bit_step(grey_style, style):
    assert color.is_grey(grey_style) and color.is_grey(grey_style[..., :1])
    off = grey_style.copy()
    off[0, 0, 2] += 2 / 255
    assert not color.is_grey(off) and not color.is_grey(style)


@pytest.mark.parametrize("alpha", [False, True])
def test_grey_content_and_style_give_a_grey_result(grey_content, grey_style, alpha):
    content = grey_content
    if alpha:   # grey RGBA: the alpha is passed through, the colour stays grey
        a = np.linspace(0, 1, content.size, dtype=np.float32).reshape(content.shape)
        content = np.stack([content] * 3 + [a], axis=-1)
    res = transfer.neural_style(content, grey_style, **FAST)
    assert res.image.shape == (32, 40, 4 if alpha else 3)
    assert spread(res.image) == 0.0
    assert res.image[..., :3].std() > 0.05
    if alpha:
        assert np.allclose(res.image[..., 3], content[..., 3])


@pytest.mark.parametrize("options", [dict(init="noise"), dict(color_control="histogram"),
                                     dict(size=48, coarse_to_fine=32, content_detail=True)])
def test_grey_inputs_stay_grey_whatever_the_options(grey_content, grey_style, options):
    res = transfer.neural_style(grey_content, grey_style, **{**FAST, **options})
    assert spread(res.image) == 0.0


def test_texture_synthesis_of_a_grey_style_is_grey(grey_style):
    res = transfer.texture_synthesis(grey_style, size=40, style_grid=1, **{
        k: v for k, v in FAST.items() if k != "content_layers"})
    assert res.image.shape == (40, 40, 3) and spread(res.image) == 0.0
    assert res.image.std() > 0.02


def test_a_colour_style_on_grey_content_stays_colour(grey_content, grey_style, style):
    """The decision is the inputs': the grey style gives grey, a colour one colour."""
    grey = transfer.neural_style(grey_content, grey_style, **FAST).image
    colour = transfer.neural_style(grey_content, style, **FAST).image
    assert spread(grey) == 0.0
    assert spread(colour) > 0.1


def test_a_coloured_init_image_makes_a_colour_run(grey_content, grey_style, content):
    """init: image with a coloured image starts, and so stays, in colour; a grey one
    keeps the run grey."""
    colour = transfer.neural_style(grey_content, grey_style, content, init="image", **FAST)
    grey = transfer.neural_style(grey_content, grey_style, content.mean(-1), init="image",
                                 **FAST)
    assert spread(colour.image) > 0.1
    assert spread(grey.image) == 0.0


def test_a_tiled_grey_run_is_grey(smooth_image, grey_style):
    """The tiled refinement of a grey run keeps one channel, the content's detail its
    luminance."""
    content = smooth_image((64, 64), 3, channels=1)
    settings = StyleSettings(losses=StyleLosses(weights="random", style_grid=1,
                                                style_layers=["relu1_1", "relu2_1"],
                                                content_layers=["relu2_1"]),
                             schedule=StyleSchedule(iterations=4, tile_iterations=4))
    image, _ = tiles.tiled_stylise(StyleInputs(content, grey_style), settings,
                                   StyleContext("cpu", 0), tiles.Tiling(tile=32, coarse=40))
    assert image.shape == (64, 64, 3) and spread(image) == 0.0
