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

import numpy as np

from ..errors import ParameterError
from ..checks import (check_image, check_mask, check_pair, join_alpha, luminance,
                      match_channels, split_alpha)
from .opencv_clone import clone_fft, without_frame
from .result import GradientResult
from .solvers import check_solver, solve_in_crop
from .system import EDGES, forward_differences


def poisson_blend(source, target, mask, *, offset=(0, 0), solver="auto", tol=1e-8, device="cpu"):
    """Paste ``source`` into ``target`` by importing its gradients (Pérez Eq. 7, 11).

    Parameters
    ----------
    source, target : (H, W, C) float arrays in [0, 1]
        C = 1, 3 or 4; a 2-D array is a grey image and a 2-D result is returned.
    mask : (Hs, Ws) bool or float alpha array
        The region to paste, in the source's frame.
    offset : (int, int)
        (row, col) of the source's top-left corner in the target.
    solver : {"auto", "direct", "cg", "multigrid", "mgpcg", "fft"}
        See :mod:`imgfusion.gradient.solvers`.  ``fft`` is OpenCV's seamlessClone
        algorithm (:mod:`imgfusion.gradient.opencv_clone`): fast but approximate,
        it erodes the mask by 3 pixels (OpenCV #17450) and re-solves the whole
        bounding box; the exact solvers are the default.
    tol : float
        Relative residual at which the iterative solvers stop.
    device : {"cpu", "cuda", "cuda:N"}
        Where the solve runs; a GPU takes ``mgpcg`` (torch) and ``auto``.

    Returns
    -------
    image, info : float32 array shaped like ``target``
        The result; ``info`` says how it was solved (:class:`GradientResult`).
    """
    return _blend(source, target, mask, offset, (solver, tol, device), _imported)


def mixed_blend(source, target, mask, *, offset=(0, 0), solver="auto", tol=1e-8, device="cpu"):
    """Paste ``source`` into ``target`` keeping, per neighbour pair and channel, the
    stronger of the two gradients (Pérez Eq. 13): holes and transparent parts let
    the target's texture through.

    Unlike OpenCV's MIXED_CLONE (which compares ``|gx - gy|`` per pixel), this is
    the paper's magnitude test ``|f*_p - f*_q| > |g_p - g_q|`` on every pair.
    Parameters and result as :func:`poisson_blend`.
    """
    return _blend(source, target, mask, offset, (solver, tol, device), _mixed)


def monochrome_transfer(source, target, mask, *, offset=(0, 0), solver="auto", tol=1e-8,
                        device="cpu"):
    """Paste only the *texture* of ``source``: its luminance gradients, imported
    into every channel of ``target``, so the source's colour is not carried over
    (Pérez Fig. 5).  Parameters and result as :func:`poisson_blend`; any source
    channel count is accepted.
    """
    src, _ = split_alpha(check_image(source, "source", grey_2d=True).astype(np.float64))
    grey = luminance(src, "bt601")[:, :, None]
    return _blend(grey, target, mask, offset, (solver, tol, device), _imported)


def _imported(src_field, tgt_field):
    return src_field


def _mixed(src_field, tgt_field):
    return np.where(np.abs(tgt_field) > np.abs(src_field), tgt_field, src_field)


_CHANGES = {_imported: lambda s, t: s - t,  # v - grad(target), for the fft pipeline
            _mixed: lambda s, t: np.where(np.abs(t) > np.abs(s), 0, s - t)}


def _blend(source, target, mask, offset, how, choose):
    solver, tol, device = how
    check_solver(solver, tol, device)
    ndim = np.ndim(target)
    tgt, keep_alpha = split_alpha(check_image(target, "target", grey_2d=True).astype(np.float64))
    src, _ = split_alpha(check_image(source, "source", grey_2d=True).astype(np.float64))
    src = match_channels(src, tgt.shape[2])
    alpha = check_mask(mask, src.shape[:2], "mask", "the source's size",
                       nonempty=True).astype(np.float64)
    if solver == "fft":
        out, info = _opencv_fft(src, alpha, tgt, check_pair(offset, "offset"), choose)
        result = join_alpha(out, keep_alpha, ndim)
        return GradientResult(result, info)
    g, has_source, a = _place(src, alpha, tgt, check_pair(offset, "offset"))

    hard = bool(np.isin(alpha, (0.0, 1.0)).all())

    def fields(crop):
        inside, weight = has_source[crop], a[crop]
        if hard and choose is _imported and inside.all():
            return forward_differences(g[crop])  # the common case, in two subtractions
        out = []
        pairs = zip(EDGES, forward_differences(g[crop]), forward_differences(tgt[crop]))
        for (lo, hi), s, t in pairs:
            if not inside.all():
                s = np.where((inside[lo] & inside[hi])[:, :, None], s, t)
            v = choose(s, t)
            if hard:  # an edge off the region (weight 0) does not enter Eq. 7
                out.append(v)
            else:
                w = np.maximum(weight[lo], weight[hi])[:, :, None]
                out.append(t + w * (v - t))
        return out

    out, info = solve_in_crop(a > 0, tgt, fields, solver=solver, tol=tol, device=device)
    result = join_alpha(out, keep_alpha, ndim)
    return GradientResult(result, info)


def _opencv_fft(src, alpha, tgt, offset, choose):
    """OpenCV's seamlessClone pipeline (:mod:`imgfusion.gradient.opencv_clone`)."""
    alpha = without_frame(alpha)  # in the source's frame, as OpenCV does
    if not (alpha > 0).any():
        return tgt, {"solver": "fft", "unknowns": 0, "residual": None, "seconds": 0.0}
    g, _, a = _place(src, alpha, tgt, offset)
    return clone_fft(without_frame(a), g, tgt, _CHANGES[choose])


def _place(src, alpha, tgt, offset):
    """Source, has-source flags and alpha in the target's frame, clipped."""
    (hs, ws), (ht, wt) = alpha.shape, tgt.shape[:2]
    r, c = offset
    r0, r1, c0, c1 = max(r, 0), min(r + hs, ht), max(c, 0), min(c + ws, wt)
    if r0 >= r1 or c0 >= c1:
        raise ParameterError("offset", f"{offset} puts the {hs}x{ws} source entirely outside "
                                       f"the {ht}x{wt} target")
    inside, from_src = np.s_[r0:r1, c0:c1], np.s_[r0 - r:r1 - r, c0 - c:c1 - c]
    g = tgt.copy()
    g[inside] = src[from_src]
    has_source = np.zeros((ht, wt), dtype=bool)
    has_source[inside] = True
    a = np.zeros((ht, wt))
    a[inside] = alpha[from_src]
    if not (a > 0).any():
        raise ParameterError("offset", f"{offset} leaves no selected mask pixel inside the "
                                       "target")
    return g, has_source, a
