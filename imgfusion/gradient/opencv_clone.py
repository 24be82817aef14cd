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


def clone_fft(alpha: np.ndarray, placed: np.ndarray, target: np.ndarray, change,
              ) -> tuple[np.ndarray, dict]:
    """Steps 2-4 above, all in the target's frame; returns (image, info).

    ``alpha`` (H x W) is the placed mask with its frames already cleared,
    ``placed`` the source pasted over the target (H x W x C), and
    ``change(s, t)`` gives ``v - t`` from the source's and the target's forward
    differences (both C x h x w-1 or C x h-1 x w, float32).
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
    weight = eroded_weight(alpha[box])
    src = np.ascontiguousarray(placed[box].transpose(2, 0, 1), dtype=np.float32)
    tgt = np.ascontiguousarray(target[box].transpose(2, 0, 1), dtype=np.float32)
    b = np.zeros_like(tgt)  # minus the divergence of (field - grad target), C x h x w
    for lo, hi in ((np.s_[:, :, :-1], np.s_[:, :, 1:]), (np.s_[:, :-1, :], np.s_[:, 1:, :])):
        d = change(src[hi] - src[lo], tgt[hi] - tgt[lo])
        d *= np.ascontiguousarray(weight[lo[1:]])  # m at the left/top pixel of each edge
        b[lo] -= d
        b[hi] += d
    delta = solve_dirichlet(b[:, 1:-1, 1:-1])  # zero on the box's rim
    inner = out[box][1:-1, 1:-1]
    inner += delta.transpose(1, 2, 0)
    info["unknowns"] = delta.shape[1] * delta.shape[2]
    info["seconds"] = time.perf_counter() - start
    return out, info
