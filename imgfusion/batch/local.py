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

Stopping: workers ignore SIGINT and SIGTERM (Ctrl-C in a terminal, or a service
manager, signals the whole process group; the driver alone decides).  After an
interrupt the driver sends each worker ``STOP`` (SIGUSR1), which interrupts a running
item inside Python (its work folder is removed) and then ends the worker through its
exit handlers, so the named semaphores a worker made (tqdm's lock) are unlinked: no
"leaked semaphore" warning.  A worker that has not left after ``STOP_S`` s is killed.
"""
from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import UsageError
from ..executors import Executor, ExecutorOptions


STOP = signal.SIGUSR1   # the driver's "stop" to its workers
STOP_S = 5.0   # how long stopped workers get to leave before they are killed
_WORKER = {"busy": False, "stopping": False}   # this worker process's state


def _worker_init(counter=None, n_gpus: int = 0) -> None:
    """Pool initializer: the signals as the module says; with GPUs, one GPU per worker
    process, round robin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(STOP, _on_stop)
    if counter is not None:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        os.environ["CUDA_VISIBLE_DEVICES"] = str(index % n_gpus)


def _on_stop(signum, frame) -> None:
    if not _WORKER["stopping"]:
        _WORKER["stopping"] = True
        threading.Thread(target=_leave_soon, daemon=True).start()
    if _WORKER["busy"]:
        raise KeyboardInterrupt      # the item stops, its clean-up runs; the call reports it
    signal.signal(STOP, signal.SIG_IGN)   # nothing may cut the exit handlers short
    raise SystemExit(0)              # idle: leave through the exit handlers


def _leave_soon() -> None:
    """A stopped worker leaves even when no shutdown reaches it (a SIGTERM to the whole
    process group also ends the fork server and the driver): it repeats the signal to
    itself until it finds itself idle."""
    while True:
        time.sleep(0.2)
        os.kill(os.getpid(), STOP)


def _call(fn, *args):
    """What the pool runs: ``fn(*args)``, unless this worker was told to stop."""
    if _WORKER["stopping"]:
        raise KeyboardInterrupt
    _WORKER["busy"] = True
    try:
        return fn(*args)
    finally:
        _WORKER["busy"] = False


# Imported once by the fork server, so that each worker forks warm: numpy, pydantic, the
# recipe machinery, the I/O and layout operators and what they import when first called
# (PIL's codecs, skimage.transform, scipy.ndimage: half a second a worker paid at its first
# item), and the registry of the built-in operators (imgfusion.batch.warm); not torch,
# which only style recipes need.  A module that fails to import is skipped.
PRELOAD = ["imgfusion.batch.work", "imgfusion.engine", "imgfusion.recipe", "imgfusion.io.read",
           "imgfusion.io.write", "imgfusion.layout.geometry", "imgfusion.layout.masks",
           "PIL.Image", "PIL.PngImagePlugin", "PIL.JpegImagePlugin", "PIL.TiffImagePlugin",
           "skimage.transform", "scipy.ndimage", "imgfusion.batch.warm"]


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
        self._init: tuple = ()      # the initializer's GPU arguments
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
            self._init = (ctx.Value("i", 0), n_gpus)
        self._new_pool()

    def _new_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                         initializer=_worker_init, initargs=self._init)

    def submit(self, fn, *args):
        try:
            return self._pool.submit(_call, fn, *args)
        except BrokenProcessPool:
            self._new_pool()
            return self._pool.submit(_call, fn, *args)

    def wait(self, handles, timeout: float) -> list:
        """Block until a call finishes (no polling)."""
        done, _ = concurrent.futures.wait(list(handles), timeout, FIRST_COMPLETED)
        return list(done)

    def result(self, handle):
        if isinstance(handle.exception(), KeyboardInterrupt):   # its worker was stopped
            raise BrokenProcessPool("its worker process was stopped")
        return handle.result()

    def cancel(self, handles) -> None:
        """Mark the pool abandoned; :meth:`close` (which the runner calls next) cancels
        what has not started, from the pool's own manager thread.  A future cancelled
        from this thread races that thread: when a worker dies meanwhile (SIGTERM to
        the process group), Python 3.11's manager marks every pending future failed,
        a cancelled one raises InvalidStateError there, and its traceback is printed."""
        self._abandon = True

    def close(self) -> None:
        """Shut the pool down; after an interrupt, running items are stopped, not awaited."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if self._abandon:
            for pid in filter(_exists, (p.pid for p in processes)):
                os.kill(pid, STOP)         # see the module's docstring
        pool.shutdown(wait=not self._abandon, cancel_futures=True)
        _join(processes, STOP_S)

    def describe(self) -> str:
        return f"local ({self.workers} processes)"


def _join(processes, timeout: float) -> None:
    """Wait for the processes to leave, ``timeout`` s in all; kill those that stay.  By
    pid: once the fork server is gone, a worker's handle no longer knows it is alive."""
    deadline = time.monotonic() + timeout
    pids = [p.pid for p in processes]
    while any(map(_exists, pids)) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in filter(_exists, pids):
        os.kill(pid, signal.SIGKILL)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _visible_gpus() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count()
