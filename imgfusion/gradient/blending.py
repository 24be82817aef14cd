"""Seamless cloning (Pérez et al. 2003, section 3): importing and mixing gradients.

Frames and placement: ``mask`` is in the *source's* frame; ``offset`` = (row,
col) is where the source's top-left pixel lands in the target.  It may be
negative or push the source partly outside the target: the source and mask are
clipped to the target, and only the selected pixels that land inside the target
are solved.  Where the region touches the target's edge the neighbourhood is
truncated, as in the paper.  An edge whose far pixel lies outside the (clipped)
source takes the target's own difference there.

Soft masks: the unknown region is ``mask > 0``; each edge takes the larger
alpha ``a`` of its two pixels and the guidance is ``a * v + (1 - a) * grad f*``
(v: the source's gradient, or the mixed one).  A hard mask is therefore exactly
Pérez Eq. 7/11 (or 13), and a feathered mask fades the source's gradients
into the target's own, like OpenCV's weighting, without its 3-pixel erosion.

``solver="fft"`` follows OpenCV's seamlessClone instead (its own mask
preparation and weighting; :mod:`imgfusion.gradient.opencv_clone`).

Channels: the result has the target's channels.  An RGBA target keeps its
alpha untouched; an RGBA source's alpha is dropped (pass it as ``mask`` to use
it); a grey source on a colour target is replicated; a colour source on a grey
target is refused (use ``monochrome_transfer``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ParameterError
from ..operators import operator
from ..checks import (check_image, check_pair, join_alpha, luminance,
                      match_channels, split_alpha)
from ..layout.placement import Placement, resolve_placement
from .opencv_clone import clone_fft, without_frame
from .options import Offset, PasteMask, SolveDevice, Solver, Source, Target, Tol
from .result import GradientResult
from .solvers import check_solver, solve_guided, solve_region
from .system import EDGES, forward_differences


@operator(check="imgfusion.gradient.param_checks:check_blend", same_size=("source", "mask"),
          size_of="target", shape_check="imgfusion.layout.placement:source_lands")
def poisson_blend(source: Source, target: Target, mask: PasteMask, *, offset: Offset = (0, 0),
                  placement: Placement = Placement(),
                  solver: Solver = "auto", tol: Tol = 1e-8,
                  device: SolveDevice = "cpu") -> GradientResult:
    """Paste a masked source into a target seamlessly by importing its gradients.

    Pérez Eq. 7 and 11.  The images are (H, W, C) float arrays in [0, 1] (C = 1,
    3 or 4; a 2-D array is a grey image and a 2-D result is returned).  Solvers:
    see :mod:`imgfusion.gradient.solvers`; ``fft`` is OpenCV's seamlessClone
    algorithm (:mod:`imgfusion.gradient.opencv_clone`): fast but approximate, it
    erodes the mask by 3 pixels (OpenCV #17450) and re-solves the whole bounding
    box; the exact solvers are the default.  A GPU (``device``) takes ``mgpcg``
    (torch) and ``auto``.

    Parameters
    ----------
    placement
        by anchor: which point of the source's mask lands where (``at``, with ``offset``
        then a nudge), optionally rescaled (scale, fit)
    """
    return _blend(source, target, mask, (offset, placement), (solver, tol, device), _imported)


@operator(check="imgfusion.gradient.param_checks:check_blend", same_size=("source", "mask"),
          size_of="target", shape_check="imgfusion.layout.placement:source_lands")
def mixed_blend(source: Source, target: Target, mask: PasteMask, *, offset: Offset = (0, 0),
                placement: Placement = Placement(),
                solver: Solver = "auto", tol: Tol = 1e-8,
                device: SolveDevice = "cpu") -> GradientResult:
    """Seamless paste keeping the stronger gradient per pixel pair (holes, transparency).

    Per neighbour pair and channel the stronger of the two gradients is kept
    (Pérez Eq. 13): holes and transparent parts let the target's texture through.
    Unlike OpenCV's MIXED_CLONE (which compares ``|gx - gy|`` per pixel), this is
    the paper's magnitude test ``|f*_p - f*_q| > |g_p - g_q|`` on every pair.
    Images and solvers as :func:`poisson_blend`.

    """
    return _blend(source, target, mask, (offset, placement), (solver, tol, device), _mixed)


@operator(check="imgfusion.gradient.param_checks:check_blend", same_size=("source", "mask"),
          size_of="target", shape_check="imgfusion.layout.placement:source_lands")
def monochrome_transfer(source: Source, target: Target, mask: PasteMask, *,
                        offset: Offset = (0, 0),
                        placement: Placement = Placement(),
                        solver: Solver = "auto", tol: Tol = 1e-8,
                        device: SolveDevice = "cpu") -> GradientResult:
    """Seamless paste of the source's luminance texture only, not its colour.

    The source's luminance (BT.601, as OpenCV's MONOCHROME_TRANSFER) gradients are
    imported into every channel of the target, so the source's colour is not carried
    over (Pérez Fig. 5); any source channel count is accepted.  Images and solvers as
    :func:`poisson_blend`.
    """
    src, _ = split_alpha(check_image(source, "source", grey_2d=True).astype(np.float64))
    grey = luminance(src, "bt601")[:, :, None]
    return _blend(grey, target, mask, (offset, placement), (solver, tol, device), _imported)


def _imported(src_field, tgt_field):
    return src_field


def _mixed(src_field, tgt_field):
    return np.where(np.abs(tgt_field) > np.abs(src_field), tgt_field, src_field)


def _blend(source, target, mask, where, how, choose):
    solver, tol, device = how
    check_solver(solver, tol, device)
    ndim = np.ndim(target)
    # no float64 copy of the whole images: only the region's crop is converted
    tgt, keep_alpha = split_alpha(check_image(target, "target", grey_2d=True))
    src, _ = split_alpha(check_image(source, "source", grey_2d=True))
    src = match_channels(src, tgt.shape[2])
    nudge = check_pair(where[0], "offset")
    src, alpha, offset = resolve_placement(where[1], src, mask, tgt.shape[:2], nudge,
                                           nonempty=True, against="the source's size")
    at = (where[1].at, nudge)
    if solver == "fft":
        return _opencv_fft(src, alpha, tgt, offset, choose, (keep_alpha, ndim), at)
    # the inputs' own precision (float32 differences are exact in float64)
    placed = _place(src, alpha, tgt, offset, 1, np.result_type(src, tgt), *at)
    g, has_source, a = placed.g, placed.has_source, placed.alpha
    fstar = tgt[placed.crop]
    hard = bool(np.isin(a, (0.0, 1.0)).all())
    result = join_alpha(tgt, keep_alpha, 3)  # f* off the region, clipped as the result
    solved = result[placed.crop][:, :, :tgt.shape[2]]
    options = dict(solver=solver, tol=tol, device=device, out=solved, clip=True)
    if hard and choose is _imported:  # the common case: v = grad g where the source lands
        inside = None if has_source.all() else has_source
        _, info = solve_guided(a > 0, fstar, g, inside, **options)
    else:
        _, info = solve_region(a > 0, fstar, *_fields(placed, fstar, choose, hard), **options)
    return GradientResult(result[:, :, 0] if ndim == 2 else result, info)


def _fields(placed, fstar, choose, hard):
    """The guidance (gh, gv): ``choose``'s field where the source lands, the target's
    own elsewhere, faded into the target's by a soft mask."""
    out = []
    for (lo, hi), s, t in zip(EDGES, forward_differences(placed.g, np.float64),
                              forward_differences(fstar, np.float64)):
        if not placed.has_source.all():
            s = np.where((placed.has_source[lo] & placed.has_source[hi])[:, :, None], s, t)
        v = choose(s, t)
        if hard:  # an edge off the region (weight 0) does not enter Eq. 7
            out.append(v)
        else:
            w = np.maximum(placed.alpha[lo], placed.alpha[hi])[:, :, None]
            out.append(t + w * (v - t))
    return out


def _assemble(tgt, keep_alpha, ndim, crop, solved):
    """The float32 result: ``tgt`` (clipped, its alpha back) with ``solved`` on ``crop``."""
    out = join_alpha(tgt, keep_alpha, 3)
    np.clip(solved, 0.0, 1.0, out=out[crop][:, :, :solved.shape[2]])
    return out[:, :, 0] if ndim == 2 else out


def _opencv_fft(src, alpha, tgt, offset, choose, finish, at=(None, (0, 0))):
    """OpenCV's seamlessClone pipeline (:mod:`imgfusion.gradient.opencv_clone`), in float32."""
    alpha = without_frame(alpha)  # in the source's frame, as OpenCV does
    if not (alpha > 0).any():
        info = {"solver": "fft", "unknowns": 0, "residual": None, "seconds": 0.0}
        return GradientResult(join_alpha(tgt, *finish), info)
    placed = _place(src, alpha, tgt, offset, 0, np.float32, *at)
    out, info = clone_fft(_without_image_frame(placed.alpha, placed.crop, tgt.shape),
                          placed.g, tgt[placed.crop], choose is _mixed)
    return GradientResult(_assemble(tgt, *finish, placed.crop, out), info)


def _without_image_frame(a, crop, shape):
    """``a`` (on ``crop``) with the target's outer 1-pixel frame cleared, as OpenCV would."""
    a = a.copy()
    (rows, cols), (h, w) = crop, shape[:2]
    a[[0] if rows.start == 0 else [], :] = 0
    a[[-1] if rows.stop == h else [], :] = 0
    a[:, [0] if cols.start == 0 else []] = 0
    a[:, [-1] if cols.stop == w else []] = 0
    return a


class Placed(NamedTuple):
    """The source placed over the target, on ``crop`` (in the target's frame) only."""
    crop: tuple[slice, slice]
    g: np.ndarray           # the source's pixels where it lands, the target's elsewhere
    has_source: np.ndarray  # where the source lands
    alpha: np.ndarray       # the mask's alpha where it lands, 0 elsewhere


def _target_around(g, tgt, here):
    """``g = tgt`` outside the box ``here`` (the rows above and below it, then the columns
    beside it): each cell of g written once (a copy of the whole crop first cost 0.7 ms
    at 1024^2)."""
    rows, cols = here
    g[:rows.start], g[rows.stop:] = tgt[:rows.start], tgt[rows.stop:]
    g[rows, :cols.start], g[rows, cols.stop:] = tgt[rows, :cols.start], tgt[rows, cols.stop:]


def _blame(at, offset, nudge, hw, target_hw) -> tuple[str, str]:
    """(field, what) of a placement that misses the target: ``offset`` without ``at``; with
    it, ``at``, or the ``offset`` nudge when ``at`` alone would have overlapped."""
    if at is None:
        return "offset", f"{offset}"
    base = (offset[0] - nudge[0], offset[1] - nudge[1])
    if any(nudge) and all(-n < b < t for b, n, t in zip(base, hw, target_hw)):
        return "offset", (f"the nudge {tuple(nudge)} (the source's top-left corner moved from "
                          f"{base} to {offset})")
    return "at", f"{tuple(at)} (the source's top-left corner at {offset})"


def _place(src, alpha, tgt, offset, margin, dtype, at=None, nudge=(0, 0)):
    """The placement on the placed mask's bounding box grown by ``margin`` (clipped);
    ``at`` and ``nudge`` (the operator's offset): the placement's, which its errors then
    name (:func:`_blame`)."""
    (hs, ws), (ht, wt) = alpha.shape, tgt.shape[:2]
    r, c = offset
    field, what = _blame(at, offset, nudge, (hs, ws), (ht, wt))
    r0, r1, c0, c1 = max(r, 0), min(r + hs, ht), max(c, 0), min(c + ws, wt)
    if r0 >= r1 or c0 >= c1:
        raise ParameterError(field, f"{what} puts the {hs} x {ws} source entirely outside the "
                                    f"{ht} x {wt} target")
    selected = alpha[r0 - r:r1 - r, c0 - c:c1 - c] > 0
    rows, cols = np.flatnonzero(selected.any(axis=1)), np.flatnonzero(selected.any(axis=0))
    if rows.size == 0:
        raise ParameterError(field, f"{what} leaves no selected mask pixel inside the "
                                    f"{ht} x {wt} target")
    crop = (slice(max(r0 + rows[0] - margin, 0), min(r0 + rows[-1] + 1 + margin, ht)),
            slice(max(c0 + cols[0] - margin, 0), min(c0 + cols[-1] + 1 + margin, wt)))
    (top, bottom), (left, right) = ((max(s.start, lo), min(s.stop, hi))
                                    for s, lo, hi in zip(crop, (r0, c0), (r1, c1)))
    here = np.s_[top - crop[0].start:bottom - crop[0].start,
                 left - crop[1].start:right - crop[1].start]
    there = np.s_[top - r:bottom - r, left - c:right - c]
    g = np.empty((crop[0].stop - crop[0].start, crop[1].stop - crop[1].start,
                  tgt.shape[2]), dtype)
    g[here] = src[there]
    _target_around(g, tgt[crop], here)
    has_source = np.zeros(g.shape[:2], dtype=bool)
    has_source[here] = True
    a = np.zeros(g.shape[:2], dtype)
    a[here] = alpha[there]
    return Placed(crop, g, has_source, a)
