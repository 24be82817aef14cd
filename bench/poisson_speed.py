"""Time every poisson_blend solver against OpenCV's seamlessClone (same process).

    python bench/poisson_speed.py [--sizes 512 1024 2048] [--solvers cg fft] [--repeat 3]

Target and source are sample images (scikit-image's astronaut and coffee)
resized to N x N; the mask is an ellipse over about 45% of the area, pasted at
the same place.  For each size it prints every solver's wall time, its ratio
to OpenCV's NORMAL_CLONE time (when opencv-python is installed: the ``bench``
extra), its relative residual, and its largest difference in grey levels from
the exact (tightly converged) solution and from OpenCV's own result (both
truncated to 8 bits as OpenCV does; fft is OpenCV's algorithm, so expect <= 1).
Also the ratio of each solver's 2048^2 to 1024^2 time.  Times are the best of
``--repeat`` runs (the machine may be shared).  A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from skimage import data
from skimage.transform import resize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's imgfusion
from imgfusion.gradient.blending import poisson_blend  # noqa: E402


def case(n: int):
    # 8-bit levels, so that OpenCV (8-bit only) and we see the very same images
    target = to_levels(resize(data.astronaut(), (n, n), anti_aliasing=True))
    source = to_levels(resize(data.coffee(), (n, n), anti_aliasing=True))
    rr, cc = np.mgrid[:n, :n]
    radius = np.sqrt(0.45 / np.pi)  # pi r^2 = 45% of the area
    mask = ((rr - n / 2) / (radius * n)) ** 2 + ((cc - n / 2) / (radius * n)) ** 2 < 1
    return source, target, mask


def to_levels(image):
    return ((image * 255).round() / 255).astype(np.float32)


def opencv_clone(source, target, mask):
    """seamlessClone at the same place; returns (RGB float result, seconds) or None."""
    try:
        import cv2
    except ImportError:
        return None
    to8 = lambda im: cv2.cvtColor((im * 255).round().astype(np.uint8),  # noqa: E731
                                  cv2.COLOR_RGB2BGR)
    src, dst, m = to8(source), to8(target), mask.astype(np.uint8) * 255
    framed = np.zeros_like(m)  # OpenCV clears the mask's frame before taking its box
    framed[1:-1, 1:-1] = m[1:-1, 1:-1]
    x, y, w, h = cv2.boundingRect(framed)
    # p is the centre of the mask's bounding box: this puts the source at offset (0, 0)
    centre = (x + w // 2, y + h // 2)
    # a fresh mask per call: seamlessClone overwrites a 1-channel mask (OpenCV #12053)
    out, seconds = best_of(lambda: cv2.seamlessClone(src, dst, m.copy(), centre,
                                                     cv2.NORMAL_CLONE))
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32) / 255, seconds


REPEAT = 1


def best_of(run):
    """(result, best wall time) over REPEAT calls of ``run()``."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--solvers", nargs="+", default=["direct", "cg", "multigrid", "fft"])
    parser.add_argument("--direct-max", type=int, default=1024,
                        help="skip the sparse LU above this size (memory)")
    parser.add_argument("--tol", type=float, default=1e-6,
                        help="relative residual for cg and multigrid (the issue's target)")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs")
    args = parser.parse_args()
    global REPEAT
    REPEAT = args.repeat
    times: dict[tuple[str, int], float] = {}
    for n in args.sizes:
        source, target, mask = case(n)
        print(f"\n{n} x {n}: {int(mask.sum())} unknowns")
        cv = opencv_clone(source, target, mask)
        if cv is None:
            print("  opencv-python not installed (pip install imgfusion[bench]): no ratios")
        else:
            print(f"  {'opencv':10s} {cv[1]:8.3f} s")
            times[("opencv", n)] = cv[1]
        exact = poisson_blend(source, target, mask, solver="cg", tol=1e-10).image
        for solver in args.solvers:
            if solver == "direct" and n > args.direct_max:
                continue
            (out, info), seconds = best_of(lambda: poisson_blend(
                source, target, mask, solver=solver, tol=args.tol))
            times[(solver, n)] = seconds
            line = f"  {solver:10s} {seconds:8.3f} s"
            if cv is not None:
                line += f"  {seconds / cv[1]:6.2f}x opencv"
            res = info["residual"]
            line += f"  residual {'-' if res is None else f'{res:.1e}'}"
            line += f"  max diff from exact {255 * np.abs(out - exact).max():6.3f} levels"
            if cv is not None:  # OpenCV clamps and truncates to 8 bits: so do we here
                ours8 = np.floor(np.clip(out.astype(np.float64) * 255, 0, 255))
                line += f", from opencv {np.abs(ours8 - cv[0] * 255).max():4.0f} levels"
                line += f" (mean {np.abs(ours8 - cv[0] * 255).mean():.2f})"
            print(line)
    if 1024 in args.sizes and 2048 in args.sizes:
        print("\n2048^2 time / 1024^2 time:")
        for solver in ["opencv", *args.solvers]:
            if (solver, 1024) in times and (solver, 2048) in times:
                print(f"  {solver:10s} {times[(solver, 2048)] / times[(solver, 1024)]:5.2f}")


if __name__ == "__main__":
    main()
