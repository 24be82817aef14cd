"""The ``imgfusion`` command: a thin shell over recipe, engine and plugins.

Exit codes: 0 ok, 1 an operator failed, 2 usage or validation error, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM), 141 stdout closed early (``imgfusion ops | head``).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import __version__
from .errors import ImgfusionError, UsageError
from .plugins import Command, PluginLoadWarning, Registry, load_registry
from .limits import at_least_one
from .paths import check_out_folder
from .plan import MAX_VARIANTS

if TYPE_CHECKING:  # the recipe module (and yaml) load only for run and validate
    from .recipe import Recipe

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CLOSED_PIPE, EXIT_TERMINATED = 141, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the signal lands so that Ctrl-C's clean-up runs:
    temporary files removed, finished outputs kept, run.json written."""


def _parser(commands: Sequence[Command] = ()) -> argparse.ArgumentParser:
    """The core's subcommands, and those the plugins register (``imgfusion batch``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--strict-plugins", action="store_true",
                        help="a plugin that fails to load is an error, not a warning")
    listing = argparse.ArgumentParser(add_help=False)
    listing.add_argument("--json", action="store_true", help="print JSON on stdout")
    recipe = argparse.ArgumentParser(add_help=False)
    recipe.add_argument("recipe", help="the YAML recipe")
    recipe.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="STEP.PARAM=VALUE", help="override a value (repeatable)")
    recipe.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (overrides the recipe)")
    recipe.add_argument("--out", help="output folder (default: the recipe's folder)")
    recipe.add_argument("--overwrite", action="store_true",
                        help="allow replacing existing output files")
    recipe.add_argument("--max-variants", type=at_least_one(int), default=MAX_VARIANTS,
                        metavar="N",
                        help=f"most runs one swept step may make (default {MAX_VARIANTS:,})")

    p = argparse.ArgumentParser(prog="imgfusion", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"imgfusion {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", parents=[common, recipe], help="run a recipe")
    run.add_argument("--until", metavar="STEP",
                     help="stop after this step (save a preview before a long step, look, go on)")
    sub.add_parser("validate", parents=[common, recipe, listing],
                   help="check a recipe and print the resolved plan")
    sub.add_parser("ops", parents=[common, listing], help="list operators")
    info = sub.add_parser("info", parents=[common, listing], help="describe one operator")
    info.add_argument("op")
    sub.add_parser("plugins", parents=[common, listing], help="list plugins and their state")
    demo = sub.add_parser("demo", parents=[common],
                          help="run the gallery's recipes on built-in sample images")
    demo.add_argument("--out", default="imgfusion-demo", help="output folder")
    demo.add_argument("--overwrite", action="store_true", help="replace earlier demo output")
    demo.add_argument("--quick", action="store_true",
                      help="run only two fast recipes (seconds): check that an install works")
    for command in commands:
        command.add_parser(sub, [common])
    return p


def _first_registry() -> tuple[Registry | None, list]:
    """The registry the parser is built from (plugins may add subcommands), with the
    warnings of its loading held back: a command that uses it reports them.  None when
    loading fails (a name clash): the command loads again and reports the error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginLoadWarning)
        try:
            registry = load_registry()
        except ImgfusionError:
            registry = None
    return registry, [w for w in caught if issubclass(w.category, PluginLoadWarning)]


def _registry(args) -> Registry:
    """The parser's registry again (its load warnings now shown), or, for
    ``--strict-plugins``, a fresh one that raises on the first failing plugin."""
    if args.strict_plugins or args.registry is None:
        return load_registry(strict=args.strict_plugins)
    for w in args.held_warnings:
        warnings.warn(w.message, PluginLoadWarning, stacklevel=2)
    return args.registry


def main(argv: Sequence[str] | None = None) -> int:
    registry, held = _first_registry()
    commands = {n: c for n, c in getattr(registry, "commands", {}).items() if n not in COMMANDS}
    args = _parser(list(commands.values())).parse_args(argv)
    args.registry, args.held_warnings = registry, held
    handlers = {**{n: c.run for n, c in commands.items()}, **COMMANDS}
    with _our_warnings(), _sigterm_as_interrupt():
        return _dispatch(args, handlers)


def _print_written(exc: BaseException) -> None:
    """A run that failed or was stopped lists what it wrote before, as a finished one."""
    if sys.stdout is None:   # started with stdout closed
        return
    try:
        for path in getattr(exc, "written", ()):
            print(path)
        sys.stdout.flush()
    except BrokenPipeError:   # nobody reads them: the error itself still goes to stderr
        _silence_stdout()
    except (OSError, ValueError):
        pass


def _dispatch(args, handlers) -> int:
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt as exc:  # an operator's own interrupt type keeps its cause
        _print_written(exc)
        if isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated):
            print("imgfusion: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        print("imgfusion: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImgfusionError as exc:
        _print_written(exc)
        if args.debug:
            traceback.print_exc()
        print(f"imgfusion: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - last resort, keep the message short
        if args.debug:
            traceback.print_exc()
        print(f"imgfusion: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILED


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"imgfusion: warning: {message}", file=sys.stderr)


@contextlib.contextmanager
def _our_warnings():
    """Warnings as one ``imgfusion: warning:`` line each, plugin failures every time."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", PluginLoadWarning)
        warnings.showwarning = _show_warning
        yield


def _ignore_signal(signum, frame) -> None:
    """What SIGTERM does after the first one: nothing."""


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated`.  After the first one, SIGTERM stays ignored
    (not restored) so that a second one can neither cut the clean-up short nor kill the
    process on its way out with the exit code 143."""
    terminated = []

    def terminate(signum, frame):
        # A handler that does nothing, not SIG_IGN: a SIGTERM already pending when the
        # handler changes would make Python print "Signal 15 ignored due to race condition".
        signal.signal(signal.SIGTERM, _ignore_signal)
        terminated.append(signum)
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:  # after a SIGTERM, SIG_IGN from here on (finalisation resets Python handlers)
        signal.signal(signal.SIGTERM, signal.SIG_IGN if terminated else previous)


def _silence_stdout() -> None:
    """The reader went away: send what is still buffered to devnull, so that the
    flush at exit does not raise a second BrokenPipeError (the Python docs' recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a captured or replaced stdout
        pass


def _load(args) -> Recipe:
    from .recipe import load_recipe
    from .recipe.graph import UnusedStepWarning, unused_step_warnings, until_warnings

    check_out_folder(args.out)
    recipe = load_recipe(args.recipe, overrides=args.overrides, out_dir=args.out,
                         device=args.device, overwrite=args.overwrite,
                         strict_plugins=args.strict_plugins, max_variants=args.max_variants,
                         until=getattr(args, "until", None))
    for line in unused_step_warnings(list(recipe.steps)) + until_warnings(
            list(recipe.steps), getattr(args, "until", None)):   # run keeps what is saved
        warnings.warn(line, UnusedStepWarning, stacklevel=2)
    return recipe


def cmd_run(args) -> int:
    from .engine import run_recipe
    from .errors import RecipeError
    from .recipe.load import until_problems

    try:
        recipe = _load(args)
    except RecipeError as exc:   # a mistyped --until is one problem more, said with them
        raise RecipeError(exc.problems + until_problems(args.recipe, args.until)) from None
    result = run_recipe(recipe, until=args.until)
    for path in result.written:
        print(path)
    return EXIT_OK


def cmd_validate(args) -> int:
    from .devices import unavailable_devices
    from .errors import RecipeError

    try:
        recipe = _load(args)
        problems = unavailable_devices(recipe)
        if problems:   # run would refuse it here
            raise RecipeError(problems)
    except RecipeError as exc:
        if args.json:   # tools read the problems from stdout too; the text goes to stderr
            json.dump({"problems": [dataclasses.asdict(p) for p in exc.problems]}, sys.stdout,
                      indent=2, default=str)
            print()
        raise
    plan = [_plan_entry(s) for s in recipe.steps]
    if args.json:
        json.dump({"device": recipe.device, "seed": recipe.seed, "steps": plan},
                  sys.stdout, indent=2, default=str)
        print()
        return EXIT_OK
    runs = sum(len(s.variants) for s in recipe.steps)
    print(f"{recipe.path}: ok, {len(plan)} steps, {runs} runs, device {recipe.device}, "
          f"seed {recipe.seed}")
    for entry in plan:
        print(f"  {entry['id']}: {entry['op']}")
        for name, ref in entry["inputs"].items():
            print(f"      {name} <- {ref}")
        for name, value in entry["params"].items():
            if name in entry["sweep"]:
                continue
            mark = "" if name in entry["given"] else "  (default)"
            print(f"      {name} = {value!r}{mark}")
        for name, values in entry["sweep"].items():
            print(f"      sweep {name} over {values!r}")
    return EXIT_OK


def _plan_entry(step) -> dict[str, Any]:
    return {
        "id": step.id, "op": step.op.name,
        "inputs": {k: ([str(r) for r in v] if isinstance(v, list) else str(v))
                   for k, v in step.inputs.items()},
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in step.params.items()},
        "given": sorted(step.given), "sweep": step.sweep, "variants": len(step.variants),
    }


def cmd_ops(args) -> int:
    reg = _registry(args)
    ops = [reg[n] for n in reg.names()]
    if args.json:
        json.dump([{"name": o.name, "summary": o.summary, "source": o.source} for o in ops],
                  sys.stdout, indent=2)
        print()
        return EXIT_OK
    width = max(len(o.name) for o in ops)
    for o in ops:
        print(f"{o.name:<{width}}  {o.summary}")
    return EXIT_OK


def cmd_info(args) -> int:
    reg = _registry(args)
    if args.op not in reg:
        from .errors import did_you_mean

        hint = did_you_mean(args.op, reg.names())
        raise UsageError(f"unknown operator {args.op!r}"
                         + (f" (did you mean '{hint}'?)" if hint else "; see 'imgfusion ops'"))
    desc = reg[args.op].describe()
    if args.json:
        json.dump(desc, sys.stdout, indent=2, default=str)
        print()
        return EXIT_OK
    print(f"{desc['name']}: {desc['summary']}\n  from {desc['source']}\n")
    print(_prose(desc["help"]) + "\n")
    print("inputs:")
    for i in desc["inputs"]:
        flags = ", ".join(f for f, on in (("optional", i["optional"]), ("list", i["many"])) if on)
        print(f"  {i['name']} ({i['kind']}{', ' + flags if flags else ''})  {i['help']}")
    if not desc["inputs"]:
        print("  (none)")
    print("parameters:")
    for p in desc["params"]:
        extra = []
        if p["min"] is not None or p["max"] is not None:
            each = "dict" in p["type"] or "list" in p["type"] or "tuple" in p["type"]
            extra.append(("each number in " if each else "") + _range(p["min"], p["max"]))
        if p["choices"]:
            extra.append("one of " + ", ".join(map(str, p["choices"])))
        default = "required" if p["required"] else f"default {p['default']!r}"
        if p["old_names"]:
            extra.append("formerly " + ", ".join(p["old_names"]))
        print(f"  {p['name']}: {p['type']}, {default}{'; ' if extra else ''}{'; '.join(extra)}")
        if p["help"]:
            print(f"      {p['help']}")
    print("outputs:")
    for o in desc["outputs"]:
        print(f"  {o['name']} ({o['kind']})  {o['help']}")
    return EXIT_OK


def _prose(text: str) -> str:
    """``text`` without its numpydoc Parameters and Returns sections (listed after it)."""
    lines, keep, skipping = text.splitlines(), [], False
    for k, line in enumerate(lines):
        if k + 1 < len(lines) and line.strip() and set(lines[k + 1].strip()) == {"-"}:
            skipping = line.strip() in ("Parameters", "Returns")
        if not skipping:
            keep.append(line)
    return "\n".join(keep).strip()


def _range(low, high) -> str:
    low, high = (v if v is None or abs(v) < 1e9 else f"{v:g}" for v in (low, high))
    if low is not None and high is not None:
        return f"range [{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"


def cmd_plugins(args) -> int:
    reg = _registry(args)
    rows = [p.as_dict() for p in reg.plugins]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return EXIT_OK
    for r in rows:
        version = f" {r['version']}" if r["version"] else ""
        print(f"{r['name']}{version} [{r['kind']}] {r['status']}: "
              f"{', '.join(r['operators']) or '-'}")
        if r["executors"]:
            print(f"    executors: {', '.join(r['executors'])}")
        if r["error"]:
            print(f"    {r['error']}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo

    check_out_folder(args.out)
    for path in run_demo(Path(args.out), overwrite=args.overwrite, quick=args.quick):
        print(path)
    return EXIT_OK


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "ops": cmd_ops, "info": cmd_info,
            "plugins": cmd_plugins, "demo": cmd_demo}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
