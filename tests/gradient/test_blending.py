import numpy as np
import pytest

from gradient_helpers import ellipse_with_hole, poisson_residual
from imgfusion.errors import ParameterError
from imgfusion.gradient.blending import mixed_blend, monochrome_transfer, poisson_blend

SOLVERS = ["direct", "cg", "multigrid", "mgpcg", "fft"]
EXACT = ["direct", "cg", "multigrid", "mgpcg"]


@pytest.fixture
def images(smooth_image):
    # a narrow range keeps every solution inside [0, 1], so no pixel is clipped
    return (smooth_image((22, 26), seed=3, low=0.35, high=0.65),
            smooth_image((22, 26), seed=4, low=0.35, high=0.65))


def two_blobs_with_hole(h, w):
    mask = ellipse_with_hole(h, w)
    mask[1:4, 1:5] = True  # a second component
    return mask


@pytest.mark.parametrize("blend", [poisson_blend, mixed_blend])
@pytest.mark.parametrize("solver", SOLVERS)
def test_blending_an_image_into_itself_returns_it(images, blend, solver):
    img = images[0]
    out = blend(img, img, two_blobs_with_hole(*img.shape[:2]), solver=solver).image
    assert out.dtype == np.float32 and out.shape == img.shape
    assert np.abs(out - img).max() < 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_source_equal_to_target_plus_a_constant_returns_the_target(images, solver):
    target = images[0]
    out = poisson_blend(target + 0.1, target, two_blobs_with_hole(*target.shape[:2]),
                        solver=solver).image
    assert np.abs(out - target).max() < 1e-6


@pytest.mark.parametrize("solver", EXACT)
def test_solution_satisfies_the_discrete_poisson_equation(images, solver):
    source, target = images
    mask = two_blobs_with_hole(*target.shape[:2])
    out, info = poisson_blend(source, target, mask, solver=solver)
    assert info["residual"] < 1e-6
    src, tgt = source.astype(float), target.astype(float)
    res = poisson_residual(out.astype(float), tgt, mask, lambda p, q: src[p] - src[q])
    assert res < 1e-6  # float32 output: rounding only
    np.testing.assert_array_equal(out[~mask], target[~mask])


def test_mixed_blend_keeps_the_stronger_gradient_of_each_pair(smooth_image):
    target = smooth_image((16, 18), seed=5, low=0.15, high=0.85).astype(float)
    source = np.full_like(target, 0.5)
    source[:, 9:] = 0.9  # one strong step, flat elsewhere
    mask = np.zeros(target.shape[:2], bool)
    mask[3:13, 3:15] = True
    out = mixed_blend(source.astype(np.float32), target.astype(np.float32), mask).image

    def eq13(p, q):
        s, t = source[p] - source[q], target[p] - target[q]
        return np.where(np.abs(t) > np.abs(s), t, s)

    assert poisson_residual(out.astype(float), target, mask, eq13) < 1e-6
    # the step is imported; the flat parts let the target's texture through
    assert abs(out[8, 9, 0] - out[8, 8, 0]) > 0.3
    plain = poisson_blend(source.astype(np.float32), target.astype(np.float32), mask).image
    texture = lambda im: np.abs(np.diff(im[4:12, 4:8], axis=0)).mean()  # noqa: E731
    assert texture(out) > 2 * texture(plain)


@pytest.mark.parametrize("side", ["top", "bottom", "left", "right", "corner", "all"])
def test_a_mask_touching_the_border_uses_truncated_neighbourhoods(images, side):
    source, target = images
    h, w = target.shape[:2]
    mask = np.zeros((h, w), bool)
    mask[5:15, 6:18] = True
    edge = {"top": np.s_[:5, 8:12], "bottom": np.s_[15:, 8:12], "left": np.s_[8:12, :6],
            "right": np.s_[8:12, 18:], "corner": np.s_[:8, :8], "all": np.s_[:, :]}[side]
    mask[edge] = True
    if side == "all":
        mask[10:12, 10:12] = False  # a small hole anchors the solution
    out, info = poisson_blend(source, target, mask)
    assert np.isfinite(out).all() and info["residual"] < 1e-8
    src = source.astype(float)
    res = poisson_residual(out.astype(float), target.astype(float), mask,
                           lambda p, q: src[p] - src[q])
    assert res < 1e-6
    np.testing.assert_array_equal(out[~mask], target[~mask])


@pytest.mark.parametrize("offset", [(-5, -7), (9, 12), (-4, 15), (0, 0)])
@pytest.mark.parametrize("solver", ["direct", "fft"])
def test_clipped_offsets_equal_pasting_the_clipped_source(smooth_image, offset, solver):
    target = smooth_image((20, 24), seed=6, low=0.35, high=0.65)
    source = smooth_image((16, 14), seed=7, low=0.35, high=0.65)
    mask = np.ones(source.shape[:2], bool)
    mask[0, 0] = False
    out = poisson_blend(source, target, mask, offset=offset, solver=solver).image
    r, c = offset
    r0, c0, r1, c1 = max(r, 0), max(c, 0), min(r + 16, 20), min(c + 14, 24)
    inside = np.s_[r0 - r:r1 - r, c0 - c:c1 - c]
    clipped = poisson_blend(source[inside], target, mask[inside], offset=(r0, c0), solver=solver).image
    assert np.abs(out - clipped).max() < 1e-6
    if solver == "direct":  # and it is the paper's equation, target differences off the source
        placed = np.zeros(target.shape[:2], bool)
        placed[r0:r1, c0:c1] = True
        region = placed.copy()
        region[r0:r1, c0:c1] = mask[inside]
        src = target.astype(float).copy()
        src[r0:r1, c0:c1] = source[inside]
        tgt = target.astype(float)

        def field(p, q):
            g = src if placed[p] and placed[q] else tgt
            return g[p] - g[q]

        assert poisson_residual(out.astype(float), tgt, region, field) < 1e-6


def test_soft_mask_blends_source_and_target_gradients(smooth_image):
    source, target = smooth_image((14, 16), seed=8, low=0.15, high=0.85), smooth_image((14, 16), seed=9, low=0.15, high=0.85)
    alpha = np.zeros((14, 16))
    alpha[3:11, 4:12] = 0.5
    alpha[5:9, 6:10] = 1.0
    out = poisson_blend(source, target, alpha).image
    s, t = source.astype(float), target.astype(float)

    def field(p, q):
        a = max(alpha[p], alpha[q])
        return a * (s[p] - s[q]) + (1 - a) * (t[p] - t[q])

    assert poisson_residual(out.astype(float), t, alpha > 0, field) < 1e-6
    hard = poisson_blend(source, target, alpha > 0).image
    assert np.abs(poisson_blend(source, target, (alpha > 0).astype(float)).image - hard).max() == 0


def test_one_pixel_wide_regions_work(images):
    source, target = images
    mask = np.zeros(target.shape[:2], bool)
    mask[:, 7] = True  # a full-height line: touches top and bottom
    line = mask.copy()
    mask[11, 14] = True  # and a single pixel
    src = source.astype(float)
    for region in (mask, line):
        for solver in EXACT:
            out = poisson_blend(source, target, region, solver=solver).image
            res = poisson_residual(out.astype(float), target.astype(float), region,
                                   lambda p, q: src[p] - src[q])
            assert res < 1e-6, solver
        # OpenCV's pipeline erodes a 1-pixel region away: the target comes back as is
        np.testing.assert_array_equal(poisson_blend(source, target, region, solver="fft").image,
                                      target)


def test_channel_rules(images):
    source, target = images
    mask = ellipse_with_hole(*target.shape[:2])
    grey = source[:, :, :1]
    np.testing.assert_allclose(poisson_blend(grey, target, mask).image,
                               poisson_blend(np.repeat(grey, 3, axis=2), target, mask).image, atol=1e-7)
    with pytest.raises(ParameterError) as err:
        poisson_blend(source, target[:, :, 0], mask).image
    assert err.value.field == "source" and "monochrome_transfer" in err.value.message
    rgba = np.concatenate([target, np.linspace(0, 1, target[:, :, :1].size,
                                               dtype=np.float32).reshape(target[:, :, :1].shape)],
                          axis=2)
    out = poisson_blend(np.concatenate([source, rgba[:, :, 3:] * 0], axis=2), rgba, mask).image
    np.testing.assert_array_equal(out[:, :, 3], rgba[:, :, 3])  # target's alpha kept
    np.testing.assert_allclose(out[:, :, :3], poisson_blend(source, target, mask).image, atol=1e-7)
    flat = poisson_blend(source[:, :, 0], target[:, :, 0], mask).image
    assert flat.shape == target.shape[:2]


def test_monochrome_transfer_imports_luminance_only(images):
    source, target = images
    mask = ellipse_with_hole(*target.shape[:2])
    luma = source.astype(float) @ np.array([0.299, 0.587, 0.114])
    expect = poisson_blend(np.repeat(luma[:, :, None], 3, axis=2).astype(np.float32), target,
                           mask).image
    np.testing.assert_allclose(monochrome_transfer(source, target, mask).image, expect, atol=1e-6)
    assert monochrome_transfer(source, target[:, :, :1], mask).image.shape == target[:, :, :1].shape


def test_callers_arrays_are_never_modified(images):
    source, target = images
    mask = ellipse_with_hole(*target.shape[:2]).astype(np.float32)[:, :, None]
    copies = [source.copy(), target.copy(), mask.copy()]
    for blend in (poisson_blend, mixed_blend, monochrome_transfer):
        for solver in ("direct", "fft"):
            blend(source, target, mask, offset=(1, -2), solver=solver)
    for before, after in zip(copies, (source, target, mask)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("kwargs, field", [
    (dict(mask=np.zeros((22, 26), bool)), "mask"),
    (dict(mask=np.ones((10, 26), bool)), "mask"),
    (dict(mask=np.full((22, 26), 1.5)), "mask"),
    (dict(offset=(30, 0)), "offset"),
    (dict(offset=(-22, 5)), "offset"),
    (dict(offset=(1.5, 0)), "offset"),
    (dict(solver="spsolve"), "solver"),
    (dict(tol=2.0), "tol"),
])
def test_bad_input_names_the_parameter(images, kwargs, field):
    source, target = images
    args = dict(source=source, target=target, mask=np.ones((22, 26), bool))
    args.update(kwargs)
    with pytest.raises(ParameterError) as err:
        poisson_blend(**args).image
    assert err.value.field == field


def test_selected_pixels_outside_the_target_are_refused(images):
    source, target = images
    mask = np.zeros((22, 26), bool)
    mask[:, -3:] = True  # only the right-most columns are selected ...
    with pytest.raises(ParameterError) as err:
        poisson_blend(source, target, mask, offset=(0, 20)).image  # ... and they land beyond
    assert err.value.field == "offset"


@pytest.mark.parametrize("solver", ["direct", "fft"])
@pytest.mark.parametrize("at, nudge, field", [((0.5, 0.5), (500, 500), "offset"),
                                              ((3.0, 3.0), (5, 5), "at"),
                                              ((3.0, 3.0), (0, 0), "at")])
def test_a_placement_outside_names_the_nudge_when_at_alone_lands(images, solver, at, nudge,
                                                                  field):
    """The review's nudge of (500, 500) on a centred cutout was reported as 'at'."""
    from imgfusion.layout.placement import Placement

    source, target = images
    with pytest.raises(ParameterError, match="entirely outside") as err:
        poisson_blend(source, target, np.ones((22, 26), bool), offset=nudge, solver=solver,
                      placement=Placement(at=at, units="fraction"))
    assert err.value.field == field


@pytest.mark.parametrize("which", ["source", "target"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_images_are_refused(images, which, bad):
    source, target = (im.copy() for im in images)
    (source if which == "source" else target)[3, 4, 1] = bad
    with pytest.raises(ParameterError) as err:
        poisson_blend(source, target, np.ones((22, 26), bool)).image
    assert err.value.field == which


def test_integer_images_are_refused_with_advice(images):
    with pytest.raises(ParameterError, match="divide by 255"):
        poisson_blend((images[0] * 255).astype(np.uint8), images[1], np.ones((22, 26), bool)).image


def test_a_grey_picture_stored_as_colour_blends_into_a_grey_photo():
    """R = G = B (what the style operators return for grey inputs) goes onto a grey target
    as its one channel; real colour on grey is still refused, naming the source."""
    import numpy as np
    import pytest

    from imgfusion.errors import ParameterError
    from imgfusion.gradient.blending import poisson_blend

    target = np.full((20, 20), 0.5, np.float32)
    grey = np.repeat(np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8, 1), 3, axis=2)
    mask = np.zeros((8, 8), bool)
    mask[2:6, 2:6] = True
    out = poisson_blend(grey, target, mask, offset=(6, 6)).image
    assert out.shape == (20, 20)
    colour = grey.copy()
    colour[..., 0] = 1 - colour[..., 0]
    with pytest.raises(ParameterError) as err:
        poisson_blend(colour, target, mask, offset=(6, 6))
    assert err.value.field == "source"
