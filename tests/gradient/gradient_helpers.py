"""Test helpers: masks and an independent, loop-based check of Pérez Eq. 7 (the smooth
test image is the shared ``smooth_image`` fixture of tests/conftest.py)."""
from __future__ import annotations

import numpy as np


def ellipse_with_hole(h, w):
    rr, cc = np.mgrid[:h, :w]
    outer = ((rr - h / 2) / (0.4 * h)) ** 2 + ((cc - w / 2) / (0.4 * w)) ** 2 < 1
    hole = ((rr - h / 2) / (0.12 * h)) ** 2 + ((cc - w / 2) / (0.12 * w)) ** 2 < 1
    return outer & ~hole


def poisson_residual(result, fstar, region, field):
    """max relative residual of Eq. 7, pixel by pixel with plain loops.

    ``field(p, q)`` gives v_pq (a length-C vector).  Neighbours outside the
    image are skipped (the truncated neighbourhood).
    """
    h, w = region.shape
    res, scale = [], []
    for r in range(h):
        for c in range(w):
            if not region[r, c]:
                continue
            lhs = np.zeros(result.shape[2])
            rhs = np.zeros(result.shape[2])
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                q = (r + dr, c + dc)
                if not (0 <= q[0] < h and 0 <= q[1] < w):
                    continue
                lhs += result[r, c]
                if region[q]:
                    lhs -= result[q]
                else:
                    rhs += fstar[q]
                rhs += field((r, c), q)
            res.append(lhs - rhs)
            scale.append(rhs)
    return float(np.linalg.norm(np.array(res)) / np.linalg.norm(np.array(scale)))
