"""Memory the multigrid solver (:mod:`.mgpcg`) keeps between solves: work arrays, threads.

Fresh pages cost more than the passes a solve makes over them (at 2048^2 a
solve's ~350 MB of work arrays took 0.2-1 s to fault in on the shared
machine), so work arrays of the same name and shape are reused, per thread,
whatever the mask: the pool keeps at most :data:`SCRATCH_BYTES` between
solves (:func:`trim`), least recently used going first; during one, the
arrays it uses (:data:`in_use`) stay.  At 8192^2 a solve's arrays are
gigabytes, and go once it ends.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SCRATCH_BYTES = 512 * 2 ** 20
_SCRATCH: OrderedDict = OrderedDict()
in_use: set = set()  # the keys of the solve under way (the solver clears it)
_POOLS: dict = {}


def scratch(name: str, shape: tuple, dtype) -> np.ndarray:
    """A work array kept between calls, per thread, whatever the mask.

    An array starts zeroed; its users write every cell they read (the padding
    stays zero: no kernel writes it).
    """
    key = (threading.get_ident(), name, shape, np.dtype(dtype).str)
    array = _SCRATCH.pop(key, None)  # put back last: the most recently used
    in_use.add(key)
    _SCRATCH[key] = np.zeros(shape, dtype) if array is None else array
    if array is None:
        trim(in_use)  # only a new array can take the pool over its bound
    return _SCRATCH[key]


def trim(keep=frozenset()) -> None:
    """Drop pooled work arrays, least recently used first, down to :data:`SCRATCH_BYTES`
    (sparing ``keep``): at 8192^2 a solve's arrays are gigabytes, and go once it ends."""
    total = sum(a.nbytes for a in _SCRATCH.values())
    for key in list(_SCRATCH):
        if total <= SCRATCH_BYTES:
            return
        if key not in keep:  # another thread may have taken it already
            total -= getattr(_SCRATCH.pop(key, None), "nbytes", 0)


def pool(workers: int) -> ThreadPoolExecutor:
    """A lasting pool of ``workers`` threads (work arrays are pooled per thread)."""
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="mgpcg")
    return _POOLS[workers]
