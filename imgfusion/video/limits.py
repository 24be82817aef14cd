"""The video family's bounds and choices, read by the declarations of its operators.

Imports nothing heavy: listing operators reads this module's source only.
"""
from __future__ import annotations

from typing import Literal

FRAMES_MAX = 10_000_000  # frames: over 46 days at 25 fps
FPS_MAX = 1000.0
FlowMethod = Literal["dis", "farneback", "raft_small", "raft_large"]
FlowPreset = Literal["ultrafast", "fast", "medium"]
FrameInit = Literal["auto", "prev_warped", "prev", "init"]
Carry = Literal["sharpened", "sharp", "image", "stylisation"]
Anchor = Literal["mean_sharpness", "mean", "off"]
MaskMethod = Literal["composite", "guided"]
