"""The built-in ``local`` executor: a process pool on this machine.

``concurrent.futures.ProcessPoolExecutor`` with a ``forkserver`` context
(``spawn`` where there is none): workers never inherit the driver's threads or
a half-initialised torch, and fork from a server that has imported imgfusion's
recipe machinery once (``PRELOAD``), so a fresh pool starts in well under a
second.  Workers live for the whole batch, so whatever they
load (the operator registry, VGG weights) is loaded once per process.

When a worker dies (killed, out of memory, ``os._exit``) the pool is broken and
every call in flight fails with ``BrokenProcessPool``; the runner resubmits
those items and the next ``submit`` starts a fresh pool.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import UsageError
from ..executors import Executor, ExecutorOptions


def _pin_gpu(counter, n_gpus: int) -> None:
    """Pool initializer: give each worker process one GPU, round robin."""
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    os.environ["CUDA_VISIBLE_DEVICES"] = str(index % n_gpus)


# Imported once by the fork server, so that each worker forks warm (numpy, pydantic,
# the recipe machinery and the I/O operators; not torch, which only style recipes need).
PRELOAD = ["imgfusion.batch.work", "imgfusion.engine", "imgfusion.recipe", "imgfusion.io.read",
           "imgfusion.io.write", "imgfusion.layout.geometry"]


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, options: ExecutorOptions):
        super().__init__(options)
        self.workers = options.workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._init: tuple = ()
        self._abandon = False

    def start(self) -> None:
        if self.options.address:
            raise UsageError("--address is for the dask and ray executors; the local "
                             "executor runs on this machine")
        g = self.options.gpus_per_task
        if g > 0:
            n_gpus = _visible_gpus()
            if n_gpus == 0:
                raise UsageError(f"--gpus-per-task {g}: no GPU is visible on this machine")
            self.workers = max(1, min(self.workers, math.floor(n_gpus / g)))
            ctx = _context()
            self._init = (_pin_gpu, (ctx.Value("i", 0), n_gpus))
        self._new_pool()

    def _new_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        initializer, initargs = self._init or (None, ())
        self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                         initializer=initializer, initargs=initargs)

    def submit(self, fn, *args):
        try:
            return self._pool.submit(fn, *args)
        except BrokenProcessPool:
            self._new_pool()
            return self._pool.submit(fn, *args)

    def cancel(self, handles) -> None:
        super().cancel(handles)
        self._abandon = True

    def close(self) -> None:
        if self._pool is None:
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=not self._abandon, cancel_futures=True)
        for p in processes:          # after Ctrl-C a running item is abandoned, not awaited
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)
        self._pool = None

    def describe(self) -> str:
        return f"local ({self.workers} processes)"


def _visible_gpus() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count()
