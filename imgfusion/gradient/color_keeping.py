"""A blend that keeps the pasted piece's own colours: a gradient-domain seam fix
around an alpha composite.

Plain Poisson blending (Pérez et al. 2003) solves for the whole region, so the
mismatch along the boundary spreads as a smooth membrane over all of it: a
stylised cutout takes on the target's colours (a brown cup turns sky blue).  Here
the piece's solid core, deeper than ``band`` pixels inside its outline, is pasted
as it is (an alpha composite), and only the ``band``-wide ring between the core
and the outline is solved: Pérez Eq. 7 with the piece's gradients as guidance,
the target outside and the pasted core inside as boundary values.  The mismatch
is absorbed within the ring, so the seam goes and the colours stay (in the
spirit of Jia et al. 2006's boundary optimisation, with a fixed band instead of
an optimised path).  A soft mask's fringe is part of the ring and weighted as in
:mod:`imgfusion.gradient.blending`.
"""
from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

import numpy as np

from ..checks import check_image, match_channels, split_alpha
from ..limits import FEATHER_MAX
from ..layout.placement import Placement, check_lands, landed, resolve_placement
from .blend_measures import blend_scores
from .blending import poisson_blend
from .options import Offset, Tol
from ..operators import Data, Image, Mask, Range, operator


class KeptBlend(NamedTuple):
    """Attributes
    ----------
    image : the blended image, shaped like the target
    info : the ring's solver info, the band, and the blend's colour_distance and seam_visibility
    """

    image: Image
    info: Data


def solid_core(alpha: np.ndarray, band: int) -> np.ndarray:
    """The pixels of ``alpha``'s solid part (>= 0.5) more than ``band`` px from its outside."""
    from scipy.ndimage import distance_transform_edt

    solid = np.pad(alpha >= 0.5, 1)
    return distance_transform_edt(solid)[1:-1, 1:-1] > band


def paste_core(source: np.ndarray, target: np.ndarray, core: np.ndarray, offset):
    """``target`` with the ``core`` pixels of ``source`` (at ``offset``) pasted as they are."""
    colour, alpha = split_alpha(target)
    src = match_channels(split_alpha(source)[0], colour.shape[2])
    hw = colour.shape[:2]
    where = landed(core.astype(np.float32), offset, hw) > 0
    out = colour.astype(np.float32, copy=True)
    out[where] = landed(src, offset, hw)[where]
    return out if alpha is None else np.concatenate([out, alpha[..., None]], axis=2)


@operator(same_size=("source", "mask"), size_of="target",
          shape_check="imgfusion.layout.placement:source_lands")
def keep_colors_blend(source: Image, target: Image, mask: Mask, *,
                      offset: Offset = (0, 0),
                      placement: Placement = Placement(),
                      band: Annotated[int, Range(1, FEATHER_MAX)] = 6,
                      solver: Literal["auto", "direct", "cg", "multigrid", "mgpcg"] = "auto",
                      tol: Tol = 1e-8) -> KeptBlend:
    """Paste a piece keeping its own colours inside; only a band along its outline is re-solved.

    The piece's core is composited as it is; a ring ``band`` pixels wide inside the
    outline is solved as in ``poisson_blend`` so the seam disappears there.  Use it
    for stylised cutouts, whose colours plain Poisson blending replaces with the
    target's.  ``info`` also holds the blend's colour distance and seam visibility
    (:mod:`imgfusion.gradient.blend_measures`).

    Parameters
    ----------
    source : image the piece comes from
    target : image pasted into; the result has its size, channels and alpha
    mask : the piece, in the source's frame (alpha: its fringe is blended softly)
    offset : (row, col) of the source's top-left pixel in the target; with ``at``, a nudge in pixels
    placement : where the piece lands (see :class:`~imgfusion.layout.placement.Placement`)
    band : width in pixels of the ring inside the outline where the seam is solved away
    solver : the ring's solver (:mod:`imgfusion.gradient.solvers`)
    """
    check_image(source, "source")
    check_image(target, "target")
    src, alpha, offset = resolve_placement(placement, source, mask, target.shape[:2], offset)
    check_lands(placement, src.shape[:2], offset, target.shape[:2])
    return banded_blend(src, target, alpha, offset, band, (solver, tol))


def banded_blend(src, target, alpha, offset, band, how) -> KeptBlend:
    """:func:`keep_colors_blend` on a placed piece (``offset`` resolved, ``how`` = solver, tol)."""
    solver, tol = how
    core = solid_core(alpha, band)
    base = paste_core(src, target, core, offset)
    ring = np.where(core, 0.0, alpha).astype(np.float32)
    if (ring > 0).any():
        image, info = poisson_blend(src, base, ring, offset=offset, solver=solver, tol=tol)
    else:
        image, info = base, {"solver": None, "unknowns": 0}
    scores = blend_scores(image, src, target, alpha, offset)
    return KeptBlend(image, {**info, "band": band, **scores})


def best_blend(src, target, alpha, offset, band, how) -> KeptBlend:
    """The colour-keeping blend when it beats plain Poisson on colour fidelity and the alpha
    composite on seam visibility, else plain Poisson; ``info`` says which and why."""
    from ..layout.geometry import place

    kept = banded_blend(src, target, alpha, offset, band, how)
    plain = poisson_blend(src, target, alpha, offset=offset, solver=how[0], tol=how[1])
    scores = {"keep_colors": {k: kept.info[k] for k in ("colour_distance", "seam_visibility")},
              "poisson": blend_scores(plain.image, src, target, alpha, offset),
              "alpha": blend_scores(place(src, target, mask=alpha, offset=offset), src, target,
                                    alpha, offset)}
    better = (scores["keep_colors"]["colour_distance"] < scores["poisson"]["colour_distance"]
              and scores["keep_colors"]["seam_visibility"] < scores["alpha"]["seam_visibility"])
    chosen, result = ("keep_colors", kept) if better else ("poisson", plain)
    return KeptBlend(result.image, {**result.info, "blend": chosen, "scores": scores})
