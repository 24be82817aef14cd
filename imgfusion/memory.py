"""Free memory and the guard that refuses an allocation the machine cannot hold."""
from __future__ import annotations

import os

from .errors import ParameterError

GIB = 2 ** 30


def available_ram() -> int | None:
    """Bytes of RAM available to a new allocation (MemAvailable; free pages elsewhere)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


FREE_SHARE = 0.9   # of the free memory a run may take (the rest: the system, other work)


def check_fits(required: int, field: str, what: str, available: int | None = None) -> None:
    """ParameterError naming ``field``, the estimate and the limit (:data:`FREE_SHARE`
    of what is free) when ``required`` bytes do not fit in RAM."""
    available = available_ram() if available is None else available
    if available is not None and required > FREE_SHARE * available:
        raise ParameterError(field, f"{what} needs about {required / GIB:.1f} GiB, and "
                                    f"{available / GIB:.1f} GiB of memory is free (the limit "
                                    f"is {FREE_SHARE:.0%} of it); choose a smaller {field}")
