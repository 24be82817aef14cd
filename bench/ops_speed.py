"""Wall time of ``imgfusion ops`` with and without the declaration cache (issue #19).

    python bench/ops_speed.py [RUNS]

Runs ``python -m imgfusion.cli ops`` in fresh processes, alternating a cold cache (an
empty ``IMGFUSION_CACHE``: every module's declarations parsed from source) and a warm
one, so that a loaded machine slows both alike.  Prints the medians, their ratio, and
whether torch or scipy was imported.  Byte-code caching is left as the environment has it
(``PYTHONDONTWRITEBYTECODE=1`` recompiles every module each run: compare like with like).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

PROBE = ("import sys, runpy; sys.argv = ['imgfusion', 'ops']\n"
         "try:\n    runpy.run_module('imgfusion.cli', run_name='__main__')\n"
         "except SystemExit:\n    pass\n"
         "print('HEAVY', sorted(m for m in ('torch', 'scipy') if m in sys.modules), "
         "file=sys.stderr)\n")


def one_run(cache: str) -> tuple[float, str]:
    env = dict(os.environ, IMGFUSION_CACHE=cache)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True)
    heavy = next(line for line in done.stderr.splitlines() if line.startswith("HEAVY"))
    return time.perf_counter() - start, heavy


def main(runs: int) -> None:
    cold, warm, heavy = [], [], set()
    with tempfile.TemporaryDirectory() as root:
        one_run(os.path.join(root, "warm"))              # fills the warm cache
        for k in range(runs):
            seconds, seen = one_run(os.path.join(root, f"cold{k}"))
            cold.append(seconds)
            heavy.add(seen)
            seconds, seen = one_run(os.path.join(root, "warm"))
            warm.append(seconds)
            heavy.add(seen)
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"imgfusion ops, median of {runs}: cold cache {c:.3f} s, warm cache {w:.3f} s, "
          f"warm/cold {w / c:.2f}")
    print("heavy modules imported:", " ".join(sorted(heavy)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
