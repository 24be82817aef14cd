"""Feed-forward style against ``neural_style``: loss on held-out images, and time per frame.

Trains a small transformation network (``train_fast_style``) on the CPU for the Hubble
deep field: seeded random crops of sample photos (astronaut, coffee, rocket, camera,
brick, grass) as content, the real weights (the original VGG19) and ``neural_style``'s
default losses (relu4_2; relu1_1 ... relu5_1; style_weight 3).  Then, on held-out crops
of photos the network never saw (chelsea, retina), both the network's one forward pass
and ``neural_style``'s optimisation (``--iterations`` L-BFGS steps, default 300, its
default) are scored by the same loss function, one after the other in this process.

Printed: the training time and the loss at the start and end of training; on the
held-out images the weighted content, style and total losses of each method and their
ratio (goal: the fast total within 1.5x of neural_style's); seconds per frame of each and
the speed-up (goal: at least 100x); and the network's frames per second on the CPU at
``--video-size`` (the GPU goal, 30 fps at 960x540, needs a lent GPU: ``--device cuda``).

Usage::

    python bench/fast_style.py                         # CPU, 64 px, 300 steps (~8 min)
    python bench/fast_style.py --size 128 --steps 2000 --device cuda --video-size 540 960
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
from imgfusion.style.checks import as_rgb  # noqa: E402
from imgfusion.style.devices import resolve_device  # noqa: E402
from imgfusion.style.weights import RandomWeightsWarning  # noqa: E402
from imgfusion.trained.data import random_crops  # noqa: E402
from imgfusion.trained.fast_train import train_fast_style  # noqa: E402
from imgfusion.trained.measures import compare, timed  # noqa: E402
from imgfusion.trained.perceptual import build_loss, loss_options  # noqa: E402

TRAIN = ("astronaut", "coffee", "rocket", "camera", "brick", "grass")
HELD_OUT = ("chelsea", "retina")


def sample(name: str) -> np.ndarray:
    return as_rgb(read_image(sample_path(f"sample:{name}")), name)[0]


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64, help="side of the square crops")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--crops", type=int, default=64, help="training crops")
    ap.add_argument("--held-out", type=int, default=3, help="held-out crops")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--iterations", type=int, default=300, help="neural_style's L-BFGS steps")
    ap.add_argument("--video-size", type=int, nargs=2, default=(128, 128),
                    metavar=("ROWS", "COLS"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (CPU)")
    ap.add_argument("--weights", default="original", help="original (default), random")
    return ap.parse_args()


def frames_per_second(model, hw, device) -> float:
    frames = [np.random.default_rng(k).random((*hw, 3)).astype(np.float32) for k in range(5)]
    return 1.0 / timed(lambda im: model(im, device), frames, device)[1]


def show(name: str, losses: dict) -> str:
    return f"{name:>24}: " + "  ".join(f"{k} {losses[k]:.4f}" for k in ("content", "style",
                                                                          "total"))


def main() -> None:
    args = arguments()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", RandomWeightsWarning)
    hw, dev = (args.size, args.size), resolve_device(args.device)
    style = sample("hubble_deep_field")
    content = random_crops([sample(n) for n in TRAIN], count=args.crops, size=hw, seed=0,
                           field="content")
    held = random_crops([sample(n) for n in HELD_OUT], count=args.held_out, size=hw, seed=7,
                        field="held_out")
    print(f"fast_style vs neural_style: {args.size} px crops, {args.crops} training crops of "
          f"{', '.join(TRAIN)}; {args.held_out} held-out crops of {', '.join(HELD_OUT)}; style "
          f"hubble_deep_field; weights {args.weights}; device {dev}; torch threads "
          f"{args.threads}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        trained = train_fast_style(
            content, style, path=str(Path(tmp) / "m.safetensors"), train_size=args.size,
            width=args.width, residual_blocks=args.blocks, steps=args.steps,
            batch_size=args.batch, learning_rate=args.learning_rate, validation=0.0,
            validate_every=0, weights=args.weights, device=str(dev), progress=None)
        seconds = time.perf_counter() - t0
    hist = trained.report["loss_history"]
    first = np.mean([h["total"] for h in hist[:10]])
    last = np.mean([h["total"] for h in hist[-10:]])
    print(f"training: {args.steps} steps of {args.batch} in {seconds:.0f} s "
          f"({seconds / args.steps:.2f} s/step); width {args.width}, {args.blocks} residual "
          f"blocks; total loss {first:.3f} (first 10 steps) -> {last:.3f} (last 10)")
    loss = build_loss(style, hw, loss_options({"weights": args.weights}), dev)
    m = compare(trained.model, held, style, loss, options={"weights": args.weights},
                iterations=args.iterations, device=dev)
    print(f"held-out ({m['images']} crops), weighted losses (same loss function):")
    print(show("fast_style", m["fast"]))
    print(show(f"neural_style ({args.iterations} it)", m["neural_style"]))
    print(f"total loss ratio fast / neural_style: {m['total_loss_ratio']:.2f} (goal <= 1.5: "
          f"{'met' if m['total_loss_ratio'] <= 1.5 else 'NOT met'})")
    print(f"seconds per frame: fast {m['fast_seconds_per_frame'] * 1e3:.1f} ms, neural_style "
          f"{m['neural_style_seconds_per_frame']:.1f} s; speed-up {m['speedup']:.0f}x (goal >= "
          f"100: {'met' if m['speedup'] >= 100 else 'NOT met'})")
    vh = tuple(args.video_size)
    print(f"fast_style frames per second at {vh[0]}x{vh[1]} on {dev}: "
          f"{frames_per_second(trained.model, vh, dev):.1f}")


if __name__ == "__main__":
    main()
