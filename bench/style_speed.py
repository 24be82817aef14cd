"""Milliseconds per L-BFGS / Adam iteration of ``neural_style`` next to a tutorial-style baseline.

The baseline is written the way the PyTorch neural-style tutorial builds its model:
the whole of torchvision's VGG19 ``features`` (no truncation), a normalisation module
in front, ReLUs made out-of-place, and content/style loss modules inserted after the
loss layers; the closure clamps the image, runs the model and sums the losses that
the modules stored.  Both sides use the same layers, weights (seeded random: speed
does not depend on them), image size and optimiser, and run interleaved in rounds in
this one process so that load from other programs hits both alike.  The figure per
configuration are the median and the minimum over the timed iterations (the first
iteration of each round is a warm-up and not counted); on a shared machine the
minimum is the steadier one.

Two layer sets are measured:

- ``paper``: content relu4_2, style relu1_1 ... relu5_1 (neural_style's defaults);
- ``tutorial``: the tutorial's own choice, content conv2_2 ("conv_4"), style
  conv1_1 ... conv3_1 ("conv_1" ... "conv_5").

What to expect: with the paper's layers both sides run the same convolutions up to
relu5_1 (over 85 % of the time on a CPU); the baseline only adds the forward pass of
conv5_2 to conv5_4, so the two are close.  With the tutorial's shallow layers the
truncated encoder skips most of the network, and the one-product Gram backward
(:mod:`imgfusion.style.losses`) saves a matrix product and a large addition per layer.
On a shared CPU pass ``--threads 1``: two processes that each spin two OpenMP threads
on two cores make the timings jump by several times.

Usage::

    python bench/style_speed.py                       # CPU: 256 px
    python bench/style_speed.py --sizes 256 512 1024 --device cuda --cudnn-benchmark \
        --channels-last --sync-every 10 --compile --precision bf16
"""
from __future__ import annotations

import argparse
import ctypes
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgfusion.style.devices import resolve_device  # noqa: E402
from imgfusion.style.layers import INDEX  # noqa: E402
from imgfusion.style.pipeline import Speed  # noqa: E402
from imgfusion.style.transfer import neural_style  # noqa: E402
from imgfusion.style.weights import RandomWeightsWarning, random_features  # noqa: E402

LAYER_SETS = {
    "paper": (["relu4_2"], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]),
    "tutorial": (["conv2_2"], ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1"]),
}


# --- the tutorial-style baseline ------------------------------------------------------
class _Normalize(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(-1, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(-1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class _ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target, self.loss = target.detach(), None

    def forward(self, x):
        self.loss = nn.functional.mse_loss(x, self.target)
        return x


def _tutorial_gram(x):
    b, c, h, w = x.size()
    f = x.view(b * c, h * w)
    return torch.mm(f, f.t()).div(b * c * h * w)


class _StyleLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target, self.loss = _tutorial_gram(target).detach(), None

    def forward(self, x):
        self.loss = nn.functional.mse_loss(_tutorial_gram(x), self.target)
        return x


def _full_vgg(seed: int) -> nn.Sequential:
    from torchvision.models import vgg19
    features = vgg19(weights=None).features
    state = random_features(seed, len(features))
    features.load_state_dict(state)
    return features


def baseline_model(features, content_img, style_img, content_layers, style_layers):
    """Loss modules inserted after the named layers of the full (untruncated) features."""
    model = nn.Sequential(_Normalize().to(content_img.device))
    names = {i: n for n, i in INDEX.items()}
    c_losses, s_losses = [], []
    for i, layer in enumerate(features):
        if isinstance(layer, nn.ReLU):
            layer = nn.ReLU(inplace=False)
        model.add_module(names[i], layer)
        if names[i] in content_layers:
            with torch.no_grad():
                loss = _ContentLoss(model(content_img))
            model.add_module(f"content_{names[i]}", loss)
            c_losses.append(loss)
        if names[i] in style_layers:
            with torch.no_grad():
                loss = _StyleLoss(model(style_img))
            model.add_module(f"style_{names[i]}", loss)
            s_losses.append(loss)
    model.eval().requires_grad_(False)
    return model, c_losses, s_losses


def run_baseline(features, content, style, layers, optimizer, iterations, device, stamps):
    content_t = torch.from_numpy(content).permute(2, 0, 1)[None].to(device)
    style_t = torch.from_numpy(style).permute(2, 0, 1)[None].to(device)
    model, c_losses, s_losses = baseline_model(features, content_t, style_t, *layers)
    x = content_t.contiguous().clone().requires_grad_(True)
    opt = (torch.optim.LBFGS([x], max_iter=1) if optimizer == "lbfgs"
           else torch.optim.Adam([x], lr=0.02))

    def closure():
        with torch.no_grad():
            x.clamp_(0, 1)
        opt.zero_grad()
        model(x)
        loss = 1e3 * sum(m.loss for m in s_losses) + sum(m.loss for m in c_losses)
        loss.backward()
        return loss

    peak = None
    for i in range(iterations):
        opt.step(closure)
        _sync(device)
        stamps.append(time.perf_counter())
        if i == 0:  # working memory of the loop, after the set-up and the first step
            peak = _reset_peak(device)
    return peak


# --- measurement ------------------------------------------------------------------------
def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        return torch.cuda.memory_allocated(device)
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (peak RSS)
    except OSError:
        return None
    return _status_kib("VmRSS") * 1024


def _peak(device, base):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) - base
    return None if base is None else _status_kib("VmHWM") * 1024 - base


def _status_kib(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def per_iteration_ms(stamps_per_round):
    """(median, min) gap between consecutive timestamps in ms, first gap of each round excluded.

    The minimum is the figure least disturbed by other programs on a shared machine."""
    gaps = []
    for stamps in stamps_per_round:
        gaps += [(b - a) / n for (a, _), (b, n) in zip(stamps[1:], stamps[2:])]
    return 1e3 * statistics.median(gaps), 1e3 * min(gaps)


def measure(args, device, size, optimizer, layer_set):
    rng = np.random.default_rng(0)
    content = rng.random((size, size, 3), dtype=np.float32)
    style = rng.random((size, size, 3), dtype=np.float32)
    layers = LAYER_SETS[layer_set]
    features = _full_vgg(0).to(device)
    ours_rounds, base_rounds, peaks = [], [], {"ours": 0, "baseline": 0}
    for _ in range(args.rounds):
        stamps = []

        base = []

        def progress(done, total, **info):
            _sync(device)
            stamps.append((time.perf_counter(), args.sync_every))
            if len(stamps) == 1:  # as for the baseline: after the set-up and first step
                base.append(_reset_peak(device))
        neural_style(content, style, content_layers=layers[0], style_layers=layers[1],
                     size=None, optimizer=optimizer, iterations=args.iterations,
                     weights="random", device=str(device), precision=args.precision,
                     progress=progress, speed=Speed(channels_last=args.channels_last,
                                                    sync_every=args.sync_every,
                                                    compile=args.compile))
        peaks["ours"] = max(peaks["ours"], _peak(device, base[0]) or 0)
        ours_rounds.append(stamps)
        raw = []
        base = run_baseline(features, content, style, layers, optimizer, args.iterations,
                            device, raw)
        peaks["baseline"] = max(peaks["baseline"], _peak(device, base) or 0)
        base_rounds.append([(t, 1) for t in raw])
    return per_iteration_ms(ours_rounds), per_iteration_ms(base_rounds), peaks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None,
                    help="image sides (default: 256 on CPU, 256 512 1024 on CUDA)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--optimizers", nargs="+", default=["lbfgs", "adam"])
    ap.add_argument("--layer-sets", nargs="+", default=["paper", "tutorial"],
                    choices=sorted(LAYER_SETS))
    ap.add_argument("--iterations", type=int, default=4, help="iterations per round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--cudnn-benchmark", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile the encoder")
    ap.add_argument("--sync-every", type=int, default=1,
                    help="read losses back every N iterations (N > 1: no host sync per step)")
    ap.add_argument("--threads", type=int, default=None,
                    help="CPU threads (torch.set_num_threads); default: torch's choice")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", RandomWeightsWarning)
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    sizes = args.sizes or ([256, 512, 1024] if device.type == "cuda" else [256])
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (
        f"cpu, {torch.get_num_threads()} threads")
    print(f"# device {name}; torch {torch.__version__}; {args.rounds} rounds x "
          f"{args.iterations} iterations; precision {args.precision}; channels_last "
          f"{args.channels_last}; sync_every {args.sync_every}; compile {args.compile}")
    mem = "peak CUDA alloc" if device.type == "cuda" else "peak RSS growth"
    print(f"{'size':>5} {'layers':>8} {'optim':>6} {'ours ms/it':>15} {'base ms/it':>15} "
          f"{'speed-up':>13}  {mem} ours / base (MiB)")
    print(f"{'':>22}{'median   min':>16}{'median   min':>16}{'median  min':>14}")
    for size in sizes:
        for layer_set in args.layer_sets:
            for optimizer in args.optimizers:
                ours, base, peaks = measure(args, device, size, optimizer, layer_set)
                print(f"{size:>5} {layer_set:>8} {optimizer:>6} {ours[0]:>8.1f}{ours[1]:>7.1f} "
                      f"{base[0]:>8.1f}{base[1]:>7.1f} {base[0] / ours[0]:>6.2f}x"
                      f"{base[1] / ours[1]:>6.2f}x  {peaks['ours'] / 2**20:.0f} / "
                      f"{peaks['baseline'] / 2**20:.0f}", flush=True)


if __name__ == "__main__":
    main()
