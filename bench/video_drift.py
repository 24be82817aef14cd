"""Drift of ``video_style`` over a clip: brightness, sharpness and temporal error per setting.

Two synthetic clips with known motion: a steady pan (:func:`imgfusion.video.drift.
steady_pan`: the camera films one period of a wrapped astronaut, whole pixels per frame,
so every frame is the same content shifted and its brightness and sharpness cannot
change) and a still background (:mod:`imgfusion.video.synthetic`: the astronaut, the
coffee cup's disc sliding over it; the content grows a little darker as the disc
moves); ``--clips zoom`` adds the old zooming pan.  Each setting stylises the clip after
the Hubble deep field with the same layers, weights, iterations per frame and seed, one
after the other in this process.  Printed per clip and setting:

- the mean luminance of the first and last frame (0-255), the ratio of the last two
  frames' to the first's, that ratio over the content clip's own and over the
  independent frames' (goal: within 5 % of the first frame's, the content's change
  allowed for);
- the sharpness ratio (variance of the Laplacian of the luminance, last two frames over
  the first; :mod:`imgfusion.video.drift`), over the content's and over the
  independent frames' (goal: within 15 %);
- the mean temporal error (Ruder et al.: the squared difference to the warped previous
  frame where the content's flow is consistent; :mod:`imgfusion.video.measures`) and its
  ratio to the independent frames' (goal: at most 0.25);
- the seconds the setting took.

The peer is ``independent``: ``temporal_weight: 0``, every frame a single-image run.
The content row's temporal error is the measure's floor: the content clip against
itself (not 0 where the motion is sub-pixel: the measure's bilinear warp blurs).

Usage (one thread; the original VGG19; 96 px, 10 frames and 40 iterations per frame
take about 40 minutes per clip on a loaded 2-core machine)::

    python bench/video_drift.py --threads 1 --size 96 --frames 10 --iterations 40
    python bench/video_drift.py --clips zoom --settings independent \
        "carry image, no anchor (Ruder)" "anchor mean_sharpness (new)"

Measured with the first command (one process per clip, both at once, loaded machine)::

    clip   setting                           lum x  /cont /indep sharp x /cont /indep t.err /indep
    pan    (the content frames)              1.000               1.011               1.59e-05
    pan    independent                       0.754  0.754  1.000  1.446 1.430 1.000 9.88e-03 1.000
    pan    anchor mean_sharpness (new)       1.000  1.000  1.326  1.010 1.000 0.699 6.57e-05 0.007
    pan    carry sharpened, no anchor (old)  0.847  0.847  1.123  1.233 1.220 0.853 3.61e-05 0.004
    still  (the content frames)              0.942               1.007               5.67e-04
    still  independent                       0.936  0.994  1.000  0.934 0.927 1.000 5.93e-03 1.000
    still  anchor mean_sharpness (new)       0.950  1.009  1.015  1.007 1.000 1.078 5.68e-05 0.010
    still  carry sharpened, no anchor (old)  0.925  0.983  0.988  1.107 1.099 1.185 6.39e-05 0.011
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgfusion.io.read import read_image  # noqa: E402
from imgfusion.io.samples import sample_path  # noqa: E402
from imgfusion.video.drift import drift, steady_pan  # noqa: E402
from imgfusion.video.measures import temporal_errors  # noqa: E402
from imgfusion.video.stylize import video_style  # noqa: E402
from imgfusion.video.synthetic import camera_clip  # noqa: E402

CLIPS = {"pan": dict(pan=(1.0, 2.0)),
         "still": dict(pan=(0.0, 0.0), zoom=1.0, velocity=(0.5, 3.0)),
         "zoom": dict(pan=(1.0, 2.0), zoom=1.01, velocity=(0.5, 3.0))}

SETTINGS = {
    "independent": dict(temporal_weight=0),
    "carry image, no anchor (Ruder)": dict(carry="image", anchor="off"),
    "carry sharpened, no anchor (old)": dict(anchor="off"),
    "carry sharpened, anchor mean": dict(anchor="mean"),
    "anchor mean_sharpness (new)": dict(),
}
DEFAULT_SETTINGS = ["independent", "anchor mean_sharpness (new)",
                    "carry sharpened, no anchor (old)"]


def clip_of(name: str, size: int, frames: int):
    """The pan films a wrapped (tiled) astronaut (:func:`steady_pan`): every frame shows
    the same content shifted, its brightness and sharpness cannot change.  The others
    film the astronaut itself, a disc of the coffee cup sliding over it."""
    astronaut, coffee = sample("astronaut"), sample("coffee")
    if name == "pan":
        return steady_pan(astronaut, frames=frames, size=size, pan=CLIPS[name]["pan"]).video()
    return camera_clip(astronaut, coffee, frames=frames, size=(size, size),
                       **CLIPS[name]).video()


def sample(name: str) -> np.ndarray:
    return read_image(sample_path(f"sample:{name}"))[..., :3]


def stylise(clip, style, folder: Path, iterations: int, options: dict):
    t0 = time.perf_counter()
    result = video_style(clip, style, frames_dir=folder, iterations=iterations,
                         device="cpu", weights="original", **options)
    return result.video, time.perf_counter() - t0


def row(clip_name, name, video, clip, seconds, peers) -> tuple:
    """Print one setting's figures; returns (drift, temporal error) for the peer row.
    ``peers``: the content clip's drift and the independent frames' (drift, error)."""
    d = drift(video)
    error = float(np.mean(temporal_errors(video, clip)))
    content, (free, free_error) = peers[0], peers[1] or (d, error)
    print(f"{clip_name:<6} {name:<38} {255 * d.luminance[0]:5.1f} {255 * d.luminance[-1]:5.1f}"
          f" {d.luminance_ratio:6.3f} {d.luminance_ratio / content.luminance_ratio:6.3f}"
          f" {d.luminance_ratio / free.luminance_ratio:6.3f}"
          f" {d.sharpness_ratio:6.3f} {d.sharpness_ratio / content.sharpness_ratio:6.3f}"
          f" {d.sharpness_ratio / free.sharpness_ratio:6.3f}"
          f" {error:9.2e} {error / free_error:6.3f} {seconds:7.1f}", flush=True)
    return d, error


def run_clip(clip_name, clip, style, names, iterations) -> None:
    """Every setting in ``names`` on one clip; the independent one first (the peer)."""
    content = drift(clip)
    floor = float(np.mean(temporal_errors(clip, clip)))
    print(f"{clip_name:<6} {'(the content frames)':<38} {255 * content.luminance[0]:5.1f} "
          f"{255 * content.luminance[-1]:5.1f} {content.luminance_ratio:6.3f} {'':>13} "
          f"{content.sharpness_ratio:6.3f} {'':>13} {floor:9.2e}")
    peer = None
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(["independent", *[n for n in names if n != "independent"]]):
            video, seconds = stylise(clip, style, Path(tmp) / str(i), iterations,
                                     SETTINGS[name])
            figures = row(clip_name, name, video, clip, seconds, (content, peer))
            peer = peer or figures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=60, help="per frame (the first: 2x)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--clips", nargs="+", default=["pan", "still"], choices=list(CLIPS))
    ap.add_argument("--settings", nargs="+", default=DEFAULT_SETTINGS, choices=list(SETTINGS))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    style = sample("hubble_deep_field")[:800, :800]
    print(f"# cpu, {torch.get_num_threads()} thread(s); {args.size} px, {args.frames} frames, "
          f"{args.iterations} iterations per frame; original VGG19")
    print(f"{'clip':<6} {'setting':<38} {'lum0':>5} {'lumN':>5} {'lum x':>6} {'/cont':>6} "
          f"{'/indep':>6} {'sharp x':>6} {'/cont':>6} {'/indep':>6} {'t.error':>9} "
          f"{'/indep':>6} {'seconds':>7}")
    for clip_name in args.clips:
        clip = clip_of(clip_name, args.size, args.frames)
        run_clip(clip_name, clip, style, args.settings, args.iterations)


if __name__ == "__main__":
    main()
