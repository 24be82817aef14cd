"""How fast the workbench's placement preview follows the mouse: the ``fast`` preview (the
``fft`` Poisson mode) against the ``exact`` one (the default solver) shown on release, on
the gallery's case (Chelsea's face, 160 x 170 px ellipse, into the 512 x 512 astronaut),
through the same function the page's POST /api/preview calls.

    python bench/workbench_preview.py
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from imgfusion.layout.masks import shape_mask
from imgfusion.io.read import read_image
from imgfusion.io.write import write_image
from imgfusion.plugins import load_registry
from imgfusion.workbench.preview import blend
from imgfusion.workbench.recipes import Settings


def seconds(settings: Settings, mode: str, offset: tuple[int, int], repeat: int = 3) -> float:
    """The best of ``repeat`` previews at ``offset`` (each a new position, as when dragging)."""
    best = float("inf")
    for k in range(repeat):
        ask = {"source": "sample:chelsea", "target": "sample:astronaut",
               "mask": "masks/chelsea.png", "offset": [offset[0] + k, offset[1]], "mode": mode}
        t0 = time.perf_counter()
        blend(settings, ask)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
    mask = shape_mask(read_image("sample:chelsea"), shape="ellipse",
                      center=(0.4, 0.43), extent=(0.53, 0.38))
    write_image(folder / "masks" / "chelsea.png", mask)
    settings = Settings(folder, folder, load_registry())
    seconds(settings, "fast", (100, 100), 1)  # imports and decoding, once
    fast = seconds(settings, "fast", (180, 180))
    exact = seconds(settings, "exact", (180, 180))
    print(f"preview fast (fft): {fast * 1000:.0f} ms, exact (auto): {exact * 1000:.0f} ms, "
          f"exact / fast = {exact / fast:.1f}")


if __name__ == "__main__":
    main()
