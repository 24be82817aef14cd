"""solver="fft" of the blending operators is OpenCV's seamlessClone algorithm, pinned
against an independent dense solve of the same bounding-box system (not against
OpenCV itself, which bench/poisson_speed.py compares with when installed)."""
import numpy as np
import pytest


from imgfusion.gradient.blending import mixed_blend, poisson_blend


def erode3x3(alpha, times=3):
    """Plain 3 x 3 minimum, ``times`` times, 0 beyond the edges."""
    for _ in range(times):
        p = np.pad(alpha, 1)
        alpha = np.min([p[1 + dr:p.shape[0] - 1 + dr, 1 + dc:p.shape[1] - 1 + dc]
                        for dr in (-1, 0, 1) for dc in (-1, 0, 1)], axis=0)
    return alpha


def opencv_by_hand(source, target, mask, offset, pick):
    """seamlessClone's steps with loops and a dense solve (source placed at offset)."""
    mask = mask.astype(float).copy()
    mask[[0, -1]] = 0
    mask[:, [0, -1]] = 0
    h, w = mask.shape
    r, c = offset
    s = target.astype(float).copy()
    s[r:r + h, c:c + w] = source
    a = np.zeros(target.shape[:2])
    a[r:r + h, c:c + w] = mask
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    s, t, m = s[box], target.astype(float)[box], erode3x3(a[box])
    bh, bw = m.shape

    def v(p, q):  # field on the edge p -> q (q right of or below p): m at p
        return m[p] * pick(s[q] - s[p], t[q] - t[p]) + (1 - m[p]) * (t[q] - t[p])

    inner = [(i, j) for i in range(1, bh - 1) for j in range(1, bw - 1)]
    index = {p: k for k, p in enumerate(inner)}
    lap = np.zeros((len(inner), len(inner)))
    rhs = np.zeros((len(inner), t.shape[2]))
    for k, (i, j) in enumerate(inner):
        lap[k, k] = -4
        rhs[k] = v((i, j), (i, j + 1)) - v((i, j - 1), (i, j)) \
            + v((i, j), (i + 1, j)) - v((i - 1, j), (i, j))
        for q in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if q in index:
                lap[k, index[q]] = 1
            else:
                rhs[k] -= t[q]  # the box's rim: Dirichlet values from the target
    out = target.astype(float).copy()
    out[box][1:-1, 1:-1] = np.linalg.solve(lap, rhs).reshape(bh - 2, bw - 2, -1)
    return out


def blob(h, w):
    rr, cc = np.mgrid[:h, :w]
    return ((rr - h / 2) / (0.45 * h)) ** 2 + ((cc - w / 2) / (0.35 * w)) ** 2 < 1


@pytest.mark.parametrize("blend, pick", [
    (poisson_blend, lambda s, t: s),
    (mixed_blend, lambda s, t: np.where(np.abs(t) > np.abs(s), t, s))])
def test_fft_is_opencvs_bounding_box_system(smooth_image, blend, pick):
    target = smooth_image((30, 34), seed=11, low=0.3, high=0.7)
    source = smooth_image((22, 20), seed=12, low=0.3, high=0.7)
    mask = blob(22, 20)
    mask[:, :3] = True  # reaches the source's edge: OpenCV clears that frame pixel
    out = blend(source, target, mask, offset=(4, 7), solver="fft").image
    expected = opencv_by_hand(source, target, mask, (4, 7), pick)
    assert np.abs(out - expected).max() < 1e-5  # float32 transforms
    # the whole box interior is re-solved, also outside the mask (OpenCV does so)
    placed = np.zeros(target.shape[:2], bool)
    placed[4:26, 7:27] = mask
    assert np.abs(out - target)[~placed].max() > 1e-4


def test_fft_soft_mask_weights_by_the_eroded_alpha(smooth_image):
    target = smooth_image((24, 24), seed=13, low=0.3, high=0.7)
    source = smooth_image((24, 24), seed=14, low=0.3, high=0.7)
    alpha = 0.6 * blob(24, 24) + 0.4 * blob(24, 24) * np.linspace(0, 1, 24)[None, :]
    out = poisson_blend(source, target, alpha, solver="fft").image
    expected = opencv_by_hand(source, target, alpha, (0, 0), lambda s, t: s)
    assert np.abs(out - expected).max() < 1e-5


def test_fft_leaves_pixels_beyond_the_box_and_on_its_rim_alone(smooth_image):
    target = smooth_image((20, 20), seed=15, low=0.15, high=0.85)
    source = smooth_image((20, 20), seed=16, low=0.15, high=0.85)
    mask = np.zeros((20, 20), bool)
    mask[5:15, 6:16] = True
    out = poisson_blend(source, target, mask, solver="fft").image
    keep = np.ones((20, 20), bool)
    keep[6:14, 7:15] = False  # the box 5:15 x 6:16 minus its rim
    np.testing.assert_array_equal(out[keep], target[keep])
    assert np.abs(out - target)[~keep].max() > 1e-3
