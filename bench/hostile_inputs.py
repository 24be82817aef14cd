"""How fast, and in how little memory, hostile recipes and images are refused.

    python bench/hostile_inputs.py [--repeat 1]

Each case of ``tests/core/hostile/corpus.py`` (aliases, duplicate keys, a million-
variant sweep, ...) and each image of ``tests/io/test_pixel_limit.py`` whose header
declares a huge size is validated by ``imgfusion validate`` in a fresh subprocess; the
peer is the same command on a plain one-step recipe (interpreter start and imports).
Prints, per case, the exit status, the wall time, its ratio to the peer's, the peak
resident memory, and the seconds ``load_recipe`` takes to refuse it inside this process
(imports already done).  A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's imgfusion


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def measure(recipe: Path) -> tuple[int, float, int]:
    """(exit status, wall seconds, peak KiB) of ``imgfusion validate recipe`` in a child."""
    script = ("import resource, subprocess, sys, time\n"
              "t0 = time.perf_counter()\n"
              "r = subprocess.run(sys.argv[1:], capture_output=True, timeout=600)\n"
              "dt = time.perf_counter() - t0\n"
              "print(r.returncode, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "imgfusion.cli",
                          "validate", str(recipe)], capture_output=True, text=True, env=env,
                         cwd=recipe.parent).stdout.split()
    return int(out[0]), float(out[1]), int(out[2])


def in_process(recipe: Path) -> float:
    """Seconds that load_recipe (parse + validate) takes to refuse ``recipe`` here."""
    from imgfusion.errors import ImgfusionError
    from imgfusion.recipe import load_recipe

    t0 = time.perf_counter()
    try:
        load_recipe(recipe)
    except ImgfusionError:
        pass
    return time.perf_counter() - t0


def cases(folder: Path) -> list[tuple[str, Path]]:
    corpus = _module(ROOT / "tests" / "core" / "hostile" / "corpus.py", "corpus")
    images = _module(ROOT / "tests" / "io" / "test_pixel_limit.py", "pixel_limit")
    out = []
    for name, content, _ in corpus.CASES:
        path = folder / f"{name}.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        out.append((name, path))
    for name, ext, data in images.HUGE:
        (folder / f"{name}.{ext}").write_bytes(data)
        path = folder / f"image_{name}.yaml"
        path.write_text(f"imgfusion: 1\nsteps:\n  - op: load\n    path: {name}.{ext}\n")
        out.append((f"image_{name}", path))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        peer = folder / "peer.yaml"
        peer.write_text("imgfusion: 1\nsteps:\n  - op: load\n    path: sample:camera\n")
        base = min(measure(peer)[1] for _ in range(args.repeat))
        print(f"peer (plain recipe): {base:.2f} s")
        in_process(peer)  # imports and the plugin registry, once
        print(f"{'case':36} {'exit':>4} {'seconds':>8} {'x peer':>7} {'peak MiB':>9} "
              f"{'validate s':>10}")
        for name, path in cases(folder):
            runs = [measure(path) for _ in range(args.repeat)]
            rc, seconds, peak = min(runs, key=lambda r: r[1])
            inside = min(in_process(path) for _ in range(args.repeat))
            print(f"{name:36} {rc:>4} {seconds:8.2f} {seconds / base:7.2f} {peak / 1024:9.0f} "
                  f"{inside:10.4f}")


if __name__ == "__main__":
    main()
