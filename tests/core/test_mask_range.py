"""One mask policy everywhere: a float mask outside [0, 1] (such as 0-255) is an error
naming the field and the range found, never silently clipped."""
import numpy as np
import pytest

from imgfusion.layout.compose import composite
from imgfusion.errors import ParameterError
from imgfusion.layout.geometry import place, resize
from imgfusion.gradient import blending, local_edits
from imgfusion.masked.region_masks import mask_list

IMG = np.full((12, 16, 3), 0.5, np.float32)
BYTE_MASK = np.zeros((12, 16), np.float32)
BYTE_MASK[3:9, 4:12] = 255.0


def _check(err, field):
    assert err.value.field == field
    text = str(err.value)
    assert "[0, 255]" in text and "[0, 1]" in text and "255" in text


CASES = {
    "composite": (lambda m: composite(IMG, IMG * 0.2, m), "mask"),
    "place": (lambda m: place(IMG, IMG, mask=m), "mask"),
    "resize": (lambda m: resize(m, scale=0.5), "image"),
    "poisson_blend": (lambda m: blending.poisson_blend(IMG, IMG, m).image, "mask"),
    "color_change": (lambda m: local_edits.color_change(IMG, m).image, "mask"),
    "region masks": (lambda m: mask_list([m], (12, 16)), "mask"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_0_255_float_mask_is_refused_with_its_range(name):
    call, field = CASES[name]
    with pytest.raises(ParameterError) as err:
        call(BYTE_MASK)
    _check(err, field)


@pytest.mark.parametrize("name", CASES)
def test_a_slightly_negative_mask_is_refused_too(name):
    call, field = CASES[name]
    mask = BYTE_MASK / 255.0
    mask[0, 0] = -0.5
    with pytest.raises(ParameterError, match=r"\[-0.5, 1\]"):
        call(mask)


@pytest.mark.parametrize("name", CASES)
def test_masks_in_range_still_work(name):
    call, _ = CASES[name]
    call(BYTE_MASK / 255.0)
    call(BYTE_MASK > 0)


def test_style_guides_follow_the_same_policy():
    pytest.importorskip("torch")
    from imgfusion.style.guided import region_guides
    with pytest.raises(ParameterError) as err:
        region_guides([BYTE_MASK], None, (12, 16), [(12, 16)], "simple", 0)
    _check(err, "content_guides")


# -- large buffers are estimated and refused before they are allocated ----------
def test_a_resize_that_does_not_fit_names_the_field_and_the_estimate(monkeypatch):
    import imgfusion.memory as memory
    monkeypatch.setattr(memory, "available_ram", lambda: 2 ** 20)
    with pytest.raises(ParameterError) as err:
        resize(IMG, scale=64)
    assert err.value.field == "scale"
    assert "768 x 1024" in str(err.value) and "GiB" in str(err.value)
    assert resize(IMG, scale=0.5).shape == (6, 8, 3)  # small enough still runs


def test_a_feathered_shape_mask_that_does_not_fit_is_refused(monkeypatch):
    import imgfusion.memory as memory
    from imgfusion.layout.masks import shape_mask
    monkeypatch.setattr(memory, "available_ram", lambda: 100 * 2 ** 20)
    with pytest.raises(ParameterError) as err:
        shape_mask(size=(16384, 16384), feather=4)
    assert err.value.field == "size" and "needs about" in str(err.value)
    assert shape_mask(size=(64, 64), feather=4).shape == (64, 64)
