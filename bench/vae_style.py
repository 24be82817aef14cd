"""The conv-VAE latent-shift style, trained on sample images on the CPU, measured against α.

"Paintings": seeded random crops of scikit-image's textures and pictures (brick, grass,
gravel, the immunohistochemistry slide, the Hubble deep field).  "Frames": two synthetic
clips (:mod:`imgfusion.video.synthetic`), the astronaut and Chelsea filmed by a panning,
zooming camera with a disc sliding over them; a third clip (the coffee photo, never
trained on) is the unseen test clip, as the seed's Pentatonix video was.

Printed: the training figures (held-out frame PSNR after the first epoch and at the
end, the probe's held-out accuracy, seconds), then per α in 0, .25, .5, .75, 1 on the
training frames: the shift distance d(α) (must be 1 − α), the probe's painting
probability of the re-encoded outputs (should rise), the normalised VGG Gram distance
of the outputs to the paintings (should fall; the inputs' own is printed as the
peer), the content distance to the input; then on the unseen clip at α = 0.5 the
temporal error of μ codes against sampled codes (``mode: sampled``) and the seed's
``legacy`` formula, with and without the seed's smoothing.  The Gram and content
distances use the original VGG19 (``--weights random`` for a seeded random one).

``--gallery DIR`` also writes the α strip (``alpha_strip.png``: rows are frames, columns
α) and the plot of the Gram distance and the probe against α (``alpha_plot.png``).

Usage::

    python bench/vae_style.py                    # CPU, 64 px, 600 + 150 steps (minutes)
    python bench/vae_style.py --gallery gallery/results/vae_style_bench
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
from imgfusion.trained.data import image_set, random_crops, rgb  # noqa: E402
from imgfusion.trained.vae_apply import vae_style  # noqa: E402
from imgfusion.trained.vae_train import train_style_vae  # noqa: E402
from imgfusion.video.frames import from_frames  # noqa: E402
from imgfusion.video.synthetic import camera_clip  # noqa: E402

PAINTINGS = ("brick", "grass", "gravel", "immunohistochemistry", "hubble_deep_field")
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def sample(name: str) -> np.ndarray:
    return rgb(read_image(sample_path(f"sample:{name}")), name)


def data(size: int, crops: int, frames: int):
    paintings = random_crops([sample(n) for n in PAINTINGS], count=crops, size=(160, 160),
                             seed=0, field="paintings")
    clips = [camera_clip(sample(n), sample("coffee"), frames=frames, size=(size, size),
                         pan=pan, zoom=1.01, radius=0.15, velocity=(0.5, 1.5)).frames
             for n, pan in (("astronaut", (1.5, 2.0)), ("chelsea", (-1.0, 2.5)))]
    unseen = camera_clip(sample("coffee"), sample("chelsea"), frames=12, size=(size, size),
                         pan=(1.0, 1.5), zoom=1.01, radius=0.15, velocity=(0.5, 1.5))
    return paintings, from_frames(clips[0] + clips[1]), unseen.video()


def train(args, folder: Path, paintings, frames):
    net = dict(size=(args.size, args.size), filters=[16, 32, 64, 128], kernels=[3, 3, 3, 3],
               latent=args.latent, refiner_width=16)
    return train_style_vae(paintings, frames, path=str(folder / "vae.safetensors"),
                           steps=args.steps, refiner_steps=args.refiner_steps,
                           batch_size=16, learning_rate=1e-3, validation=0.1,
                           validate_every=max(1, args.steps // 10), vgg_weights=args.weights,
                           loss_plot=str(folder / "loss.png"), device=args.device, seed=0,
                           progress=False, **net)


def alpha_table(model, frames, folder: Path) -> list[dict]:
    rows = []
    print(f"  {'alpha':>5}  {'d(alpha)':>8}  {'1-alpha':>7}  {'probe':>6}  "
          f"{'gram(out)':>9}  {'gram(in)':>8}  {'content':>7}")
    for a in ALPHAS:
        r = vae_style(frames, model, strength=a, smoothing=0.0, measures=True,
                      frames_dir=str(folder / f"alpha_{a}")).report
        rows.append({"alpha": a, **r})
        print(f"  {a:5.2f}  {r['shift_distance']:8.5f}  {1 - a:7.2f}  "
              f"{r['probe_output_mean']:6.3f}  {r['gram_output']:9.4f}  "
              f"{r['gram_input']:8.4f}  {r['content']:7.4f}")
    return rows


def temporal(model, clip, folder: Path) -> None:
    print("  unseen clip (coffee), alpha 0.5: temporal error (mean over c = 1)")
    base = None
    for mode in ("mean", "sampled", "legacy"):
        for smoothing in (0.0, 0.2):
            r = vae_style(clip, model, strength=0.5, mode=mode, smoothing=smoothing,
                          frames_dir=str(folder / f"{mode}_{smoothing}")).report
            base = r["temporal_error"] if base is None else base
            print(f"    {mode:8s} smoothing {smoothing:.1f}: {r['temporal_error']:.3e} "
                  f"({r['temporal_error'] / base:5.2f}x mean), probe {r['probe_output_mean']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--latent", type=int, default=32)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--refiner-steps", type=int, default=150)
    ap.add_argument("--crops", type=int, default=120, help="painting crops")
    ap.add_argument("--frames", type=int, default=60, help="frames per training clip")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (CPU; on a shared, loaded machine 2 ran 10x slower)")
    ap.add_argument("--weights", default="original", help="VGG19 of the Gram measure")
    ap.add_argument("--gallery", type=Path, default=None, help="write the strip and plot here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", RandomWeightsWarning)
    paintings, frames, unseen = data(args.size, args.crops, args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        result = train(args, folder, paintings, frames)
        rep = result.report
        first = rep["psnr_heldout_frames_first_epoch"]
        print(f"conv-VAE style, {args.size} px, {args.latent} codes, {len(paintings)} painting "
              f"crops, {2 * args.frames} frames, {args.steps} + {args.refiner_steps} steps, "
              f"device {args.device}, torch threads {args.threads}, VGG {args.weights}")
        print(f"  trained in {time.perf_counter() - t0:.0f} s; held-out frame PSNR "
              f"{first['psnr']:.2f} dB after the first epoch (step {first['step']}) -> "
              f"{rep['psnr_heldout_frames']:.2f} dB at the end "
              f"({rep.get('psnr_heldout_frames_refined', float('nan')):.2f} dB refined); probe "
              f"accuracy {rep['probe_accuracy']:.3f} on {rep['probe_on']}")
        train_frames = from_frames(image_set(frames, field="frames", size=(args.size,) * 2,
                                             validation=0.1, seed=1).train)
        rows = alpha_table(result.model, train_frames, folder)
        temporal(result.model, unseen, folder)
        if args.gallery is not None:
            from vae_gallery import write_gallery

            write_gallery(args.gallery, result.model, rows, [*list(frames)[::45][:2],
                                                             next(iter(unseen))])


if __name__ == "__main__":
    main()
