"""The batch executor contract, beside its hook specification (``imgfusion_register_executors``).

An executor runs ``fn(*args)`` somewhere (a local process pool, a Dask cluster,
a Ray cluster) and hands back a handle per call.  The batch runner only needs
five things from it: start (connect, or start a local cluster), submit, wait
for some handles to finish, fetch a result (which raises when the task's
worker died), and cancel/close.  A plugin registers an :class:`ExecutorSpec`;
the ``local`` process pool lives in the batch family.

What is sent is paths, never pixels: ``fn`` receives the batch job (the
validated recipe as a small dict) and a chunk of input paths.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from .errors import UsageError


@dataclass(frozen=True)
class ExecutorOptions:
    """What the command line says about where and how wide to run."""

    workers: int | None = None       # worker processes to start (local clusters only)
    address: str | None = None       # an existing cluster's scheduler / head address
    gpus_per_task: float = 0.0       # GPU share each task asks for
    connect_timeout: float = 10.0    # seconds to wait for --address


class Executor:
    """Base class: submit calls, wait for handles, fetch results.

    ``wait`` polls ``handle.done()`` by default, which suits
    ``concurrent.futures`` and Dask futures; Ray overrides it.
    """

    name = "?"

    def __init__(self, options: ExecutorOptions):
        self.options = options

    def start(self) -> None:
        """Connect or start workers; raise UsageError when that cannot work."""

    def submit(self, fn: Callable, *args: Any) -> Any:
        raise NotImplementedError

    def wait(self, handles: Iterable[Any], timeout: float) -> list[Any]:
        """The handles among ``handles`` that have finished, waiting up to ``timeout`` s."""
        handles = list(handles)
        deadline = time.monotonic() + timeout
        while True:
            done = [h for h in handles if h.done()]
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.02)

    def result(self, handle: Any) -> Any:
        return handle.result()

    def cancel(self, handles: Iterable[Any]) -> None:
        for h in handles:
            h.cancel()

    def close(self) -> None:
        """Release workers and connections (the runner calls it on every exit path)."""

    def describe(self) -> str:
        return self.name


@dataclass
class ExecutorSpec:
    """What a plugin registers: a name, a one-line summary and a factory."""

    name: str
    create: Callable[[ExecutorOptions], Executor]
    summary: str = ""
    source: str = ""


def probe_address(address: str, timeout: float, what: str) -> None:
    """Fail fast (UsageError) when nothing listens at ``[scheme://]host:port``.

    Cluster clients retry for a long time (Ray for minutes) before giving up on
    a wrong address; one TCP connection tells at once.  ``auto`` and addresses
    without a port are left to the client.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise UsageError(f"--address {address}: cannot reach a {what} there "
                         f"({exc.strerror or exc}); nothing submitted") from None
