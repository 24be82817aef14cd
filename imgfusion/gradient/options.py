"""The gradient family's shared parameter types, for operators' signatures.

Every gradient-domain operator (and ``stylize_and_blend``, whose blend solves the
same system) declares its solver parameters with these aliases, so that their
choices, ranges and help are written once::

    def seamless_tile(image: Image, *, solver: Solver = "auto", tol: Tol = 1e-8) -> ...

Light on purpose (typing and the core markers only): the static reader and the
listing commands read it without importing the solvers.
"""
from __future__ import annotations

from typing import Annotated, Literal

from ..limits import COORD_MAX
from ..operators import Help, Image, Mask, Range
from . import DEVICES, EXACT_SOLVERS, SOLVERS

Solver = Annotated[Literal[SOLVERS], Help(
    "auto, direct (sparse LU), cg (AMG-preconditioned), multigrid, mgpcg (matrix-free "
    "multigrid CG), fft (fast, approximate)")]
ExactSolver = Literal[EXACT_SOLVERS]
"""The solvers that work on an assembled matrix (no mgpcg, no fft)."""
Tol = Annotated[float, Range(1e-15, 0.5), Help("relative residual at which cg and multigrid stop")]
SolveDevice = Annotated[Literal[DEVICES],
                      Help("where mgpcg/auto solve: cpu, or cuda (torch, a GPU)")]
Offset = Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX), Help(
    "(row, col) of the source's top-left corner in the target; may be negative or partly "
    "outside (clipped)")]
Source = Annotated[Image, Help("image whose gradients are pasted")]
Target = Annotated[Image, Help("image pasted into; its alpha channel is kept")]
PasteMask = Annotated[Mask, Help("region to paste, in the source's frame (alpha: soft blend)")]
