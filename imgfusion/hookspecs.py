"""The pluggy hook specifications of imgfusion (docstrings only)."""
from __future__ import annotations

import pluggy

PROJECT = "imgfusion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def imgfusion_register_operators(register):
    """Register operators.

    ``register("package.module")`` registers every ``@operator`` function of that
    module, read from its source without importing it (so listing and validating
    stay free of the module's heavy imports); ``register(func)`` registers one
    ``@operator`` function object, read at run time.  The built-in families use
    this hook too.  Two operators with the same name are an error that names both
    plugins.
    """


@hookspec
def imgfusion_register_executors(register):
    """Register batch executors (``imgfusion batch --executor NAME``).

    Call ``register(spec)`` once per :class:`imgfusion.executors.ExecutorSpec`.
    The built-in ``local`` process pool uses this hook too; ``dask`` and ``ray``
    come from the separate distributions imgfusion-dask and imgfusion-ray.
    """


@hookspec
def imgfusion_register_commands(register):
    """Register subcommands of the ``imgfusion`` command line.

    Call ``register(name, add_parser, run)``: ``add_parser(subparsers, parents)`` adds
    the subcommand's argparse parser (``parents`` carry the common options such as
    ``--debug``), ``run(args)`` runs it and returns the exit status.  The batch family
    registers ``imgfusion batch`` this way, so the core's CLI names no family.
    """
