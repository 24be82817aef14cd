"""What every gradient-domain operator returns."""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class GradientResult(NamedTuple):
    """The edited image (float32, shaped like the input) and how it was solved.

    ``info`` holds the solver used, the unknowns, the relative residual (None for
    fft), the iterations and the seconds.  Unpacks as ``image, info = ...``.
    """

    image: np.ndarray
    info: dict[str, Any]
