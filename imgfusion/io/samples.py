"""``sample:NAME``: the example images that ship inside scikit-image's wheel.

Only images whose file is bundled are offered, so recipes that use them run
offline.  scikit-image datasets that need a download (``eagle``, ``cells3d``,
...) are refused with the list of the available names.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ParameterError
from ..paths import SAMPLE_PREFIX as PREFIX, is_sample  # noqa: F401 - the core knows the prefix

# name (as in skimage.data) -> file in skimage/data/
_FILES = {
    "astronaut": "astronaut.png",
    "brick": "brick.png",
    "camera": "camera.png",
    "cat": "chelsea.png",
    "cell": "cell.png",
    "checkerboard": "chessboard_GRAY.png",
    "chelsea": "chelsea.png",
    "clock": "clock_motion.png",
    "coffee": "coffee.png",
    "coins": "coins.png",
    "colorwheel": "color.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "horse": "horse.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "logo": "logo.png",
    "microaneurysms": "microaneurysms.png",
    "moon": "moon.png",
    "page": "page.png",
    "retina": "retina.jpg",
    "rocket": "rocket.jpg",
    "shepp_logan_phantom": "phantom.png",
    "text": "text.png",
}


def _data_dir() -> Path:
    spec = importlib.util.find_spec("skimage")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sample_names() -> list[str]:
    """The ``sample:`` names whose image ships with the installed scikit-image."""
    folder = _data_dir()
    return sorted(n for n, f in _FILES.items() if (folder / f).is_file())


def sample_path(spec: str, field: str = "path") -> Path:
    """The bundled file behind ``sample:NAME``; ParameterError for other names."""
    name = spec[len(PREFIX):].strip()
    available = sample_names()
    if name in available:
        return _data_dir() / _FILES[name]
    listing = ", ".join(available)
    import skimage.data

    if name in getattr(skimage.data, "__all__", ()):
        raise ParameterError(
            field, f"sample '{name}' is not bundled with scikit-image (it needs a download); "
                   f"bundled samples: {listing}")
    raise ParameterError(field, f"unknown sample '{name}'; bundled samples: {listing}")
