"""Imported by the local executor's fork server only: builds the registry of the installed
operators (no plugin files) once, so that every worker forked from it starts with it."""
from __future__ import annotations

from .work import registry_for

registry_for(())
