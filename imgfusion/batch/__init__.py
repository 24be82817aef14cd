"""``imgfusion batch``: one recipe over many inputs, on a local process pool, Dask or Ray.

Python use::

    from imgfusion.batch import prepare, run_batch, LocalExecutor, ExecutorOptions

    job, items, _ = prepare("style.yaml", ["photo.path=shoot/*.jpg"], "styled")
    result = run_batch(job, items, LocalExecutor(ExecutorOptions(workers=4)))

Kept light: ``imgfusion.plugins`` imports :mod:`imgfusion.batch.plugin` as a
built-in plugin, so nothing heavy is imported here.
"""
from __future__ import annotations

from ..executors import Executor, ExecutorOptions, ExecutorSpec
from .executor import resolve_executor

__all__ = ["Executor", "ExecutorOptions", "ExecutorSpec", "resolve_executor", "prepare",
           "run_batch", "LocalExecutor"]


def __getattr__(name: str):
    if name == "prepare":
        from .job import prepare
        return prepare
    if name == "run_batch":
        from .runner import run_batch
        return run_batch
    if name == "LocalExecutor":
        from .local import LocalExecutor
        return LocalExecutor
    raise AttributeError(f"module 'imgfusion.batch' has no attribute {name!r}")
