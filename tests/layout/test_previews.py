"""Previews: the mask over its image, and the cutout's outline where it lands."""
import numpy as np

from imgfusion.layout.placement import Placement
from imgfusion.layout.previews import mask_overlay, outline, placement_preview

RED = (1.0, 0.0, 0.0)


def square(size, top, left, side):
    mask = np.zeros(size, bool)
    mask[top:top + side, left:left + side] = True
    return mask


def test_outline_is_the_inner_rim_and_not_the_border():
    mask = square((10, 10), 2, 2, 6)
    rim = outline(mask, 1)
    assert rim.sum() == 6 * 4 - 4 and not rim[4:6, 4:6].any()
    assert not outline(np.ones((5, 5), bool), 1).any()


def test_overlay_tints_inside_and_leaves_outside():
    image = np.full((10, 10, 1), 0.5, np.float32)
    mask = square((10, 10), 2, 2, 6)
    out = mask_overlay(image, mask, color=RED, opacity=0.5, width=1)
    assert out.shape == (10, 10, 3)
    np.testing.assert_allclose(out[0, 0], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(out[4, 4], [0.75, 0.25, 0.25])
    np.testing.assert_allclose(out[2, 2], RED)


def test_preview_draws_the_outline_where_the_blend_places_it():
    source = np.full((20, 20, 3), 0.2, np.float32)
    target = np.full((30, 40, 3), 0.8, np.float32)
    mask = square((20, 20), 5, 5, 7)                     # centre (8, 8)
    out = placement_preview(source, target, mask, color=RED, width=1,
                            placement=Placement(at=(10, 30), anchor="bbox_center"))
    assert out.shape == (30, 30 + 8 + 40, 3)
    right = out[:, 38:]
    red = np.all(right == RED, axis=2)
    rim = np.zeros((30, 40), bool)
    rim[6:15, 26:35] = outline(square((9, 9), 1, 1, 7), 1)
    cross = np.zeros((30, 40), bool)
    cross[10, 25:36] = cross[5:16, 30] = True
    assert np.array_equal(red, rim | cross)
    assert np.all(out[:, 30:38] == 1.0)                  # the gap


def test_an_rgba_cutout_without_a_mask_is_outlined_by_its_alpha_as_place_places_it():
    """The outline was the whole frame while place pasted the object, and the left panel
    showed the colour stored under the transparent pixels."""
    from imgfusion.layout.geometry import place

    source = np.zeros((20, 20, 4), np.float32)
    source[..., 1] = 1.0                                 # green under alpha 0
    source[5:12, 5:12] = (0.2, 0.2, 0.2, 1.0)            # the object
    target = np.full((30, 40, 3), 0.8, np.float32)
    spot = Placement(at=(10, 30), anchor="bbox_center")
    out = placement_preview(source, target, None, color=RED, width=1, placement=spot)
    red = np.all(out[:, 38:] == RED, axis=2)
    changed = np.any(place(source, target, placement=spot) != target, axis=2)
    cross = np.zeros((30, 40), bool)
    cross[10, 25:36] = cross[5:16, 30] = True
    assert changed.sum() == 49 and np.array_equal(red, outline(changed, 1) | cross)
    assert not np.any(out[0, 0, :3] == (0.0, 1.0, 0.0))  # no green shows on the left
