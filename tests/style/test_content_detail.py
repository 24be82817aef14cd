"""``content_detail``: a pyramid level starts from the level below plus the content's detail
that the smaller level could not hold."""
import numpy as np
import pytest
import torch
from skimage import data
from skimage.transform import resize as sk_resize

from imgfusion.style.options import StyleColor, StyleLosses, StyleSchedule
from imgfusion.style.pipeline import (StyleContext, StyleInputs, StyleSettings, prepare,
                                      resize, to_tensor, with_content_detail)
from imgfusion.style.pyramid import upsample
from imgfusion.style.transfer import neural_style

CPU = StyleContext("cpu", 0)
RANDOM = StyleLosses(weights="random")


@pytest.fixture(scope="module")
def pair():
    content = sk_resize(data.astronaut(), (64, 64), anti_aliasing=True).astype(np.float32)
    style = sk_resize(data.hubble_deep_field(), (64, 64), anti_aliasing=True)
    return content, style.astype(np.float32)


def _run(pair, **losses):
    return prepare(StyleInputs(*pair), StyleSettings(losses=StyleLosses(weights="random",
                                                                        **losses)), CPU)


def test_a_level_below_that_held_the_content_gives_the_content_back(pair):
    run = _run(pair)
    c = to_tensor(pair[0], "cpu")
    below = resize(c, (32, 32))
    out = with_content_detail(run, below, (64, 64))
    assert torch.allclose(out, c, atol=1e-5)
    assert not torch.allclose(upsample(below, (64, 64)), c, atol=1e-2)   # the blur it fixes


def test_the_detail_is_added_to_whatever_the_level_below_made(pair):
    run = _run(pair)
    c = to_tensor(pair[0], "cpu")
    made = torch.full((1, 3, 32, 32), 0.5)
    out = with_content_detail(run, made, (64, 64))
    detail = c - resize(resize(c, (32, 32)), (64, 64))
    assert torch.allclose(out, (0.5 + detail).clamp(0, 1), atol=1e-5)


def test_luminance_runs_get_one_channel_and_style_only_runs_no_detail(pair):
    lum = prepare(StyleInputs(*pair), StyleSettings(losses=RANDOM, color=StyleColor(
        color_control="luminance")), CPU)
    assert lum.setup.luminance
    out = with_content_detail(lum, torch.full((1, 1, 32, 32), 0.5), (64, 64))
    assert out.shape == (1, 1, 64, 64)
    no_content = _run(pair, content_weight=0.0)
    made = torch.rand((1, 3, 32, 32), generator=torch.Generator().manual_seed(0))
    assert torch.equal(with_content_detail(no_content, made, (64, 64)),
                       upsample(made, (64, 64)))


def test_the_option_changes_only_runs_with_a_coarse_level(pair):
    common = dict(weights="random", iterations=4, tolerance=0, seed=0)
    plain = neural_style(*pair, coarse_to_fine=32, **common).image
    detailed = neural_style(*pair, coarse_to_fine=32, content_detail=True, **common).image
    assert np.abs(plain - detailed).mean() > 1e-3
    one_level = [neural_style(*pair, coarse_to_fine=0, content_detail=cd, **common).image
                 for cd in (False, True)]
    assert np.array_equal(*one_level)
    assert StyleSchedule().content_detail is False
