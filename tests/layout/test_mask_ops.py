"""Mask algebra against its definitions, on small arrays."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.layout.mask_ops import (
    mask_difference, mask_feather, mask_fill_holes, mask_grow, mask_intersection, mask_invert,
    mask_largest, mask_shrink, mask_threshold, mask_union)

RNG = np.random.default_rng(5)
A = RNG.random((9, 11)) > 0.5
B = RNG.random((9, 11)) > 0.5
SA = RNG.random((9, 11)).astype(np.float32)
SB = RNG.random((9, 11)).astype(np.float32)


def test_set_operations_on_hard_masks():
    assert np.array_equal(mask_union(A, B), A | B)
    assert np.array_equal(mask_intersection(A, B), A & B)
    assert np.array_equal(mask_difference(A, B), A & ~B)
    assert np.array_equal(mask_invert(A), ~A)
    assert mask_union(A, B).dtype == bool


def test_set_operations_on_soft_masks():
    np.testing.assert_array_equal(mask_union(SA, SB), np.maximum(SA, SB))
    np.testing.assert_array_equal(mask_intersection(SA, SB), np.minimum(SA, SB))
    np.testing.assert_allclose(mask_difference(SA, SB), np.minimum(SA, 1 - SB))
    np.testing.assert_allclose(mask_invert(SA), 1 - SA)
    np.testing.assert_array_equal(mask_union(A, SB), np.maximum(A, SB))  # mixed: soft


def test_sizes_are_checked_naming_the_field():
    with pytest.raises(ParameterError) as err:
        mask_union(A, np.ones((9, 10), bool))
    assert err.value.field == "b" and "9 x 10" in str(err.value)
    with pytest.raises(ParameterError) as err:
        mask_difference(A * 255.0, B)
    assert err.value.field == "a"


def brute_distance(mask):
    """Distance of each pixel to the nearest pixel of ``mask`` (inf when none)."""
    pts = np.argwhere(mask)
    grid = np.indices(mask.shape).reshape(2, -1).T
    if not len(pts):
        return np.full(mask.shape, np.inf)
    d = np.sqrt(((grid[:, None, :] - pts[None]) ** 2).sum(-1)).min(1)
    return d.reshape(mask.shape)


@pytest.mark.parametrize("pixels", [0, 1, 2, 3])
def test_grow_and_shrink_are_distances(pixels):
    assert np.array_equal(mask_grow(A, pixels=pixels), brute_distance(A) <= pixels)
    # shrink: leave the mask when an outside pixel (of the image) is within reach
    assert np.array_equal(mask_shrink(A, pixels=pixels), brute_distance(~A) > pixels)


def disc_at(shape, r, c, radius):
    rows, cols = np.indices(shape)
    return (rows - r) ** 2 + (cols - c) ** 2 <= radius ** 2


@pytest.mark.parametrize("r, c", [(0, 0), (4, 5), (8, 10), (3, 9)])
def test_soft_grow_and_shrink_are_max_and_min_over_a_disc(r, c):
    assert mask_grow(SA, pixels=2)[r, c] == pytest.approx(SA[disc_at(SA.shape, r, c, 2)].max())
    assert mask_shrink(SA, pixels=1)[r, c] == pytest.approx(SA[disc_at(SA.shape, r, c, 1)].min())


def test_fill_holes_fills_only_enclosed_outside():
    ring = np.zeros((9, 9), bool)
    ring[1:8, 1:8] = True
    ring[3:6, 3:6] = False      # a hole
    ring[4, 0:2] = False        # a notch open to the border stays open
    filled = mask_fill_holes(ring)
    assert filled[3:6, 3:6].all() and not filled[4, 0] and not filled[0].any()
    soft = ring * np.float32(0.8)
    soft[4, 4] = 0.3
    out = mask_fill_holes(soft)
    assert out[4, 4] == 1.0 and out[2, 2] == pytest.approx(0.8) and out[0, 0] == 0


def test_largest_keeps_the_biggest_parts():
    m = np.zeros((10, 10), bool)
    m[0:2, 0:2] = True          # 4 px
    m[5:9, 5:9] = True          # 16 px
    m[0:3, 7:10] = True         # 9 px
    m[9, 0] = True              # 1 px
    assert np.array_equal(mask_largest(m), np.pad(np.ones((4, 4), bool), ((5, 1), (5, 1))))
    two = mask_largest(m, count=2)
    assert two.sum() == 25 and not two[0, 0]
    diagonal = np.eye(4, dtype=bool)   # 8-connected: one part
    assert mask_largest(diagonal).sum() == 4


def test_feather_leaves_the_image_border_hard_unless_asked():
    sky = np.zeros((10, 12), bool)
    sky[:4] = True   # touches the top, left and right borders
    soft = mask_feather(sky, pixels=4.0)
    assert (soft[0] == 1).all() and (soft[:, 0] == soft[:, 6]).all()
    np.testing.assert_allclose(soft[:4, 6], [1.0, 0.75, 0.5, 0.25])
    cut = mask_feather(sky, pixels=4.0, at_border=True)
    np.testing.assert_allclose(cut[:4, 6], [0.25, 0.5, 0.5, 0.25])
    assert cut[1, 0] == 0.25
    assert (mask_feather(np.ones((5, 5), bool), pixels=3.0) == 1).all()


def test_feather_ramps_inside_and_threshold_hardens():
    m = np.zeros((1, 11), bool)
    m[0, 1:10] = True
    m = np.repeat(m, 11, 0)
    m[[0, -1]] = False
    out = mask_feather(m, pixels=4.0)
    assert out.dtype == np.float32 and out[5, 0] == 0
    np.testing.assert_allclose(out[5, 1:6], [0.25, 0.5, 0.75, 1.0, 1.0])
    assert (out <= m).all()
    np.testing.assert_array_equal(mask_threshold(SA, level=0.3), SA >= 0.3)
    assert mask_threshold(SA).dtype == bool
