"""Poisson blending at 8K and 16K: time and peak memory against OpenCV's seamlessClone.

    python bench/poisson_big.py [--sizes 8192 16384] [--fractions 0.25 1.0] [--threads 1]

For each target size N and region fraction f, a square region of side
sqrt(f) N (f = 1: the whole target but its 1-pixel frame, which holds the
boundary values) is pasted at the target's centre from a source the size of
the region, by ``poisson_blend`` (mgpcg, tol 1e-6: exact) and by OpenCV's
``seamlessClone`` (NORMAL_CLONE, 8-bit, as it requires).  Each run happens in
a child process of its own, after its inputs exist: the peak resident memory
it adds (VmHWM, reset through /proc/self/clear_refs once the inputs are made)
and, for ours, tracemalloc's peak of the arrays it allocates.  The rule the
test (tests/gradient/test_blend_memory.py) checks on small cases is printed
beside it: 1.5 x the target's bytes (the result) + mgpcg.BYTES_PER_CELL per
box cell and channel.  A case whose estimate does not fit in 70 % of the
memory available now is skipped and says so (70 %: the machine is shared).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's imgfusion


def inputs(n: int, fraction: float, levels: bool):
    """(source, target, mask, offset): smooth float32 images (8-bit levels when ``levels``)."""
    side = n - 2 if fraction >= 1 else int(round(np.sqrt(fraction) * n))
    ramp = np.linspace(0.1, 0.9, n, dtype=np.float32)
    target = np.empty((n, n, 3), np.float32)
    for c in range(3):
        target[:, :, c] = ramp[:, None] * (0.5 + 0.1 * c) + ramp[None, ::-1] * 0.4
    wave = np.sin(np.linspace(0, 40, side, dtype=np.float32)) * 0.2 + 0.5
    source = np.empty((side, side, 3), np.float32)
    for c in range(3):
        source[:, :, c] = wave[:, None] * (0.6 + 0.2 * c) + wave[None, :] * 0.3
    if levels:
        target, source = ((im * 255).round() / 255 for im in (target, source))
    mask = np.ones((side, side), bool)
    mask[0, 0] = False  # not a plain rectangle
    return source, target, mask, ((n - side) // 2,) * 2


def rss_peak_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def rss_peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def run_ours(n, fraction, threads):
    import tracemalloc

    import numba

    from imgfusion.gradient import mgpcg
    from imgfusion.gradient.blending import poisson_blend
    numba.set_num_threads(threads)
    mgpcg.THREADS = threads
    small = inputs(64, fraction, True)  # compile (or load) the kernels first
    poisson_blend(*small[:3], offset=small[3], solver="mgpcg", tol=1e-6)
    source, target, mask, offset = inputs(n, fraction, True)
    base = rss_now()
    rss_peak_reset()
    tracemalloc.start()
    start = time.perf_counter()
    result = poisson_blend(source, target, mask, offset=offset, solver="mgpcg", tol=1e-6)
    seconds = time.perf_counter() - start
    _, traced = tracemalloc.get_traced_memory()
    return {"seconds": seconds, "rss": rss_peak() - base, "traced": traced,
            "residual": result.info["residual"], "unknowns": result.info["unknowns"],
            "iterations": max(result.info["iterations"]),
            "target_bytes": target.nbytes, "cells": (mask.shape[0] + 2) ** 2}


def run_opencv(n, fraction, threads):
    import cv2
    cv2.setNumThreads(threads)
    source, target, mask, (r, c) = inputs(n, fraction, True)
    src = (source * 255).round().astype(np.uint8)[:, :, ::-1].copy()
    dst = (target * 255).round().astype(np.uint8)[:, :, ::-1].copy()
    m = mask.astype(np.uint8) * 255
    del source, target
    h, w = m.shape
    framed = np.zeros_like(m)  # OpenCV clears the mask's frame before taking its box
    framed[1:-1, 1:-1] = m[1:-1, 1:-1]
    x, y, bw, bh = cv2.boundingRect(framed)
    centre = (c + x + bw // 2, r + y + bh // 2)
    base = rss_now()
    rss_peak_reset()
    start = time.perf_counter()
    cv2.seamlessClone(src, dst, m, centre, cv2.NORMAL_CLONE)
    return {"seconds": time.perf_counter() - start, "rss": rss_peak() - base}


def child(args) -> None:
    runner = run_ours if args.child == "ours" else run_opencv
    print(json.dumps(runner(args.size, args.fraction, args.threads)))


def in_child(who, n, fraction, threads, timeout):
    cmd = [sys.executable, __file__, "--child", who, "--size", str(n), "--fraction",
           str(fraction), "--threads", str(threads)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def estimate(n, fraction) -> int:
    """Bytes a case needs: inputs and result, and the solve's working set: the test's
    rule (mgpcg.BYTES_PER_CELL per cell and channel) where channels are solved together,
    100 bytes a cell where they go one at a time (tracemalloc: 84 at 512^2, the result
    aside)."""
    from imgfusion.gradient import mgpcg
    side = n - 2 if fraction >= 1 else int(round(np.sqrt(fraction) * n))
    cells = (side + 2) ** 2
    per_cell = 100 if cells > mgpcg.BATCHED_CELLS else 3 * mgpcg.BYTES_PER_CELL
    return 12 * (2 * n * n + side * side) + per_cell * cells


def report(n, fraction, args) -> None:
    need, free = estimate(n, fraction), available()
    head = f"{n:6d}^2 region {100 * fraction:3.0f}%"
    if need > 0.7 * free:
        print(f"{head}  skipped: needs about {need / 2**30:.1f} GiB, "
              f"{free / 2**30:.1f} GiB available now", flush=True)
        return
    ours = in_child("ours", n, fraction, args.threads, args.timeout)
    cv = in_child("opencv", n, fraction, args.threads, args.timeout) if args.opencv else None
    if "error" in ours:
        print(f"{head}  ours failed: {ours['error']}", flush=True)
        return
    from imgfusion.gradient import mgpcg
    gib = 2 ** 30
    rule = 1.5 * ours["target_bytes"] + mgpcg.BYTES_PER_CELL * 3 * ours["cells"]
    line = (f"{head}  {ours['unknowns']:>10d} unknowns  ours {ours['seconds']:7.2f} s  "
            f"rss +{ours['rss'] / gib:5.2f} GiB  traced {ours['traced'] / gib:5.2f} GiB "
            f"(rule {rule / gib:5.2f}; target {ours['target_bytes'] / gib:4.2f})  "
            f"residual {ours['residual']:.1e} ({ours['iterations']} steps)")
    if cv is not None:
        line += ("  opencv " + cv["error"] if "error" in cv else
                 f"  opencv {cv['seconds']:7.2f} s rss +{cv['rss'] / gib:5.2f} GiB  "
                 f"time {ours['seconds'] / cv['seconds']:4.2f}x  "
                 f"memory {ours['rss'] / max(cv['rss'], 1):4.2f}x opencv")
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8192, 16384])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 1.0])
    parser.add_argument("--threads", type=int, default=1, help="for both, as in poisson_speed")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per child run")
    parser.add_argument("--no-opencv", dest="opencv", action="store_false")
    parser.add_argument("--child", choices=["ours", "opencv"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fraction", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"threads {args.threads}; load {Path('/proc/loadavg').read_text().split()[:3]}")
    for n in args.sizes:
        for fraction in args.fractions:
            report(n, fraction, args)


if __name__ == "__main__":
    main()
