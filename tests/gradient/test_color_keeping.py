"""The colour-keeping blend against plain Poisson and plain alpha, on a held-out case."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from imgfusion.gradient.blend_measures import blend_scores, colour_distance, seam_visibility
from imgfusion.gradient.blending import poisson_blend
from imgfusion.gradient.color_keeping import best_blend, keep_colors_blend, solid_core
from imgfusion.layout.geometry import place
from imgfusion.layout.masks import shape_mask
from imgfusion.layout.placement import Placement


def pictures():
    """A cool textured 'photo' and a warm, strongly textured 'stylised piece' (not the gallery's)."""
    rng = np.random.default_rng(3)
    rows, cols = np.indices((90, 120))
    target = np.stack([0.3 + 0.2 * rows / 90, 0.5 + 0.1 * np.sin(cols / 9.0),
                       0.75 + 0.1 * cols / 120], -1)
    target += 0.04 * gaussian_filter(rng.standard_normal((90, 120, 3)), (1, 1, 0))
    piece = np.stack([0.75 + 0.1 * np.sin(rows[:50, :60] / 3.0), 0.4 + 0.1 * np.cos(
        cols[:50, :60] / 4.0), 0.15 + 0 * rows[:50, :60]], -1)
    piece += 0.08 * gaussian_filter(rng.standard_normal((50, 60, 3)), (1, 1, 0))
    mask = shape_mask(size=(50, 60), center=(0.5, 0.5), extent=(0.8, 0.8), feather=2.0)
    return (np.clip(piece, 0, 1).astype(np.float32), np.clip(target, 0, 1).astype(np.float32),
            mask)


def test_keeps_colours_better_than_poisson_and_hides_the_seam_better_than_alpha():
    piece, target, mask = pictures()
    offset = (20, 30)
    kept = keep_colors_blend(piece, target, mask, offset=offset, band=6)
    poisson = poisson_blend(piece, target, mask, offset=offset).image
    alpha = place(piece, target, offset=offset, mask=mask)
    ours = blend_scores(kept.image, piece, target, mask, offset)
    assert ours == {k: kept.info[k] for k in ours}
    assert ours["colour_distance"] < 0.5 * colour_distance(poisson, piece, mask, offset)
    assert ours["seam_visibility"] < 0.2 * seam_visibility(alpha, target, mask, offset)


def test_core_is_the_piece_and_outside_is_the_target():
    piece, target, mask = pictures()
    kept = keep_colors_blend(piece, target, mask,
                             placement=Placement(at=(45, 60), anchor="bbox_center"), band=4)
    core = solid_core(mask, 4)
    r, c = 45 - 24, 60 - 29          # the mask's box is centred at (24.5, 29.5): rounded up
    rows, cols = np.nonzero(core)
    np.testing.assert_array_equal(kept.image[rows + r, cols + c], piece[rows, cols])
    outside = np.ones(target.shape[:2], bool)
    outside[r:r + 50, c:c + 60] = mask <= 0
    np.testing.assert_array_equal(kept.image[outside], target[outside])


def test_solid_core_is_band_deep():
    mask = np.zeros((11, 11), bool)
    mask[1:10, 1:10] = True
    core = solid_core(mask, 2)
    assert core[3:8, 3:8].all() and core.sum() == 25


def test_a_band_wider_than_the_piece_is_plain_poisson():
    piece, target, mask = pictures()
    kept = keep_colors_blend(piece, target, mask, offset=(5, 5), band=100)
    plain = poisson_blend(piece, target, mask, offset=(5, 5)).image
    np.testing.assert_allclose(kept.image, plain, atol=1e-6)


@pytest.mark.parametrize("field, kwargs", [("mask", {"mask": np.ones((5, 5), bool)}),
                                           ("source", {"source": np.zeros((50, 60), int)})])
def test_bad_inputs_name_the_field(field, kwargs):
    piece, target, mask = pictures()
    args = {"source": piece, "target": target, "mask": mask, **kwargs}
    with pytest.raises(Exception) as err:
        keep_colors_blend(**args)
    assert getattr(err.value, "field", None) == field


def test_best_blend_takes_the_colour_keeping_blend_when_it_wins_on_both():
    piece, target, mask = pictures()
    chosen = best_blend(piece, target, mask, (20, 30), 6, ("auto", 1e-8))
    scores = chosen.info["scores"]
    assert chosen.info["blend"] == "keep_colors"
    assert scores["keep_colors"]["colour_distance"] < scores["poisson"]["colour_distance"]
    assert scores["keep_colors"]["seam_visibility"] < scores["alpha"]["seam_visibility"]
    flat = np.full_like(piece, 0.5)      # nothing to keep: Poisson's colours are as close
    chosen = best_blend(flat, np.full_like(target, 0.5), mask, (20, 30), 6, ("auto", 1e-8))
    assert chosen.info["blend"] == "poisson"
