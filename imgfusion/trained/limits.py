"""The trained family's bounds, read by the declarations of its operators (light)."""
from __future__ import annotations

STEPS_MAX = 10_000_000
BATCH_MAX = 4096
FRAMES_MAX = 10_000_000
IMAGES_MAX = 100_000
WIDTH_MAX = 256      # channels of a fast-style network's first layer
BLOCKS_MAX = 32      # its residual blocks
PAD_MAX = 64         # px of reflection around its input
