"""Measured peak memory of neural_style on the CPU against the estimate that guards it.

    python bench/style_memory.py                  # sizes 256 384 512, adam
    python bench/style_memory.py --sizes 256 --optimizers lbfgs   # slow: minutes

Each case runs in a fresh process: a tiny warm-up run loads torch and the (random)
weights, then the peak resident set (ru_maxrss) of the real run, above the resident
set after the warm-up, is compared with ``checks.estimate_bytes``.  A ratio
estimate / measured at or above 1 is what the guard needs (it refuses a run whose
estimate exceeds 90% of the free memory).  L-BFGS runs 110 iterations at 256 px so
that its 100-pair history is full (over 15 minutes on 2 shared cores); Adam runs 3.

Measured on the shared 2-core machine (adam, relu5_1): 256 px 271-325 MiB against an
estimate of 282 MiB; 512 px 940-960 MiB against 958 MiB.  The estimate before this
change (no max-pool indices, no allowance) was 214 and 707 MiB: 20-25% low.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, warnings
import numpy as np, torch
from imgfusion.style import transfer, checks
from imgfusion.style.layers import INDEX
warnings.simplefilter("ignore")
torch.set_num_threads(2)
size, optimizer, iters = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(0)
img = rng.random((size, size, 3), dtype=np.float32)
small = img[:32, :32]
transfer.neural_style(small, small, weights="random", size=None, iterations=1, device="cpu")
with open("/proc/self/statm") as fh:
    base = int(fh.read().split()[1]) * resource.getpagesize()
transfer.neural_style(img, img, weights="random", size=None, iterations=iters,
                      optimizer=optimizer, device="cpu")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
est = checks.estimate_bytes((size, size), INDEX["relu5_1"], optimizer)
style = checks.estimate_forward_bytes((size, size), ["relu1_1", "relu2_1", "relu3_1",
                                                     "relu4_1", "relu5_1"])
print(json.dumps({"measured": peak - base, "estimate": max(est, style)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 384, 512])
    ap.add_argument("--optimizers", nargs="+", default=["adam"])
    args = ap.parse_args()
    mib = 2 ** 20
    print(f"{'size':>5} {'optimizer':>9} {'measured MiB':>13} {'estimate MiB':>13} {'ratio':>6}")
    for optimizer in args.optimizers:
        for size in args.sizes:
            iters = 110 if optimizer == "lbfgs" else 3
            if optimizer == "lbfgs" and size > 256:
                continue  # 110 full-size iterations take minutes on 2 cores
            out = subprocess.run([sys.executable, "-c", CHILD, str(size), optimizer, str(iters)],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{size:>5} {optimizer:>9} {r['measured'] / mib:>13.0f} "
                  f"{r['estimate'] / mib:>13.0f} {r['estimate'] / r['measured']:>6.2f}")


if __name__ == "__main__":
    main()
