"""``imgfusion batch``: its arguments and the command (wired into imgfusion.cli)."""
from __future__ import annotations

import argparse
import sys

from ..limits import at_least_one

EPILOG = """\
examples:
  imgfusion batch style.yaml --bind photo.path='shoot/**/*.jpg' --out styled
  imgfusion batch blend.yaml --bind src.path=@todo.txt --bind mask.path=mask.png \\
      --workers 4 --out blended
  imgfusion batch blend.yaml --bind frame.path=frames:clip.mp4 --out blended_frames
  imgfusion batch style.yaml --bind photo.path='frames/*.png' --executor dask \\
      --address tcp://scheduler:8786 --gpus-per-task 1 --retries 2 --out styled

Each input runs the recipe once, into OUT/<name of the input>/.  OUT/manifest.jsonl has one
line per item (input, status, seconds, outputs, error); a rerun (or --resume) skips the items
that are complete.  Exit 0: all done; 1: some items failed (named); 2: bad input, nothing run;
130: interrupted by Ctrl-C, 143: terminated by SIGTERM (either way the manifest is written)."""


def add_parser(sub, parents) -> argparse.ArgumentParser:
    """Add the ``batch`` subcommand to ``sub`` (the CLI's subparsers)."""
    p = sub.add_parser("batch", parents=parents, help="run a recipe once per input file",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="the YAML recipe")
    p.add_argument("--bind", action="append", default=[], required=True,
                   metavar="STEP.PARAM=GLOB",
                   help="run once per file matching GLOB (or listed in @FILE, or per frame of "
                        "frames:VIDEO) as STEP.PARAM "
                        "(repeatable: binds advance together)")
    p.add_argument("--out", required=True, help="output folder: one subfolder per input")
    p.add_argument("--executor", default="local", help="local (default), dask, ray, ...")
    p.add_argument("--address", help="scheduler / head address of a running cluster")
    p.add_argument("--workers", type=at_least_one(int), help="worker processes (default: cores)")
    p.add_argument("--gpus-per-task", type=_non_negative, default=0.0, metavar="G",
                   help="GPUs each task asks for (may be fractional)")
    p.add_argument("--retries", type=_non_negative_int, default=0, metavar="R",
                   help="retry an item whose recipe fails R more times")
    p.add_argument("--chunk", type=at_least_one(int), metavar="K",
                   help="items per task (default: guided, the remaining items over twice "
                        "the workers, at most 32: large tasks first, single items at the end)")
    p.add_argument("--resume", action="store_true",
                   help="continue the batch in --out (a rerun does too; this insists on it)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="STEP.PARAM=VALUE", help="override a recipe value (repeatable)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (overrides the recipe)")
    return p


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def cmd_batch(args) -> int:
    """Validate everything, then run; prints the summary on stdout."""
    from ..executors import ExecutorOptions
    from ..paths import check_out_folder
    from .executor import resolve_executor
    from .job import prepare
    from .runner import run_batch

    check_out_folder(args.out)
    job, items, recipe = prepare(args.recipe, args.bind, args.out, overrides=args.overrides,
                                 device=args.device, retries=args.retries,
                                 strict_plugins=args.strict_plugins)
    spec = resolve_executor(recipe.registry, args.executor)
    if args.executor == "local" and not args.address:   # this machine runs every item
        from ..devices import unavailable_devices
        from ..errors import RecipeError

        problems = unavailable_devices(recipe)
        if problems:
            raise RecipeError(problems)
    options = ExecutorOptions(workers=args.workers, address=args.address,
                              gpus_per_task=args.gpus_per_task)
    result = run_batch(job, items, spec.create(options), chunk=args.chunk, resume=args.resume)
    s = result.summary()
    why = "interrupted" if result.interrupted else "rerun to finish"
    not_run = f", {s['not_run']} not run ({why})" if result.interrupted or s["not_run"] else ""
    print(f"{len(items)} items: {s['done']} done, {s['failed']} failed, {s['skipped']} skipped"
          f"{not_run} in {s['seconds']:.1f} s; manifest {result.manifest}")
    for r in result.failed:
        print(f"imgfusion: failed: {r['input']}: {r['error']}", file=sys.stderr)
    if result.interruption is not None:   # the CLI names it and exits 130 (Ctrl-C) or 143
        print("imgfusion: rerun the same command to finish the batch", file=sys.stderr)
        raise result.interruption
    return result.exit_code

