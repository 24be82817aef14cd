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
