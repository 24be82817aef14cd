"""Tiled neural style: peak memory at a large size, seams, and tiled against untiled.

    OMP_NUM_THREADS=1 python bench/style_tiles.py memory --size 2048 --limit 1536 --tiles 2
    OMP_NUM_THREADS=1 python bench/style_tiles.py memory --size 4096 --limit 3072 --tiles 2 \
        --depth 2 --tile-iterations 4 --style-scale 0.5
    OMP_NUM_THREADS=1 python bench/style_tiles.py quality --size 256 --tile 128 --iterations 8 \
        --pairs astronaut,coffee chelsea,hubble_deep_field [--tiles-mode joint]

memory: one fresh process per size runs ``neural_style`` through the tiled path (astronaut
as content, coffee as style, the original VGG19, default layers) with ``memory_limit``
MiB: a coarse pass at ``--coarse`` px, then ``--tile-iterations`` per tile at
``--depth`` (tile_depth).  ``--tiles K`` stops after K tiles (all tiles are the same size
and every full-size buffer is allocated before the first, so the peak of the first tiles
is the run's: the rest is time, not memory; the report says how many of how many ran;
``--joint`` runs every tile).  Prints the plan, the estimate
(:func:`imgfusion.style.tile_plan.run_bytes`), the measured peak resident set above the
process's after loading torch and the weights, the untiled estimate at that size, the
seconds and the seconds per tile.

quality: in one process, per content,style pair, the run at ``--size`` untiled and tiled
(tiles of ``--tile`` px after a ``--size / 2`` coarse pass, tile by tile or joint), both
``--iterations`` per level and per tile; prints the judged content and style distances of
both (untiled losses at the full size, :func:`imgfusion.style.tiles.distances`) with their
ratio, and the seam ratios (:func:`imgfusion.style.tile_plan.edge_ratio`: lines along the
tiles' edges against the other lines of the same phase modulo 16;
:func:`~imgfusion.style.tile_plan.band_ratio`: the overlap strips against the rest, the
image's 16 px frame left out) of the tiled output, of the untiled one on the same lines,
and their quotient (the photo's own structure moves each ratio; the quotient is the
tiles' share).

Measured on the shared 2-core CPU machine (load 11-14, one thread; no GPU was lent),
original VGG19:
  4096 px, the whole gallery run (imgfusion/gallery_recipes/tiled_4k.yaml: coffee after
    hubble_deep_field, limit 3072 MiB, style_scale 0.5, coarse 512 px x 40 iterations, 15
    tiles of 1104 px at tile_depth 2 x 4 iterations, estimate 3004 MiB): every tile ran,
    55 min wall (coarse pass and targets 676 s, then 125-250 s per tile), peak resident
    set of the whole process 3902 MiB (torch and the weights included; /usr/bin/time -v);
    untiled estimate about 100 GiB.  Seam ratios of that output on its plan: edges 1.059,
    bands 0.822 (the same measure on the plan shifted by half a tile step, where no tile
    edge lies: 0.931, 1.138: the photo's own structure moves it by as much).
  2048 px (the first command, 1 iteration per tile, coarse 256 px): 25 tiles of 512 px, 2
    run; estimate 1532 MiB, measured 1283 MiB (1.19); untiled estimate 25412 MiB; 275 s,
    21 s per tile.
quality, 8 iterations per level and per tile, 128 px tiles after a 128 px coarse pass, tile
by tile (the default), 256 px:
  astronaut,coffee (9 tiles): content distance tiled/untiled 1.55 (1.79 before the tiles
    started from the content's detail), style 0.90; edges 1.242 vs untiled 1.450 (0.86),
    bands 1.398 vs 1.501 (0.93); mean |tiled - untiled| 0.035
  chelsea,hubble_deep_field (6 tiles): content 1.80 (1.96 before), style 0.82; edges 0.955
    vs 1.087 (0.88), bands 1.943 vs 2.284 (0.85); mean |tiled - untiled| 0.031
  joint (--tiles-mode joint): astronaut,coffee content 1.66, style 0.95, edges 0.88 and
    bands 0.94 of the untiled; chelsea,hubble_deep_field content 1.71, style 0.89, edges
    0.98, bands 0.81: no better than tile by tile, and slower.
  The tiles match the style better than the untiled run (0.82-0.90) and hold the content
  less (1.55-1.80: they start from an upsampled half-size result); their overlap strips
  carry 7-15 % less gradient energy than the untiled output's same lines, against the
  10 % goal.  On the test's toy case (tests/style/test_tiles.py, random weights, 64 x 96)
  both modes stay within 2 % of the untiled output's ratios.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, torch, skimage.data
from imgfusion.style import tiles
from imgfusion.style.checks import estimate_bytes
from imgfusion.style.layers import INDEX
from imgfusion.style.options import Speed, StyleLosses, StyleSchedule
from imgfusion.style.pipeline import StyleContext, StyleInputs, StyleSettings
from imgfusion.style.weights import load_features
warnings.simplefilter("ignore")
size, limit, coarse, iters, keep, depth, joint = map(int, sys.argv[1:8])
style_scale = float(sys.argv[8])
content = skimage.data.astronaut().astype(np.float32) / 255
style = skimage.data.coffee().astype(np.float32) / 255
load_features("original", upto=30)
with open("/proc/self/statm") as fh:
    base = int(fh.read().split()[1]) * resource.getpagesize()
seen = {}
def on_plan(plan):
    seen.update(tile=plan.tile, tiles=len(plan.tiles), estimate=plan.estimate,
                budget=plan.budget, coarse=plan.coarse_side, joint=plan.levels[-1].joint)
    if not plan.levels[-1].joint:
        del plan.tiles[keep:]
    timer["plan"] = time.perf_counter()
def on_progress(done, total, **info):
    if "tile" in info:
        timer.setdefault("first", time.perf_counter())
        timer["last"], timer["done"] = time.perf_counter(), done
settings = StyleSettings(size=size, losses=StyleLosses(style_scale=style_scale),
                         schedule=StyleSchedule(iterations=iters, tile_iterations=iters,
                         tile_depth=depth, tile_joint=bool(joint)),
                         speed=Speed(memory_limit=limit))
timer = {}
start = time.perf_counter()
image, _ = tiles.tiled_stylise(StyleInputs(content, style), settings,
                               StyleContext("cpu", 0, on_progress),
                               tiles.Tiling(coarse=coarse), on_plan=on_plan)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
untiled = estimate_bytes(image.shape[:2], INDEX["relu5_1"], "lbfgs")
per_tile = ((timer["last"] - timer["first"]) / (timer["done"] - 1)
            if timer.get("done", 0) > 1 else None)
print(json.dumps({**seen, "measured": peak - base, "untiled": untiled, "seconds": seconds,
                  "ran": seen["tiles"] if seen["joint"] else min(keep, seen["tiles"]),
                  "per_tile": per_tile, "shape": list(image.shape)}))
"""


def memory(args) -> None:
    mib = 2 ** 20
    print(f"{'size':>5} {'limit':>6} {'tile':>5} {'ran':>7} {'estimate':>9} {'measured':>9} "
          f"{'est/meas':>8} {'untiled est':>11} {'seconds':>8} {'s/tile':>7}")
    for size in args.size:
        out = subprocess.run([sys.executable, "-c", CHILD, str(size), str(args.limit),
                              str(args.coarse), str(args.tile_iterations), str(args.tiles),
                              str(args.depth), str(int(args.joint)), str(args.style_scale)],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{size:>5} {args.limit:>6} {r['tile']:>5} {r['ran']:>3}/{r['tiles']:<3} "
              f"{r['estimate'] / mib:>8.0f}M {r['measured'] / mib:>8.0f}M "
              f"{r['estimate'] / r['measured']:>8.2f} {r['untiled'] / mib:>10.0f}M "
              f"{r['seconds']:>8.0f} {r['per_tile'] or float('nan'):>7.0f}")


def rgb(image):
    """A skimage.data picture as float32 RGB in [0, 1] (grey ones repeated, alpha dropped)."""
    import numpy as np
    image = np.asarray(image, np.float32) / 255
    return np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]


def quality_inputs(args, pair: str):
    """(inputs, settings, context) of one content,style pair."""
    import skimage.data

    from imgfusion.style.options import StyleLosses, StyleSchedule
    from imgfusion.style.pipeline import StyleContext, StyleInputs, StyleSettings
    content, style = (rgb(getattr(skimage.data, n)()) for n in pair.split(","))
    settings = StyleSettings(size=args.size, losses=StyleLosses(weights=args.weights),
                             schedule=StyleSchedule(
                                 iterations=args.iterations, tile_iterations=args.iterations,
                                 tile_overlap=args.overlap, tile_joint=args.mode_tiles == "joint"))
    return StyleInputs(content, style), settings, StyleContext("cpu", 0)


def tiled_run(args, inputs, settings, ctx, plain: bool):
    """The tiled output; ``plain``: with the plain weighted average of the tiles
    (``tile_blend.MAX_GAIN`` 1: no detail restored), as before the blend restored it."""
    from imgfusion.style import tile_blend, tiles
    gain = tile_blend.MAX_GAIN
    tile_blend.MAX_GAIN = 1.0 if plain else gain
    try:
        return tiles.tiled_stylise(inputs, settings, ctx, tiles.Tiling(
            tile=args.tile, coarse=args.size // 2))[0]
    finally:
        tile_blend.MAX_GAIN = gain


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def seams(image, layout) -> str:
    from imgfusion.style import tile_plan
    return (f"edges {tile_plan.edge_ratio(image, layout):.3f}, bands "
            f"{tile_plan.band_ratio(image, layout):.3f}, seam "
            f"{tile_plan.seam_ratio(image, layout):.3f}")


def compare(name, image, untiled, layout, d_untiled, quotients, peer) -> None:
    """Print one tiled output against the untiled one; its quotients join ``quotients``."""
    import numpy as np

    from imgfusion.style import tile_plan, tile_targets
    d = tile_targets.distances(peer[0], peer[1], image, peer[2])
    q = {f.__name__: f(image, layout) / f(untiled, layout)
         for f in (tile_plan.edge_ratio, tile_plan.band_ratio)}
    q.update({n: d[n] / d_untiled[n] for n in ("content", "style")})
    quotients.setdefault(name, []).append(q)
    print(f"  {name:>8}: {seams(image, layout)}; tiled/untiled: " + ", ".join(
        f"{k} {v:.3f}" for k, v in q.items()) +
        f"; mean |tiled - untiled| {np.abs(image - untiled).mean():.4f}", flush=True)


def quality_pair(args, pair: str, quotients: dict) -> None:
    import numpy as np

    from imgfusion.style import tile_plan, tile_targets
    from imgfusion.style.transfer import stylise
    inputs, settings, ctx = quality_inputs(args, pair)
    untiled, seconds = timed(lambda: stylise(inputs, settings, ctx).image)
    layout = tile_plan.plan_tiles(untiled.shape[:2], args.tile,
                                  tile_plan.overlap_pixels(args.tile, args.overlap))
    print(f"{pair} at {args.size} px: {len(layout)} tiles of {args.tile} px, overlap "
          f"{args.overlap}, {args.mode_tiles}, {args.iterations} iterations per level/tile, "
          f"weights {args.weights}; untiled {seconds:.0f} s")
    d_untiled = tile_targets.distances(inputs, settings, untiled, ctx)
    print(f"  untiled: {seams(untiled, layout)} (1 = like the interior); distances "
          f"content {d_untiled['content']:.4f}, style {d_untiled['style']:.4f}")
    images = [untiled]
    for name in ["restored"] + ["plain"] * args.plain:
        tiled, seconds = timed(lambda: tiled_run(args, inputs, settings, ctx, name == "plain"))
        print(f"  {name} blend, tiled {seconds:.0f} s")
        compare(name, tiled, untiled, layout, d_untiled, quotients, (inputs, settings, ctx))
        images.append(tiled)
    if args.save:
        np.save(f"{args.save}_{pair.replace(',', '_')}.npy", np.stack(images))


def quality(args) -> None:
    import numpy as np
    quotients: dict = {}
    for pair in args.pairs:
        quality_pair(args, pair, quotients)
    for name, rows in quotients.items():
        print(f"{name} over {len(rows)} pairs, tiled/untiled geometric mean [min, max]: " +
              ", ".join(f"{k} {np.exp(np.mean(np.log(v))):.3f} [{min(v):.3f}, {max(v):.3f}]"
                        for k in rows[0] for v in [[r[k] for r in rows]]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--size", type=int, nargs="+", default=[2048])
    m.add_argument("--limit", type=int, default=1536, help="memory_limit, MiB")
    m.add_argument("--coarse", type=int, default=256)
    m.add_argument("--tile-iterations", type=int, default=1)
    m.add_argument("--tiles", type=int, default=2, help="stop after this many tiles")
    m.add_argument("--depth", type=int, default=5, help="tile_depth")
    m.add_argument("--joint", action="store_true", help="tile_joint (runs every tile)")
    m.add_argument("--style-scale", type=float, default=1.0,
                   help="below 1: a smaller style image (its Gram is a forward pass over it)")
    q = sub.add_parser("quality")
    q.add_argument("--size", type=int, default=256)
    q.add_argument("--tile", type=int, default=128)
    q.add_argument("--iterations", type=int, default=10)
    q.add_argument("--weights", default="original")
    q.add_argument("--overlap", type=float, default=0.25, help="tile_overlap")
    q.add_argument("--tiles-mode", dest="mode_tiles", choices=["joint", "sequential"],
                   default="sequential", help="tile_joint true or false")
    q.add_argument("--pairs", nargs="+", default=["astronaut,coffee"],
                   help="content,style names of skimage.data images")
    q.add_argument("--plain", action="store_true",
                   help="also tile with the plain weighted average of the tiles")
    q.add_argument("--save", help="write [untiled, tiled, (plain)] to "
                                  "PREFIX_content_style.npy")
    args = ap.parse_args()
    memory(args) if args.mode == "memory" else quality(args)


if __name__ == "__main__":
    main()
