"""A small cache of the setup that depends only on a mask (keyed by its bytes' hash).

Video frames, the channels of a batch and parameter sweeps solve many systems
under the same mask; the solvers keep what they build from the mask alone
(multigrid levels, AMG hierarchies, LU factors) here, so a repeated mask skips
that setup.  Least-recently used entries go first; :data:`MAX_ENTRIES` bounds
the memory.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Callable, TypeVar

import numpy as np

T = TypeVar("T")
MAX_ENTRIES = 4  # a 2048^2 multigrid entry holds ~50 MB of levels
_ENTRIES: OrderedDict = OrderedDict()
stats = {"hits": 0, "misses": 0}


def mask_key(kind: str, mask: np.ndarray, *extra) -> tuple:
    """(kind, shape, digest of the mask's bits, extra): what identifies a setup."""
    bits = np.packbits(np.ascontiguousarray(mask, dtype=bool))
    return (kind, mask.shape, hashlib.blake2b(bits.tobytes(), digest_size=16).hexdigest(),
            *extra)


def cached(kind: str, mask: np.ndarray, build: Callable[[], T], *extra) -> T:
    """``build()``'s result for this mask, built at most once while it stays cached."""
    key = mask_key(kind, mask, *extra)
    if key in _ENTRIES:
        _ENTRIES.move_to_end(key)
        stats["hits"] += 1
        return _ENTRIES[key]
    stats["misses"] += 1
    value = build()
    _ENTRIES[key] = value
    while len(_ENTRIES) > MAX_ENTRIES:
        _ENTRIES.popitem(last=False)
    return value


def clear() -> None:
    _ENTRIES.clear()
    stats.update(hits=0, misses=0)
