"""Time every poisson_blend solver against OpenCV's seamlessClone (same process, interleaved).

    python bench/poisson_speed.py [--sizes 1024 2048] [--solvers mgpcg fft] [--repeat 5]
    python bench/poisson_speed.py --sizes 4096 8192 --device cuda --solvers mgpcg

Target and source are sample images (scikit-image's astronaut and coffee)
resized to N x N; the mask is an ellipse over about 45% of the area, pasted at
the same place.  Each round runs OpenCV's NORMAL_CLONE (when opencv-python is
installed: the ``bench`` extra) and then every solver once, on the same inputs,
so that load from other programs hits all of them alike; the figure kept is
each one's median round (its best, and the median of the per-round ratios to
OpenCV, beside it; then the ratio of the median process CPU times, which
waits for no other program and so holds on a loaded machine: with one thread
each it is the work, with several the sum over threads).  Rounds after the
first run in a seeded random order, so that no runner always runs right after
the same other (the sparse LU's gigabytes slowed whichever solver came next by
up to 40%).  Every timed call starts from an empty mask cache (a new mask:
setup included); ``<solver>+reuse`` lines time the same call again
with the mask's setup cached (video frames, channels, sweeps).  mgpcg keeps its
work arrays between calls by size, whatever the mask (:func:`imgfusion.gradient.
mg_memory.scratch`); ``<solver>+fresh`` lines also drop those, as the first solve
of its size in a process would.

For each size it prints the wall time, the ratio to OpenCV, the relative
residual (float64, Pérez Eq. 7) the solver reports, the largest difference in
grey levels from a tightly converged reference by another algorithm (pyamg
cg, tol 1e-10) and from OpenCV's own result (both truncated to 8 bits as OpenCV does; fft is OpenCV's
algorithm, so expect <= 1), the CG steps, then each solver's 2048^2 / 1024^2
time.

``--threads`` sets the threads of mgpcg (numba), the fft mode (scipy.fft),
OpenCV and torch alike, so that every contender gets the same budget
(default: each library's own; OpenCV and scipy.fft use every core, mgpcg
one, see :mod:`imgfusion.gradient.mgpcg`).  ``--device cuda`` runs ``mgpcg`` in torch on the GPU
(synchronised before the clock stops); a benchmark, not a test.
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
from imgfusion.gradient import mask_cache, mg_memory, mgpcg  # noqa: E402
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


def opencv_runner(source, target, mask):
    """A function running seamlessClone at the same place, returning RGB float; or None."""
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

    def run():  # a fresh mask per call: seamlessClone overwrites a 1-channel mask (#12053)
        out = cv2.seamlessClone(src, dst, m.copy(), centre, cv2.NORMAL_CLONE)
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32) / 255

    return run


def solver_runner(source, target, mask, name, tol, device):
    """A function running poisson_blend with ``name`` (``+reuse``: mask setup cached;
    ``+fresh``: no setup cached and no work array kept)."""
    solver = name.removesuffix("+reuse").removesuffix("+fresh")
    reuse, fresh = name.endswith("+reuse"), name.endswith("+fresh")
    sync = _synchroniser(device if solver == "mgpcg" else "cpu")

    def run():
        if not reuse:
            mask_cache.clear()
        if fresh:
            mg_memory._SCRATCH.clear()
        out = poisson_blend(source, target, mask, solver=solver, tol=tol,
                            device=device if solver in ("mgpcg", "auto") else "cpu")
        sync()
        return out

    return run


def _synchroniser(device):
    if device == "cpu":
        return lambda: None
    import torch
    return lambda: torch.cuda.synchronize(device)


def interleaved(runners: dict, rounds: int) -> tuple[dict, dict, dict]:
    """Wall times and process CPU times (one per round) and last result of each runner
    over ``rounds`` round-robin rounds."""
    times = {name: [] for name in runners}
    cpu = {name: [] for name in runners}
    results = {}
    for k in range(rounds):  # the first round in order, the others shuffled (seeded)
        order = list(runners) if k == 0 else np.random.default_rng(k).permutation(list(runners))
        for name in order:
            run = runners[name]
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return times, cpu, results


def report_size(n, args, times):
    source, target, mask = case(n)
    print(f"\n{n} x {n}: {int(mask.sum())} unknowns")
    runners = {}
    cv = opencv_runner(source, target, mask)
    if cv is None:
        print("  opencv-python not installed (pip install imgfusion[bench]): no ratios")
    else:
        runners["opencv"] = cv
    for name in args.solvers:
        if name.startswith("direct") and n > args.direct_max:
            continue
        runners[name] = solver_runner(source, target, mask, name, args.tol, args.device)
    rounds, cpu, results = interleaved(runners, args.repeat)
    reference = args.reference or ("cg" if n <= 2048 else "mgpcg")
    exact = poisson_blend(source, target, mask, solver=reference, tol=1e-10).image
    opencv8 = results["opencv"] * 255 if cv is not None else None
    median = {name: float(np.median(ts)) for name, ts in rounds.items()}
    for name, seconds in median.items():
        times[(name, n)] = seconds
        line = f"  {name:14s} {seconds:8.3f} s (best {min(rounds[name]):6.3f})"
        if cv is not None and name != "opencv":
            line += (f"  {seconds / median['opencv']:5.2f}x opencv"
                     f" (best {min(rounds[name]) / min(rounds['opencv']):4.2f}x,"
                     f" per round {_round_ratios(rounds[name], rounds['opencv'])};"
                     f" CPU {np.median(cpu[name]) / np.median(cpu['opencv']):4.2f}x)")
        if name != "opencv":
            out, info = results[name]
            line += describe(out, info, exact, opencv8)
        print(line, flush=True)


def _round_ratios(ours, theirs) -> str:
    """Median and spread of the per-round ratios (each round's pair ran close in time)."""
    ratios = np.array(ours) / np.array(theirs)
    return f"median {np.median(ratios):4.2f}, {ratios.min():4.2f}-{ratios.max():4.2f}"


def describe(out, info, exact, opencv8) -> str:
    res = info["residual"]
    text = f"  residual {'-' if res is None else f'{res:.1e}'}"
    text += f"  from exact {255 * np.abs(out - exact).max():7.3f} levels"
    if opencv8 is not None:  # OpenCV clamps and truncates to 8 bits: so do we here
        ours8 = np.floor(np.clip(out.astype(np.float64) * 255, 0, 255))
        diff = np.abs(ours8 - opencv8)
        text += f", from opencv max {diff.max():3.0f} mean {diff.mean():.2f}"
    if "iterations" in info:
        text += f"  its {max(info['iterations'])}"
    return text


def set_threads(threads: int) -> None:
    import numba

    from imgfusion.gradient import fast_poisson
    numba.set_num_threads(threads)
    mgpcg.THREADS = threads
    fast_poisson.WORKERS = threads  # scipy.fft, the fft mode's transforms
    try:
        import cv2
        cv2.setNumThreads(threads)
    except ImportError:
        pass
    import torch
    torch.set_num_threads(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--solvers", nargs="+",
                        default=["mgpcg", "mgpcg+reuse", "cg", "cg+reuse", "fft"],
                        help="poisson_blend solvers; a +reuse suffix keeps the mask's setup, "
                             "+fresh drops mgpcg's pooled work arrays too")
    parser.add_argument("--direct-max", type=int, default=1024,
                        help="skip the sparse LU above this size (memory)")
    parser.add_argument("--tol", type=float, default=1e-6,
                        help="relative residual for the iterative solvers (the issue's target)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best is kept")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for mgpcg (numba), fft (scipy.fft), OpenCV and torch alike "
                             "(default: each library's own: OpenCV, scipy.fft and torch all "
                             "cores, mgpcg one)")
    parser.add_argument("--device", default="cpu", help="where mgpcg runs: cpu, cuda, cuda:N")
    parser.add_argument("--reference", default=None,
                        help="solver of the tol=1e-10 reference (default: cg, pyamg's, up to "
                             "2048^2; above, mgpcg on the CPU, which shares no code with torch)")
    args = parser.parse_args()
    if args.threads:
        set_threads(args.threads)
    warm_up(args)
    print(f"threads {args.threads or 'each library default'}, device {args.device}, median "
          f"(and best) of {args.repeat} interleaved rounds, tol {args.tol:g}, load "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    times: dict[tuple[str, int], float] = {}
    for n in args.sizes:
        report_size(n, args, times)
    print_growth(args, times)
    print(f"load at the end {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def warm_up(args) -> None:
    """Compile (or load from numba's cache) the kernels before any clock starts."""
    source, target, mask = case(64)
    for solver in {s.removesuffix("+reuse").removesuffix("+fresh") for s in args.solvers}:
        poisson_blend(source, target, mask, solver=solver, tol=args.tol,
                      device=args.device if solver in ("mgpcg", "auto") else "cpu").image


def print_growth(args, times) -> None:
    pairs = [(a, b) for a, b in zip(args.sizes, args.sizes[1:]) if b == 2 * a]
    for small, large in pairs:
        print(f"\n{large}^2 time / {small}^2 time (medians):")
        for name in ["opencv", *args.solvers]:
            if (name, small) in times and (name, large) in times:
                print(f"  {name:14s} {times[(name, large)] / times[(name, small)]:5.2f}")


if __name__ == "__main__":
    main()
