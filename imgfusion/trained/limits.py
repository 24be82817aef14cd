"""The trained family's bounds, read by the declarations of its operators (light)."""
from __future__ import annotations

STEPS_MAX = 10_000_000
BATCH_MAX = 4096
