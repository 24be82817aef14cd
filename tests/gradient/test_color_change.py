"""color_change visibly recolours its region to the asked colour, its shading kept, even
when the object's colour is close to its surroundings' (the gallery's red cup on wood)."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.checks import LUMA_STANDARDS

LUMA = LUMA_STANDARDS["bt601"]
from imgfusion.gradient.local_edits import color_change

H, W = 48, 56


def red_cup_on_wood():
    """A shaded red disc on a reddish-brown, grainy background, and a loose mask around it."""
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:H, 0:W].astype(float)
    r = np.hypot(rows - H / 2, cols - W / 2)
    wood = np.array([0.55, 0.3, 0.15]) * (0.85 + 0.15 * np.sin(cols / 2))[..., None]
    shade = 0.6 + 0.4 * np.cos(rows / 7) * np.cos(cols / 9)
    cup = np.array([0.75, 0.12, 0.08]) * shade[..., None]
    img = np.where((r < 14)[..., None], cup, wood)
    img = img + 0.01 * rng.standard_normal(img.shape)
    return np.clip(img, 0, 1).astype(np.float32), r < 14, r < 19


def hue_distance(rgb, asked):
    """Angle between the chroma (colour minus its grey) of two colours, in degrees."""
    def chroma(c):
        c = np.asarray(c, float)
        return c - c.mean()
    a, b = chroma(rgb), chroma(asked)
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


BLUE = (0.15, 0.35, 0.85)


def test_the_region_takes_the_asked_colour():
    img, cup, mask = red_cup_on_wood()
    out = color_change(img, mask, color=BLUE).image
    before, after = img[cup].mean(axis=0), out[cup].mean(axis=0)
    assert hue_distance(before, BLUE) > 120
    assert hue_distance(after, BLUE) < 10
    assert after[2] > after[0] + 0.2  # blue, not red


def test_the_shading_is_kept():
    img, cup, mask = red_cup_on_wood()
    out = color_change(img, mask, color=BLUE).image
    lum_before, lum_after = img[cup] @ LUMA, out[cup] @ LUMA
    assert np.corrcoef(lum_before, lum_after)[0, 1] > 0.95


def test_outside_the_mask_is_untouched_and_the_seam_is_soft():
    img, _, mask = red_cup_on_wood()
    out = color_change(img, mask, color=BLUE, transition=4).image
    np.testing.assert_array_equal(out[~mask], img[~mask])
    rim = mask & ~np.roll(mask, 1, axis=1)  # selected pixels with an outside left neighbour
    jump = np.abs(out[rim] - np.roll(out, 1, axis=1)[rim]).max()
    inner_jump = np.abs(out[:, 1:] - out[:, :-1])[mask[:, 1:] & mask[:, :-1]].max()
    assert jump < 0.5 * np.abs(np.array(BLUE) - img[mask].mean(axis=0)).max() + inner_jump


def test_multipliers_now_recolour_too():
    img, cup, mask = red_cup_on_wood()
    factors = np.array([0.5, 0.8, 1.5])
    out = color_change(img, mask, multipliers=tuple(factors)).image
    want = (img[cup] * factors).mean(axis=0)
    np.testing.assert_allclose(out[cup].mean(axis=0), want, atol=0.03)


def test_transition_zero_is_perez_pure_poisson_which_barely_moves_it():
    img, cup, mask = red_cup_on_wood()
    out = color_change(img, mask, color=BLUE, transition=0).image
    assert hue_distance(out[cup].mean(axis=0), BLUE) > 60  # why the screening exists


@pytest.mark.parametrize("kwargs,field", [
    (dict(color=(0, 0, 0)), "color"), (dict(color=(2, 0, 0)), "color"),
    (dict(transition=-1), "transition"), (dict(solver="fft"), "solver"),
])
def test_bad_arguments_name_the_field(kwargs, field):
    img, _, mask = red_cup_on_wood()
    with pytest.raises(ParameterError) as err:
        color_change(img, mask, **kwargs).image
    assert err.value.field == field


def test_every_exact_solver_agrees():
    img, _, mask = red_cup_on_wood()
    ref = color_change(img, mask, color=BLUE, solver="direct").image
    for solver in ("cg", "multigrid"):
        np.testing.assert_allclose(color_change(img, mask, color=BLUE, solver=solver).image, ref,
                                   atol=1e-4)


def test_a_mask_over_the_whole_image_recolours_it_all():
    img, cup, _ = red_cup_on_wood()
    out = color_change(img, np.ones(cup.shape, bool), color=BLUE).image
    assert hue_distance(out[cup].mean(axis=0), BLUE) < 10
