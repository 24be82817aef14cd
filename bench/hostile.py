"""How fast, and in how little memory, hostile files are refused (issue 20).

    python bench/hostile.py [--repeat 1] [--command validate|run]

Each case of ``tests/core/hostile/files.py`` (an mp4 declaring 16000 x 16000 frames, a
98-byte GIF declaring a 12000 x 12000 screen, a truncated mp4, model files of a few
hundred bytes declaring networks of gigabytes or nesting JSON 5000 deep, a float mask
in 0..255, a truncated weights archive) is written into a temporary folder and its
recipe given to ``imgfusion validate`` (or ``run``) in a fresh subprocess.  The peer is
the same command on a valid recipe of the same kind: a plain one-step recipe, or, for
model files and weights (whose checks import torch), one reading a valid small
fast_style model.  Prints, per case, the exit status, the wall seconds, their ratio to
the peer's, and the peak resident memory of the child against the peer's.  A
benchmark, not a test.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's imgfusion
CHILD = ("import resource, subprocess, sys, time\n"
         "t0 = time.perf_counter()\n"
         "r = subprocess.run(sys.argv[1:], capture_output=True, timeout=600)\n"
         "print(r.returncode, time.perf_counter() - t0,\n"
         "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def corpus():
    path = ROOT / "tests" / "core" / "hostile" / "files.py"
    spec = importlib.util.spec_from_file_location("hostile_files", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refusal(command: str, recipe: Path) -> tuple[int, float, float]:
    """(exit status, wall seconds, peak MiB) of ``imgfusion COMMAND recipe`` in a child."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, sys.executable, "-m", "imgfusion.cli",
                          command, str(recipe)], capture_output=True, text=True, env=env,
                         cwd=recipe.parent).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024


def best(command: str, recipe: Path, repeat: int) -> tuple[int, float, float]:
    runs = [refusal(command, recipe) for _ in range(repeat)]
    return min(runs, key=lambda r: r[1])


def peers(folder: Path, files, command: str, repeat: int) -> dict[str, tuple]:
    """(seconds, MiB) of the plain peer and of the torch peer (a valid model file)."""
    from imgfusion.trained.modelfile import save_model
    from imgfusion.trained.transform_net import build

    arch = {"width": 2, "residual_blocks": 0}
    plain, torch_peer = folder / "plain" / "recipe.yaml", folder / "torch" / "recipe.yaml"
    for recipe in (plain, torch_peer):
        recipe.parent.mkdir()
    plain.write_text(files.PHOTO)
    save_model(torch_peer.parent / "ok.safetensors", build(arch).state_dict(),
               {"kind": "fast_style", "arch": arch})
    torch_peer.write_text(files.PHOTO + "  - op: fast_style\n    model_file: ok.safetensors\n")
    out = {}
    for name, recipe in (("plain", plain), ("torch", torch_peer)):
        _, seconds, mib = best(command, recipe, repeat)
        print(f"peer {name:5} ({command} of a valid recipe): {seconds:.2f} s, {mib:.0f} MiB")
        out[name] = (seconds, mib)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--command", choices=("validate", "run"), default="validate")
    args = parser.parse_args()
    files = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        peer = peers(Path(tmp), files, args.command, args.repeat)
        print(f"{'case':30} {'bytes':>7} {'exit':>4} {'seconds':>8} {'x peer':>7} "
              f"{'peak MiB':>9} {'x peer':>7}")
        for name, make, text, _ in files.CASES:
            folder = Path(tmp) / name
            folder.mkdir()
            size = make(folder).stat().st_size
            (folder / "recipe.yaml").write_text(text)
            rc, seconds, mib = best(args.command, folder / "recipe.yaml", args.repeat)
            base, base_mib = peer["torch" if name.startswith(("model", "weights")) else "plain"]
            print(f"{name:30} {size:7d} {rc:>4} {seconds:8.2f} {seconds / base:7.2f} "
                  f"{mib:9.0f} {mib / base_mib:7.2f}")


if __name__ == "__main__":
    main()
