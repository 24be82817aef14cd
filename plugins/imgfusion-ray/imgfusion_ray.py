"""imgfusion-ray: the ``ray`` executor of ``imgfusion batch``.

Without ``--address`` it starts Ray on this machine (``ray.init(num_cpus=N)``,
no dashboard); with one it joins a running cluster (``ray://head:10001``, or
``auto``).  When Ray is already initialised in the process (a notebook, a
test), that session is used and left running.  Each task is
``run_chunk(job, items)``: the recipe as a small dict plus a chunk of input
paths, never pixels.  Tasks take one CPU and ``num_gpus=--gpus-per-task``; a
batch asking for more GPU than the cluster has is refused before anything is
submitted.

A task whose worker process dies is rerun by Ray (``max_retries=3``); items
finished before the death are not recomputed (their folders are complete).
Failures inside a recipe are retried by the worker itself (``--retries``), so
Ray's ``retry_exceptions`` stays off.
"""
from __future__ import annotations

import os

from imgfusion import hookimpl
from imgfusion.executors import Executor, ExecutorOptions, ExecutorSpec, probe_address
from imgfusion.errors import UsageError

__version__ = "0.1.0"
MAX_RETRIES = 3   # reruns of a task whose worker died (Ray's default too)


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, options: ExecutorOptions):
        super().__init__(options)
        self.workers = options.workers or os.cpu_count() or 1
        self._owner = False
        self._task = None

    def start(self) -> None:
        try:
            import ray
        except ImportError as exc:
            raise UsageError(f"the ray executor needs ray: pip install ray ({exc})") from None
        if ray.is_initialized():
            if self.options.address:
                raise UsageError(f"--address {self.options.address}: Ray is already "
                                 "initialised in this process; nothing submitted")
        else:
            self._init(ray)
        g = self.options.gpus_per_task
        have = ray.cluster_resources().get("GPU", 0)
        if g and have < g:
            self.close()
            raise UsageError(f"--gpus-per-task {g}: the Ray cluster has {have:g} GPU; "
                             "nothing submitted")
        self.workers = int(ray.cluster_resources().get("CPU", self.workers))
        from imgfusion.batch.work import run_chunk
        self._task = ray.remote(run_chunk).options(num_cpus=1, num_gpus=g,
                                                   max_retries=MAX_RETRIES,
                                                   retry_exceptions=False)

    def _init(self, ray) -> None:
        address = self.options.address
        if address:
            probe_address(address, self.options.connect_timeout, "Ray cluster")
        try:
            if address:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False,
                         logging_level="WARNING", log_to_driver=False)
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
            raise UsageError(f"--address {address}: cannot join a Ray cluster there "
                             f"({type(exc).__name__}: {exc}); nothing submitted") from None
        self._owner = True

    def submit(self, fn, *args):
        # fn is always imgfusion.batch.work.run_chunk: the remote function wraps it
        return self._task.remote(*args)

    def wait(self, handles, timeout):
        import ray

        handles = list(handles)
        if not handles:
            return []
        ready, _ = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(handles, num_returns=len(handles), timeout=0)
        return ready

    def result(self, handle):
        import ray

        return ray.get(handle)

    def cancel(self, handles) -> None:
        import ray

        handles = list(handles)
        if not handles:
            return
        # Cancel only what has not finished: force-cancelling a task whose result is
        # arriving races in Ray's core and can abort the driver ("Tried to complete task
        # that was not pending", ray-project/ray#54846); a finished task needs no cancel.
        _, running = ray.wait(handles, num_returns=len(handles), timeout=0)
        for h in running:
            ray.cancel(h, force=True)

    def close(self) -> None:
        if self._owner:
            import ray

            ray.shutdown()
            self._owner = False

    def describe(self) -> str:
        return f"ray ({self.options.address or f'{self.workers} CPUs on this machine'})"


@hookimpl
def imgfusion_register_executors(register):
    register(ExecutorSpec("ray", RayExecutor,
                          "a Ray cluster: local with --workers CPUs, or --address"))
