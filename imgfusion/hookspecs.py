"""The pluggy hook specifications of imgfusion (docstrings only)."""
from __future__ import annotations

import pluggy

PROJECT = "imgfusion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def imgfusion_register_operators(register):
    """Register operators.

    Call ``register(operator)`` once per :class:`imgfusion.operators.Operator`.
    The built-in operators use this hook too.  Two operators with the same name
    are an error that names both plugins.
    """


@hookspec
def imgfusion_register_executors(register):
    """Register batch executors (``imgfusion batch --executor NAME``).

    Call ``register(spec)`` once per :class:`imgfusion.executors.ExecutorSpec`.
    The built-in ``local`` process pool uses this hook too; ``dask`` and ``ray``
    come from the separate distributions imgfusion-dask and imgfusion-ray.
    """
