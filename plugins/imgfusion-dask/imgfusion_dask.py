"""imgfusion-dask: the ``dask`` executor of ``imgfusion batch``.

Without ``--address`` it starts a ``distributed.LocalCluster`` of ``--workers``
single-threaded worker processes; with one it connects to a running scheduler
(``tcp://host:8786``).  Each task is ``run_chunk(job, items)``: the recipe as a
small dict plus a chunk of input paths, never pixels.  Tasks ask for
``resources={'GPU': g}`` with ``--gpus-per-task g``; workers declare what they
have (``dask worker ... --resources GPU=1``), and a batch that no worker could
run is refused before anything is submitted.

A worker killed mid-task is restarted by its nanny and the scheduler reruns the
task (up to ``distributed.scheduler.allowed-failures``, 3 by default); items
finished before the death are not recomputed (their folders are complete).
"""
from __future__ import annotations

import math
import os

from imgfusion import hookimpl
from imgfusion.executors import Executor, ExecutorOptions, ExecutorSpec, probe_address
from imgfusion.errors import UsageError

__version__ = "0.1.0"


class DaskExecutor(Executor):
    name = "dask"

    def __init__(self, options: ExecutorOptions):
        super().__init__(options)
        self.client = None
        self.cluster = None
        self.workers = options.workers or os.cpu_count() or 1

    def start(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise UsageError("the dask executor needs dask.distributed: pip install "
                             f"'dask[distributed]' ({exc})") from None
        if self.options.address:
            self.client = _connect(Client, self.options)
        else:
            g = self.options.gpus_per_task
            if g:   # as many workers as the GPUs hold tasks, each offering one task's share
                self.workers = max(1, min(self.workers, math.floor(_local_gpus() / g)))
            self.cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", resources={"GPU": g} if g else None)
            self.client = Client(self.cluster)
        try:
            self._check_gpus()
        except BaseException:
            self.close()
            raise

    def _check_gpus(self) -> None:
        g = self.options.gpus_per_task
        if not g:
            return
        workers = self.client.scheduler_info()["workers"].values()
        if not any(w.get("resources", {}).get("GPU", 0) >= g for w in workers):
            raise UsageError(f"--gpus-per-task {g}: no Dask worker offers GPU={g} (start "
                             "workers with --resources GPU=N); nothing submitted")
        self.workers = len(workers)

    def submit(self, fn, *args):
        g = self.options.gpus_per_task
        return self.client.submit(fn, *args, pure=False,
                                  resources={"GPU": g} if g else None)

    def cancel(self, handles) -> None:
        if handles and self.client is not None:
            self.client.cancel(list(handles), force=True)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def describe(self) -> str:
        where = self.options.address or f"LocalCluster of {self.workers} processes"
        return f"dask ({where})"


def _connect(Client, options: ExecutorOptions):
    probe_address(options.address, options.connect_timeout, "Dask scheduler")
    try:
        return Client(options.address, timeout=f"{options.connect_timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--address {options.address}: cannot reach a Dask scheduler there "
                         f"({type(exc).__name__}: {exc}); nothing submitted") from None


def _local_gpus() -> int:
    try:
        import torch
    except ImportError:
        return 0
    n = torch.cuda.device_count()
    if n == 0:
        raise UsageError("--gpus-per-task: no GPU is visible on this machine")
    return n


@hookimpl
def imgfusion_register_executors(register):
    register(ExecutorSpec("dask", DaskExecutor,
                          "a Dask cluster: a LocalCluster of --workers processes, or --address"))
