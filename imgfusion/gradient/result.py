"""What every gradient-domain operator returns."""
from __future__ import annotations

from typing import NamedTuple

from ..operators import Data, Image


class GradientResult(NamedTuple):
    """The edited image (float32, shaped like the input) and how it was solved.

    Unpacks as ``image, info = ...``.

    Attributes
    ----------
    image
        the edited image (float32, shaped like the input; an alpha channel is kept)
    info
        solver used, unknowns, relative residual (None for fft), iterations, seconds
    """

    image: Image
    info: Data
