"""How ``imgfusion batch`` resolves an executor name, and the address probe clusters use.

The contract itself (:class:`ExecutorSpec`, :class:`Executor`, :class:`ExecutorOptions`,
:func:`probe_address`) is the core's, :mod:`imgfusion.executors`, so that an executor
plugin loads without the batch family; it is imported here for the plugins that take it
from this module.
"""
from __future__ import annotations

from ..errors import UsageError, did_you_mean
from ..executors import (Executor, ExecutorOptions, ExecutorSpec,  # noqa: F401 - see above
                         probe_address)

# Executors that live in separate distributions: name -> what to install.
KNOWN_PACKAGES = {
    "dask": "imgfusion-dask (plugins/imgfusion-dask; it pulls in dask[distributed])",
    "ray": "imgfusion-ray (plugins/imgfusion-ray; it pulls in ray)",
}


def resolve_executor(registry, name: str) -> ExecutorSpec:
    """The registered executor ``name``, or a UsageError that says what to install."""
    spec = registry.executors.get(name)
    if spec is not None:
        return spec
    failed = [p for p in registry.plugins if p.status == "failed"]
    if name in KNOWN_PACKAGES:
        extra = "".join(f"; plugin {p.name} failed to load: {p.error}" for p in failed)
        raise UsageError(f"executor '{name}' is not installed: pip install "
                         f"{KNOWN_PACKAGES[name]}{extra}")
    hint = did_you_mean(name, registry.executors)
    known = ", ".join(sorted(registry.executors))
    raise UsageError(f"unknown executor {name!r}"
                     + (f" (did you mean '{hint}'?)" if hint else "")
                     + f"; installed: {known}")
