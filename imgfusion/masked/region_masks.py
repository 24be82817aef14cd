"""Checks and feathering of the masks that say where style goes."""
from __future__ import annotations

import numpy as np

from ..checks import check_feather, check_mask
from ..errors import ParameterError


def mask_list(mask, shape: tuple[int, int], field: str = "mask") -> list[np.ndarray]:
    """One H x W mask or a list of them -> float32 alphas of ``shape``, none of them empty."""
    masks = [mask] if isinstance(mask, np.ndarray) else list(mask or [])
    if not masks:
        raise ParameterError(field, "give at least one mask")
    out = []
    for i, m in enumerate(masks):
        which = field if len(masks) == 1 else f"{field}[{i}]"
        alpha = check_mask(m, shape, which)
        if not (alpha > 0).any():
            raise ParameterError(which, "the mask is empty (no pixel above 0): there is no "
                                        "region to stylise")
        out.append(alpha)
    return out


def check_disjoint(masks: list[np.ndarray], field: str = "mask") -> None:
    """Refuse region masks that overlap: wherever two masks sum to more than 1.

    Soft masks that add up to at most 1 (e.g. a feathered mask and its complement)
    share their transition band; hard masks may not share any pixel.
    """
    alphas = [np.asarray(m, dtype=np.float32) for m in masks]
    for i in range(len(alphas)):
        for j in range(i + 1, len(alphas)):
            shared = int(np.count_nonzero(alphas[i] + alphas[j] > 1 + 1e-6))
            if shared:
                raise ParameterError(field, f"masks {i} and {j} overlap on {shared} pixel(s) "
                                            f"(their alphas sum to more than 1); regions must "
                                            f"not overlap: subtract one mask from the other")


def feathered(alpha: np.ndarray, feather: float, field: str = "feather") -> np.ndarray:
    """``alpha`` times a ramp from 0 at the mask's outline to 1 at ``feather`` px inside
    (Euclidean distance to the nearest unselected pixel; the image border is no
    outline: a region that reaches it is styled to the edge); 0 leaves it unchanged.
    Pixels where ``alpha`` is 0 stay 0."""
    check_feather(feather, field)
    if feather == 0:
        return alpha
    from ..layout.mask_ops import inner_ramp

    return (alpha * inner_ramp(alpha > 0, feather)).astype(np.float32)
