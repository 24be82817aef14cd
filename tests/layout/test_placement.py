"""Placement by anchor: the resolved offset puts the named point where it was asked."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.layout.placement import Placement, anchor_point, resolve_placement


def blob(shape, top, left, rows, cols):
    mask = np.zeros(shape, bool)
    mask[top:top + rows, left:left + cols] = True
    return mask


def centre(mask):
    r, c = np.nonzero(mask)
    return r.mean(), c.mean()


@pytest.mark.parametrize("size", [(5, 7), (6, 8), (4, 9), (1, 2)])
@pytest.mark.parametrize("at", [(20.0, 30.0), (-6.0, -3.5), (55.2, 80.7), (-40.0, 120.0)])
@pytest.mark.parametrize("anchor", ["mask_center", "bbox_center"])
def test_centre_lands_on_the_point(size, at, anchor):
    """Odd and even sizes, negative and out-of-frame targets, within a pixel."""
    mask = blob((30, 40), 3, 11, *size)
    source = np.zeros((30, 40, 3), np.float32)
    placed = resolve_placement(Placement(at=at, anchor=anchor), source, mask, (50, 60))
    r, c = centre(mask)
    landed = (r + placed.offset[0], c + placed.offset[1])
    assert abs(landed[0] - at[0]) <= 0.5 and abs(landed[1] - at[1]) <= 0.5


def test_mask_centre_is_the_centre_of_mass():
    mask = np.zeros((20, 20), np.float32)
    mask[2, 3] = 1.0
    mask[10, 15] = 1.0
    mask[10, 3] = 0.5
    row = (2 + 10 + 0.5 * 10) / 2.5
    col = (3 + 15 + 0.5 * 3) / 2.5
    assert anchor_point(mask, "mask_center") == pytest.approx((row, col))
    assert anchor_point(mask, "bbox_center") == (6.0, 9.0)
    assert anchor_point(mask, "bottom_right") == (10.0, 15.0)
    assert anchor_point(mask, "top_right") == (2.0, 15.0)


def test_fractions_name_the_target_centre_and_offset_nudges():
    mask = blob((9, 9), 2, 2, 5, 5)      # centre (4, 4)
    source = np.zeros((9, 9, 1), np.float32)
    for hw, expected in (((11, 21), (5, 10)), ((10, 20), (4.5, 9.5))):
        placed = resolve_placement(Placement(at=(0.5, 0.5), units="fraction"), source, mask, hw)
        landed = np.add((4, 4), placed.offset)
        assert np.all(np.abs(landed - expected) <= 0.5)
    nudged = resolve_placement(Placement(at=(5, 10)), source, mask, (11, 21), offset=(2, -3))
    assert nudged.offset == (5 - 4 + 2, 10 - 4 - 3)


def test_corner_anchor_is_exact():
    mask = blob((12, 12), 3, 5, 4, 6)
    placed = resolve_placement(Placement(at=(0, 0), anchor="top_left"),
                               np.zeros((12, 12, 3), np.float32), mask, (20, 20))
    assert placed.offset == (-3, -5)
    placed = resolve_placement(Placement(at=(19, 19), anchor="bottom_right"),
                               np.zeros((12, 12, 3), np.float32), mask, (20, 20))
    assert placed.offset == (19 - 6, 19 - 10)


@pytest.mark.parametrize("anchor, at", [("top_left", (0, 0)), ("top_right", (0, 1)),
                                        ("bottom_left", (1, 0)), ("bottom_right", (1, 1))])
def test_a_corner_at_the_targets_corner_in_fractions_is_flush(anchor, at):
    # the box's own corner lands on the target's: every pixel inside, none past the edge
    mask = blob((12, 12), 3, 5, 4, 6)          # rows 3-6, cols 5-10
    placed = resolve_placement(Placement(at=at, units="fraction", anchor=anchor),
                               np.zeros((12, 12, 3), np.float32), mask, (50, 80))
    top, left = 3 + placed.offset[0], 5 + placed.offset[1]
    assert (top, left) == (0 if at[0] == 0 else 50 - 4, 0 if at[1] == 0 else 80 - 6)
    # and halfway, the box's edge lies on the centre line (row 25 of 50: 21-24 or 25-28)
    half = resolve_placement(Placement(at=(0.5, 0.5), units="fraction", anchor=anchor),
                             np.zeros((12, 12, 3), np.float32), mask, (50, 80))
    assert 3 + half.offset[0] == (25 if at[0] == 0 else 21)


def test_without_at_the_offset_is_the_old_rule():
    source = np.zeros((8, 8, 3), np.float32)
    placed = resolve_placement(Placement(), source, None, (4, 4), offset=(-3, 7))
    assert placed.offset == (-3, 7) and placed.source is source
    assert placed.mask.shape == (8, 8) and placed.mask.min() == 1


def test_fit_keeps_the_aspect_and_fills_the_box():
    """What shows (alpha 1/255 or more) lies within the box: the resampled soft rim
    overshot it by 1-2 px."""
    mask = blob((40, 60), 10, 10, 20, 40)   # a 20 x 40 object
    source = np.random.default_rng(0).random((40, 60, 3)).astype(np.float32)
    placed = resolve_placement(Placement(at=(50, 50), fit=(30, 30)), source, mask, (100, 100))
    assert placed.source.shape[:2] == placed.mask.shape
    shows, solid = np.nonzero(placed.mask >= 1 / 255), np.nonzero(placed.mask >= 0.5)
    assert np.ptp(shows[1]) + 1 <= 30 and np.ptp(shows[0]) + 1 <= 15   # its rim within too
    assert np.ptp(solid[1]) + 1 >= 29 and np.ptp(solid[0]) + 1 >= 14   # and filling it
    frac = resolve_placement(Placement(at=(0.5, 0.5), units="fraction", fit=(0.3, 0.3)),
                             source, mask, (100, 100))
    assert frac.source.shape[:2] == placed.source.shape[:2]
    assert resolve_placement(Placement(scale=0.5), source, mask, (9, 9)).mask.shape == (20, 30)


def test_scale_and_fit_together_is_refused():
    with pytest.raises(ParameterError) as err:
        resolve_placement(Placement(at=(1, 1), scale=2.0, fit=(3, 3)),
                          np.zeros((4, 4, 3), np.float32), None, (9, 9))
    assert err.value.field == "fit"


def test_mask_of_another_size_names_the_field():
    with pytest.raises(ParameterError) as err:
        resolve_placement(Placement(at=(1, 1)), np.zeros((4, 4, 3), np.float32),
                          np.ones((5, 4), bool), (9, 9))
    assert err.value.field == "mask"


def test_place_and_composite_take_the_placement_flat_or_whole():
    from imgfusion.layout.compose import composite
    from imgfusion.layout.geometry import place

    image = np.ones((6, 8, 3), np.float32)
    onto = np.zeros((20, 30, 3), np.float32)
    mask = blob((6, 8), 1, 2, 3, 3)                      # centre (2, 3)
    flat = place(image, onto, mask, at=(10, 20))
    whole = place(image, onto, mask, placement=Placement(at=(10, 20)))
    assert np.array_equal(flat, whole)
    assert np.array_equal(np.argwhere(flat[..., 0] > 0), np.argwhere(blob((20, 30), 9, 19, 3, 3)))
    nudged = composite(image, onto, mask, at=(0.5, 0.5), units="fraction", anchor="top_left")
    assert np.argwhere(nudged[..., 0] > 0).min(0).tolist() == [10, 15]
    bigger = place(image, onto, mask, at=(10, 20), scale=2.0)
    assert (bigger[..., 0] > 0.5).sum() == pytest.approx(36, abs=8)


def test_an_rgba_cutout_is_placed_and_fitted_by_what_shows():
    # a 40 x 40 file whose object is its opaque top-left 10 x 10: that object is placed
    from imgfusion.layout.compose import composite
    from imgfusion.layout.geometry import place

    cutout = np.zeros((40, 40, 4), np.float32)
    cutout[:10, :10] = 1
    bg = np.full((100, 100, 3), 0.2, np.float32)
    for out, side in ((composite(cutout, bg, at=(50, 50)), 10),
                      (place(cutout, bg, at=(50, 50)), 10),
                      (composite(cutout, bg, at=(50, 50), fit=(20, 20)), 20)):
        for idx in np.nonzero(out[..., 0] > 0.5):   # rows, then columns
            assert abs((idx.min() + idx.max()) / 2 - 50) <= 1   # centred on the point
            assert abs(idx.max() - idx.min() + 1 - side) <= 1   # the object's own size


def test_wholly_outside_is_refused_naming_what_the_user_gave():
    from imgfusion.layout.compose import composite
    from imgfusion.layout.geometry import place

    bg, fg, m = np.zeros((100, 100, 3), np.float32), np.ones((10, 10, 3), np.float32), \
        np.ones((10, 10), bool)
    from imgfusion.gradient.color_keeping import keep_colors_blend

    for paste in (composite, place, keep_colors_blend):   # composite: the background, as it was
        with pytest.raises(ParameterError, match=r"at: \(500.0, 500.0\) \(px\) puts the 10"):
            paste(fg, bg, m, at=(500, 500))
    with pytest.raises(ParameterError, match=r"offset: \(200, 0\) puts"):
        place(fg, bg, m, offset=(200, 0))
    cutout = np.zeros((40, 40, 4), np.float32)   # its object: the opaque top-left 10 x 10
    cutout[:10, :10] = 1
    with pytest.raises(ParameterError, match="at: .* puts what shows of the 40 x 40 image"):
        composite(cutout, bg, at=(-20, -20))     # the frame overlaps, the object does not


def test_the_blends_that_drop_the_sources_alpha_place_by_the_mask_alone():
    # keep_colors_blend pastes the mask region, not the alpha: the alpha must not move it
    from imgfusion.gradient.color_keeping import keep_colors_blend

    rgba = np.random.default_rng(0).random((40, 40, 4)).astype(np.float32)
    rgba[:, :20, 3] = 0
    mask = np.zeros((40, 40), bool)
    mask[4:36, 4:36] = True
    target = np.zeros((100, 100, 3), np.float32)
    a = keep_colors_blend(rgba, target, mask, at=(50, 50)).image
    b = keep_colors_blend(rgba[..., :3], target, mask, at=(50, 50)).image
    np.testing.assert_array_equal(a, b)


def test_composite_without_at_names_its_own_fields_and_the_preview_follows_the_alpha():
    from imgfusion.layout.compose import composite
    from imgfusion.layout.previews import placement_preview

    cutout = np.zeros((40, 40, 4), np.float32)   # its object: the opaque bottom-right
    cutout[30:, 30:] = 1
    with pytest.raises(ParameterError, match="^scale: "):   # composite has no offset
        composite(cutout, np.zeros((50, 50, 3), np.float32), scale=2.0)
    # no mask: the preview places an RGBA cutout by its alpha, as composite and place do
    target = np.zeros((60, 60, 3), np.float32)
    shown = composite(cutout, target, at=(25, 25))[..., 0] > 0.5
    preview = placement_preview(cutout, target, at=(25, 25), width=1)[:, -60:]
    rows, cols = np.nonzero(np.abs(preview - target).sum(axis=2) > 0.1)
    bottom, right = np.argwhere(shown).max(axis=0)   # the frame's outline would reach 45
    assert abs(rows.max() - bottom) <= 1 and abs(cols.max() - right) <= 1
