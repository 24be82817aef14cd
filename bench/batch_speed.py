"""imgfusion batch: items per second of each executor against the serial run.

A cheap recipe (load, resize down and up, feathered-mask composite = blend,
save) over N small random PNGs (default 200 of 64 x 64), run

- serially: the same per-item work (``imgfusion.batch.work.run_chunk``) in this
  process, no executor: the reference;
- ``local`` with W worker processes (default 2);
- ``dask`` with a LocalCluster of W single-threaded worker processes;
- ``ray`` on a local Ray with W CPUs (if imgfusion-ray / ray are importable).

Printed per executor: wall seconds (start-up included), start-up seconds
(starting the pool / cluster), items per second, the speed-up over serial, and
the per-item overhead: (wall - serial / W) / N, the wall time each item costs
beyond a perfect W-way split of the serial run.  Figures from a shared 2-core
machine vary by tens of per cent from run to run; compare within one run.

    PYTHONPATH=$PWD python bench/batch_speed.py [--items 200] [--workers 2] [--chunk 8]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = """\
imgfusion: 1
steps:
  - {id: photo, op: load}
  - {id: small, op: resize, scale: 0.5}
  - {id: big, op: resize, image: $small, size: [64, 64]}
  - {id: mask, op: shape_mask, like: $photo, feather: 6}
  - {id: blend, op: composite, foreground: $big, background: $photo, mask: $mask}
  - {op: save, path: blend.png}
"""


def make_inputs(folder: Path, n: int) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        pixels = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"img{i:04d}.png")


def executor_spec(name: str):
    """The registered executor, or the plugin module from plugins/ if not installed."""
    import importlib

    from imgfusion.batch.executor import ExecutorSpec, resolve_executor
    from imgfusion.errors import UsageError
    from imgfusion.plugins import load_registry

    try:
        return resolve_executor(load_registry(), name)
    except UsageError:
        sys.path.insert(0, str(ROOT / "plugins" / f"imgfusion-{name}"))
        try:
            module = importlib.import_module(f"imgfusion_{name}")
        except ImportError:
            return None
        cls = next(v for k, v in vars(module).items() if k.lower() == f"{name}executor")
        return ExecutorSpec(name, cls)


class Timed:
    """Delegates to an executor and times its start()."""

    def __init__(self, inner):
        self.inner, self.start_s = inner, 0.0

    def __getattr__(self, attr):
        return getattr(self.inner, attr)

    def start(self):
        t = time.perf_counter()
        self.inner.start()
        self.start_s = time.perf_counter() - t


def run_serial(tmp: Path, recipe: Path, n: int) -> float:
    from imgfusion.batch.job import prepare
    from imgfusion.batch.work import run_chunk

    job, items, _ = prepare(recipe, [f"photo.path={tmp / 'in'}/*.png"], tmp / "serial")
    run_chunk(job, items[:1])             # warm the registry and imports, as a worker would
    shutil.rmtree(tmp / "serial")
    job, items, _ = prepare(recipe, [f"photo.path={tmp / 'in'}/*.png"], tmp / "serial")
    t = time.perf_counter()
    records = run_chunk(job, items)
    wall = time.perf_counter() - t
    assert all(r["status"] == "done" for r in records) and len(records) == n
    return wall


def run_executor(tmp: Path, recipe: Path, name: str, workers: int, chunk: int):
    from imgfusion.batch.executor import ExecutorOptions
    from imgfusion.batch.job import prepare
    from imgfusion.batch.runner import run_batch

    spec = executor_spec(name)
    if spec is None:
        return None
    job, items, _ = prepare(recipe, [f"photo.path={tmp / 'in'}/*.png"], tmp / name)
    executor = Timed(spec.create(ExecutorOptions(workers=workers)))
    t = time.perf_counter()
    result = run_batch(job, items, executor, chunk=chunk, progress=False)
    wall = time.perf_counter() - t
    assert result.exit_code == 0, result.summary()
    same = all((tmp / name / i.folder / "blend.png").read_bytes()
               == (tmp / "serial" / i.folder / "blend.png").read_bytes() for i in items)
    return wall, executor.start_s, same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--executors", default="local,dask,ray")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="imgfusion-batch-bench-"))
    try:
        make_inputs(tmp / "in", args.items)
        recipe = tmp / "recipe.yaml"
        recipe.write_text(RECIPE)
        serial = run_serial(tmp, recipe, args.items)
        n, w = args.items, args.workers
        print(f"{n} items of 64x64, {w} workers, chunks of {args.chunk}")
        print(f"{'executor':<8} {'wall s':>7} {'start s':>8} {'items/s':>8} {'speed-up':>9} "
              f"{'overhead ms/item':>17}  outputs")
        print(f"{'serial':<8} {serial:7.2f} {0:8.2f} {n / serial:8.1f} {1:9.2f} {0:17.1f}")
        for name in args.executors.split(","):
            got = run_executor(tmp, recipe, name, w, args.chunk)
            if got is None:
                print(f"{name:<8} not installed")
                continue
            wall, start, same = got
            overhead = (wall - serial / w) / n * 1000
            print(f"{name:<8} {wall:7.2f} {start:8.2f} {n / wall:8.1f} {serial / wall:9.2f} "
                  f"{overhead:17.1f}  {'identical' if same else 'DIFFERENT'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
