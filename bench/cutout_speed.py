"""How much stylize_and_blend saves by stylising only the cutout's box plus a margin.

    python bench/cutout_speed.py [--size 256] [--extent 0.3] [--iterations 20]
                                 [--weights random] [--device auto] [--repeat 3]

The source is scikit-image's chelsea resized to SIZE on its longest side, the cutout an
ellipse covering EXTENT x EXTENT of it; the style is the Hubble deep field.  It times, in
the same process, (a) stylize_and_blend (crop = box + 16 px margin) and (b) the naive
pipeline that stylises the whole source frame and then blends the same mask, and prints
both wall times (best of --repeat interleaved runs), their ratio and the share of the frame
that the crop stylises.  A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's imgfusion
from imgfusion import load, poisson_blend, resize, shape_mask  # noqa: E402
from imgfusion.checks import bounding_box  # noqa: E402
from imgfusion.masked.cutout import stylize_and_blend  # noqa: E402
from imgfusion.style.transfer import neural_style  # noqa: E402


def best_of(repeat: int, *runs) -> list[float]:
    """Best wall time of each run, the runs interleaved (a, b, a, b, ...) so that a load
    that comes and goes on a shared machine hits them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for i, run in enumerate(runs):
            t0 = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--extent", type=float, default=0.3)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--weights", default="random")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs each")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    source = resize(load(path="sample:chelsea"), longest=args.size)
    target = resize(load(path="sample:coffee"), longest=args.size)
    style = load(path="sample:hubble_deep_field")
    mask = shape_mask(source, extent=(args.extent, args.extent))
    kw = dict(weights=args.weights, iterations=args.iterations, device=args.device, seed=0)
    neural_style(source[:64, :64], style, size=None, **dict(kw, iterations=1))  # warm-up

    def crop_run():
        stylize_and_blend(source, target, mask, style, offset=(0, 0), margin=16, **kw)

    def whole_run():
        poisson_blend(neural_style(source, style, size=None, **kw).image, target, mask).image

    crop_s, whole_s = best_of(args.repeat, crop_run, whole_run)

    top, left, bottom, right = bounding_box(mask)
    box = (min(bottom + 16, source.shape[0]) - max(top - 16, 0)) * \
          (min(right + 16, source.shape[1]) - max(left - 16, 0))
    frame = source.shape[0] * source.shape[1]
    print(f"source {source.shape[0]}x{source.shape[1]}, cutout box+margin {box} px "
          f"({box / frame:.0%} of the frame), {args.iterations} iterations, "
          f"weights={args.weights}")
    print(f"stylize_and_blend (crop):  {crop_s:7.2f} s")
    print(f"whole frame, then blend:   {whole_s:7.2f} s")
    print(f"speed-up: {whole_s / crop_s:.2f}x")


if __name__ == "__main__":
    main()
