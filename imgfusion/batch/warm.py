"""Imported by the local executor's fork server only: builds the registry of the installed
operators (no plugin files) once, so that every worker forked from it starts with it.

Whatever fails here (a plugin that raises while registering) is left to the workers,
which build the registry again at their first item and report the error there."""
from __future__ import annotations

import contextlib

from .work import registry_for

with contextlib.suppress(Exception):   # see the docstring: this must not stop the pool
    registry_for(())
