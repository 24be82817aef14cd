"""imgfusion batch: each executor's per-item overhead and speed-up against a serial run.

Two workloads, each run serially first (the same per-item work,
``imgfusion.batch.work.run_chunk``, in this process, warm: the reference), then on
each executor with W workers (default 2), in ``--repeat`` interleaved rounds:

- small: N cheap items (load a 64 x 64 PNG, resize down and up, feathered-mask
  composite, save; default 200), where the executor's own cost shows;
- long: M items of about half a second of CPU each (``burn``, a plugin operator
  written by this script: a fixed number of sorts, calibrated here at start).

Executors: ``local`` (W processes), ``dask`` (a LocalCluster of W single-threaded
processes) and ``ray`` (W CPUs), those installed.  Printed per run: wall seconds
(start-up included), start-up seconds, items per second, the speed-up over serial,
and the per-item overhead (wall - serial / W) / N: what each item costs beyond a
perfect W-way split of the serial run.  At the end, per executor: the small items'
per-item overhead and the long items' speed-up, as median, min and max over the
rounds.  A shared, loaded machine moves these by tens of per cent: read the spread.

    PYTHONPATH=$PWD python bench/batch_speed.py [--items 200] [--long-items 24]
        [--item-s 0.5] [--workers 2] [--chunk K] [--repeat 3] [--executors local]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from imgfusion.errors import UsageError

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


BURN_PLUGIN = """\
import numpy as np
from imgfusion import hookimpl
from imgfusion.operators import Input, Operator, Output, Param


def burn(image, *, rounds: int = 1):
    \"\"\"Fixed CPU work (sorting 200k numbers ``rounds`` times); the image unchanged.\"\"\"
    data = np.random.default_rng(0).random(200_000)
    for _ in range(rounds):
        np.sort(data, kind="mergesort")
    return image


@hookimpl
def imgfusion_register_operators(register):
    register(Operator(name="burn", func=burn, summary="fixed CPU work (bench)",
                      inputs=[Input("image")], outputs=[Output("image")],
                      params=[Param("rounds", int, 1, min=1, max=10**7, help="work")]))
"""
LONG_RECIPE = """\
imgfusion: 1
plugins: [{plugin}]
steps:
  - {{id: photo, op: load}}
  - {{id: work, op: burn, rounds: {rounds}}}
  - {{op: save, path: same.png}}
"""


def make_inputs(folder: Path, n: int) -> None:
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


def run_serial(tmp: Path, recipe: Path, bind: str, name: str) -> float:
    """The items' work in this process, warm (registry and imports loaded), no executor."""
    from imgfusion.batch.job import prepare
    from imgfusion.batch.work import run_chunk

    out = tmp / name
    job, items, _ = prepare(recipe, [bind], out)
    out.mkdir()
    run_chunk(job, items[:1])             # warm the registry and imports, as a worker would
    shutil.rmtree(out)
    out.mkdir()
    t = time.perf_counter()
    records = run_chunk(job, items)
    wall = time.perf_counter() - t
    assert all(r["status"] == "done" for r in records), records[:1]
    return wall


def run_executor(tmp: Path, recipe: Path, bind: str, spec, name: str, workers: int,
                 chunk: int | None, serial: str):
    from imgfusion.batch.executor import ExecutorOptions
    from imgfusion.batch.job import prepare
    from imgfusion.batch.runner import run_batch

    job, items, _ = prepare(recipe, [bind], tmp / name)
    executor = Timed(spec.create(ExecutorOptions(workers=workers)))
    t = time.perf_counter()
    result = run_batch(job, items, executor, chunk=chunk, progress=False)
    wall = time.perf_counter() - t
    assert result.exit_code == 0, result.summary()
    outputs = sorted(p.name for p in (tmp / serial / items[0].folder).iterdir())
    same = all((tmp / name / i.folder / o).read_bytes() == (tmp / serial / i.folder / o)
               .read_bytes() for i in items for o in outputs if o.endswith(".png"))
    return wall, executor.start_s, same


def calibrate(tmp: Path, seconds: float) -> int:
    """Rounds of the burn operator that take about ``seconds`` here, now."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("burn_plugin", tmp / "burn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    image = np.zeros((8, 8, 3), np.float32)
    module.burn(image, rounds=2)
    t = time.perf_counter()
    module.burn(image, rounds=20)
    return max(1, round(20 * seconds / (time.perf_counter() - t)))


def spread(values: list[float]) -> str:
    v = sorted(values)
    return f"median {statistics.median(v):.2f}, min {v[0]:.2f}, max {v[-1]:.2f} (n={len(v)})"


def row(name: str, wall: float, start: float, n: int, serial: float, w: int, same) -> float:
    """Print one executor's line; return its per-item overhead in ms."""
    overhead = (wall - serial / w) / n * 1000
    mark = "" if same is None else ("identical" if same else "DIFFERENT")
    print(f"  {name:<8} {wall:7.2f} {start:8.2f} {n / wall:8.1f} {serial / wall:9.2f} "
          f"{overhead:17.1f}  {mark}")
    return overhead


def one_round(tmp: Path, k: int, args, specs, small: tuple, long: tuple) -> dict:
    """Serial then each executor, on the small items and on the long ones."""
    got: dict = {}
    for label, (recipe, bind, n, chunk) in (("small", small), ("long", long)):
        serial = run_serial(tmp, recipe, bind, f"serial-{label}-{k}")
        print(f"round {k + 1}, {n} {label} items, {args.workers} workers:")
        row("serial", serial, 0.0, n, serial, 1, None)
        for name, spec in list(specs.items()):
            try:
                wall, start, same = run_executor(tmp, recipe, bind, spec, f"{name}-{label}-{k}",
                                                 args.workers, chunk, f"serial-{label}-{k}")
            except UsageError as exc:        # its plugin is here, its engine is not
                print(f"  {name:<8} cannot run: {exc}")
                del specs[name]
                continue
            over = row(name, wall, start, n, serial, args.workers, same)
            got.setdefault(name, {})[label] = (over, serial / wall)
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200, help="small items (64 x 64, cheap)")
    ap.add_argument("--long-items", type=int, default=24, help="items of --item-s seconds")
    ap.add_argument("--item-s", type=float, default=0.5, help="seconds of work a long item")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=None, help="items per task (default: auto)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds, interleaved")
    ap.add_argument("--executors", default="local,dask,ray")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="imgfusion-batch-bench-"))
    try:
        make_inputs(tmp / "in", max(args.items, args.long_items))
        (tmp / "recipe.yaml").write_text(RECIPE)
        (tmp / "burn.py").write_text(BURN_PLUGIN)
        rounds = calibrate(tmp, args.item_s)
        (tmp / "long.yaml").write_text(LONG_RECIPE.format(plugin=tmp / "burn.py", rounds=rounds))
        specs = {n: s for n in args.executors.split(",") if (s := executor_spec(n)) is not None}
        print(f"executors: {', '.join(specs) or 'none'}; long items: {rounds} burn rounds "
              f"(about {args.item_s} s each here, calibrated now); chunks: "
              f"{args.chunk or 'auto'}")
        print(f"  {'executor':<8} {'wall s':>7} {'start s':>8} {'items/s':>8} {'speed-up':>9} "
              f"{'overhead ms/item':>17}  outputs")
        small = (tmp / "recipe.yaml", f"photo.path={tmp / 'in'}/*.png", args.items, args.chunk)
        long = (tmp / "long.yaml", f"photo.path=@{_list(tmp, args.long_items)}",
                args.long_items, args.chunk)
        results = [one_round(tmp, k, args, specs, small, long) for k in range(args.repeat)]
        for name in [n for n in specs if all(n in r for r in results)]:
            print(f"{name}: per-item overhead, {args.items} small items (ms): "
                  f"{spread([r[name]['small'][0] for r in results])}")
            print(f"{name}: speed-up over serial, {args.long_items} items of about "
                  f"{args.item_s} s, {args.workers} workers: "
                  f"{spread([r[name]['long'][1] for r in results])}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _list(tmp: Path, n: int) -> Path:
    listing = tmp / "long.txt"
    listing.write_text("".join(f"in/img{i:04d}.png\n" for i in range(n)))
    return listing


if __name__ == "__main__":
    main()
