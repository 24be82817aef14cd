"""Gradient-domain image editing (Pérez, Gangnet, Blake, "Poisson Image Editing", 2003).

``system`` assembles the masked Poisson system, ``solvers`` and ``fast_poisson``
solve it, and the operator modules build guidance fields: ``blending`` (seamless
cloning), ``local_edits`` (texture, illumination, colour), ``tiling`` and
``reconstruct`` (the toy problem).  This package file stays free of heavy
imports: the operator registrations read the solver names from here.
"""

SOLVERS = ("auto", "direct", "cg", "multigrid", "fft")
EXACT_SOLVERS = ("auto", "direct", "cg", "multigrid")
