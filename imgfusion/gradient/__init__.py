"""Gradient-domain image editing (Pérez, Gangnet, Blake, "Poisson Image Editing", 2003).

``system`` assembles the masked Poisson system, ``solvers``, ``mgpcg`` (with
``mg_kernels``, ``mg_coarse`` and, on a GPU, ``mgpcg_torch``) and ``fast_poisson``
solve it, and the operator modules build guidance fields: ``blending`` (seamless
cloning), ``local_edits`` (texture, illumination, colour), ``tiling`` and
``reconstruct`` (the toy problem).  This package file stays free of heavy
imports: the operator registrations read the solver names from here.
"""

SOLVERS = ("auto", "direct", "cg", "multigrid", "mgpcg", "fft")
EXACT_SOLVERS = ("auto", "direct", "cg", "multigrid")  # on a matrix (gradient_reconstruct)
DEVICES = ("cpu", "cuda")  # "cuda:N" picks a GPU
DEVICE_SOLVERS = ("auto", "mgpcg")  # the solvers that run on a GPU
