"""The batch family's registrations: the built-in ``local`` executor (a process pool) and
the ``imgfusion batch`` subcommand.

The Dask and Ray executors register the same way from their own distributions in
``plugins/``."""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..executors import ExecutorSpec
from .local import LocalExecutor


@hookimpl
def imgfusion_register_executors(register):
    register(ExecutorSpec("local", LocalExecutor,
                          "a process pool on this machine (--workers N, default: all cores)"))


@hookimpl
def imgfusion_register_commands(register):
    from .cli import add_parser, cmd_batch

    register("batch", add_parser, cmd_batch)
