"""OpenCV's ``seamlessClone`` pipeline: the ``fft`` solver of the seamless-cloning operators.

``poisson_blend``, ``mixed_blend`` and ``monochrome_transfer`` with ``solver="fft"``
reproduce ``cv2.seamlessClone`` (modules/photo/src/seamless_cloning*.cpp), step
by step, in float:

1. the mask's outer 1-pixel frame is forced to 0, in the source's frame (as
   OpenCV does) and in the target's (where OpenCV would refuse the placement);
2. the solve box is the bounding rectangle of the remaining mask; its own
   1-pixel rim holds the Dirichlet values (the target's pixels there), so mask
   pixels on that rim are not pasted;
3. the mask is eroded by a 3 x 3 square three times (zero outside the box) into
   a weight ``m``, and the guidance over the *whole box* is
   ``m * v + (1 - m) * grad(target)`` with ``m`` taken at the left/top pixel of
   each forward-difference edge (v: the source's gradient, or the mixed one);
4. the divergence (backward differences) is solved on the box's interior by a
   sine transform (DST-I), and every interior pixel is replaced, inside the
   mask or not.

This is *approximate*: the erosion lets the target's colour reach 3 pixels into
the mask (OpenCV #17450) and pixels of the box outside the mask move too.  Only
the placement differs from OpenCV: ``offset`` is the source's top-left corner,
not the centre of the mask's bounding box.  The exact solvers are the default.
"""
from __future__ import annotations

import time

import numpy as np
from numba import njit
from scipy import ndimage

from .fast_poisson import solve_dirichlet

EROSIONS = 3  # OpenCV: erode(mask, 3x3 kernel, iterations=3)


def without_frame(alpha: np.ndarray) -> np.ndarray:
    """A copy of ``alpha`` with its outer 1-pixel frame set to 0 (OpenCV #12496)."""
    out = alpha.copy()
    out[[0, -1], :] = 0
    out[:, [0, -1]] = 0
    return out


def eroded_weight(alpha: np.ndarray) -> np.ndarray:
    """``alpha`` eroded by a 3 x 3 square ``EROSIONS`` times, with 0 beyond its edges.

    Done as one (separable) minimum filter over a (2 EROSIONS + 1)-square, which
    is the same thing: repeated 3 x 3 minima widen the square by 2 each time.
    """
    return ndimage.minimum_filter(np.asarray(alpha, dtype=np.float32), size=2 * EROSIONS + 1,
                                  mode="constant", cval=0.0)


def clone_fft(alpha: np.ndarray, placed: np.ndarray, target: np.ndarray, mixed: bool,
              ) -> tuple[np.ndarray, dict]:
    """Steps 2-4 above, all in the target's frame; returns (image, info).

    ``alpha`` (H x W) is the placed mask with its frames already cleared,
    ``placed`` the source pasted over the target (H x W x C), and ``mixed``
    picks the mixed guidance (the stronger of the two differences) over the
    source's.
    """
    start = time.perf_counter()
    out = target.copy()
    rows = np.flatnonzero((alpha > 0).any(axis=1))
    cols = np.flatnonzero((alpha > 0).any(axis=0))
    info = {"solver": "fft", "unknowns": 0, "residual": None}
    if rows.size == 0 or rows[-1] - rows[0] < 2 or cols[-1] - cols[0] < 2:
        info["seconds"] = time.perf_counter() - start
        return out, info  # no interior to solve: OpenCV leaves the target as is
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    b = np.empty((out.shape[2], h - 2, w - 2), np.float32)  # zero on the box's rim
    weighted_divergence(placed[box], target[box], eroded_weight(alpha[box]), mixed, b)
    add_channels_last(out[box][1:-1, 1:-1], solve_dirichlet(b))
    info["unknowns"] = b.shape[1] * b.shape[2]
    info["seconds"] = time.perf_counter() - start
    return out, info


@njit(cache=True, fastmath=True, nogil=True)
def _edge(s, t, m, i0, j0, i1, j1, c, mixed):
    """m at (i0, j0) times (v - grad target) on the edge (i0, j0) -> (i1, j1)."""
    ds = np.float32(s[i1, j1, c]) - np.float32(s[i0, j0, c])
    dt = np.float32(t[i1, j1, c]) - np.float32(t[i0, j0, c])
    drop = mixed and abs(dt) > abs(ds)  # the target's difference is the stronger: no change
    return m[i0, j0] * (ds - dt) * np.float32(0.0 if drop else 1.0)


@njit(cache=True, fastmath=True, nogil=True)
def weighted_divergence(s, t, m, mixed, out):
    """``out`` (C x h-2 x w-2) = minus the divergence of m (v - grad t) inside the box.

    ``s``, ``t``: the placed source and the target on the box (h x w x C);
    the edge field is taken at its left/top pixel's weight ``m``, as OpenCV does.
    """
    h, w, nc = s.shape
    for i in range(1, h - 1):
        for c in range(nc):
            for j in range(1, w - 1):
                out[c, i - 1, j - 1] = (_edge(s, t, m, i, j - 1, i, j, c, mixed)
                                        - _edge(s, t, m, i, j, i, j + 1, c, mixed)
                                        + _edge(s, t, m, i - 1, j, i, j, c, mixed)
                                        - _edge(s, t, m, i, j, i + 1, j, c, mixed))


@njit(cache=True, fastmath=True, nogil=True)
def add_channels_last(out, delta):
    """``out`` (h x w x C, any strides) += ``delta`` (C x h x w)."""
    h, w, nc = out.shape
    for i in range(h):
        for j in range(w):
            for c in range(nc):
                out[i, j, c] += delta[c, i, j]
