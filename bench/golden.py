"""Golden outputs of every operator, to compare pixels exactly across a refactor (issue #19).

    python bench/golden.py record DIR             every operator on fixed seeded inputs
    python bench/golden.py compare BEFORE AFTER   identical / max abs diff / missing, per case
    python bench/golden.py compare BEFORE         records the current tree to a temp dir first

Every case is a recipe (its flat keys outlive the Python API) reading seeded 16-bit PNGs:
tests/core/test_battery.py's inputs and tiny parameters, a 3-frame synthetic clip, trainers
for two steps.  DIR gets cases/<case>.npz (array outputs, written files read back),
cases/<case>.json (the recipe; data outputs rounded, timings dropped), ops.json and
info/<op>.json (the CLI's --json).  Compare exits 1 on any pixel or data difference or a
missing case; ops/info JSON diffs are printed, not counted.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import importlib.util
import io
import json
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from safetensors.numpy import load_file

from imgfusion.cli import main as cli_main
from imgfusion.engine import run_recipe
from imgfusion.io.write import write_image
from imgfusion.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
TIMING = re.compile(r"second|time|elapsed|duration|per_s\b|_per_", re.I)
CONTEXT_KEYS = ("device", "seed")  # recipe-level keys, not step parameters


@functools.lru_cache(maxsize=None)
def _module(rel: str):
    """A test helper module by path (test folders are not packages)."""
    path = ROOT / rel
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Inputs:
    """Writes input arrays once, as files that ``load``/``load_mask`` steps read back."""

    def __init__(self, folder: Path):
        self.folder, self.names = folder, {}

    def write(self, name: str, value: np.ndarray) -> str:
        return str(write_image(self.folder / name, value, bits=8 if value.dtype == bool else 16))

    def path(self, value: np.ndarray) -> str:
        key = (value.tobytes(), value.shape, str(value.dtype))
        if key not in self.names:
            self.names[key] = self.write(f"in{len(self.names)}.png", value)
        return self.names[key]

    def load_step(self, sid: str, value: np.ndarray) -> dict:
        if value.dtype == bool:
            return {"id": sid, "op": "load_mask", "path": self.path(value), "channel": "gray",
                    "threshold": 0.5}
        return {"id": sid, "op": "load", "path": self.path(value)}


def _input_refs(inputs: Inputs, values: dict) -> tuple[list[dict], dict]:
    """Load steps for ``values`` (name -> array or list) and the step's references."""
    steps, refs = [], {}
    for name, value in values.items():
        many = isinstance(value, list)
        ids = [f"in_{name}_{k}" for k in range(len(value))] if many else [f"in_{name}"]
        steps += [inputs.load_step(sid, v) for sid, v in zip(ids, value if many else [value])]
        refs[name] = [f"${i}" for i in ids] if many else f"${ids[0]}"
    return steps, refs


def _recipe(steps: list[dict], top: dict | None = None) -> dict:
    return {"imgfusion": 1, "device": "cpu", "seed": 0, **(top or {}), "steps": steps}


def _op_step(name: str, refs: dict, args: dict) -> tuple[dict, dict]:
    """The step (the battery's keyword arguments a recipe takes) and the recipe-level keys."""
    known = {p["name"] for p in cli_json("info", name)["params"]}
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in args.items()
              if k in known}
    top = {k: args[k] for k in CONTEXT_KEYS if k in args}
    return {"id": "op", "op": name, **refs, **params}, top


def battery_cases(inputs: Inputs) -> dict[str, dict]:
    """Every operator tests/core/test_battery.py covers, with its inputs and parameters."""
    battery, conftest = _module("tests/core/test_battery.py"), _module("tests/conftest.py")
    cases = {}
    for name in battery.OPS:
        values = battery._inputs(battery.REGISTRY[name], conftest._smooth_image, 3)
        steps, refs = _input_refs(inputs, values)
        step, top = _op_step(name, refs, battery.ARGS.get(name, {}))
        cases[name] = _recipe(steps + [step], top)
    return cases


# neural_style's options beyond the battery's (the style options become dataclasses)
STYLE_VARIANTS = {
    "neural_style~losses": dict(optimizer="lbfgs", iterations=4, content_layers={"relu2_1": 1.0},
                                style_layers=["relu1_1", "relu2_1"], style_weight=10.0,
                                tv_weight=0.01, pooling="avg", init="noise", style_scale=0.5,
                                style_blend_weights=[0.3, 0.7]),
    "neural_style~colour": dict(iterations=3, original_colors=True, color_control="histogram",
                                histogram_mode="chol", snapshot_every=1, snapshot_dir="snaps",
                                loss_plot="loss.png"),
    "neural_style~schedule": dict(iterations=5, color_control="luminance", init="style",
                                  tolerance=0.01, window=2, pyramid=[[10, 12], [20, 24]],
                                  learning_rate=0.05, init_resize=True)}


def style_variant_cases(battery: dict[str, dict]) -> dict[str, dict]:
    """The battery's neural_style case with other style options."""
    base = battery["neural_style"]
    return {name: {**base, "steps": base["steps"][:-1] + [{**base["steps"][-1], **options}]}
            for name, options in STYLE_VARIANTS.items()}


def io_cases(inputs: Inputs) -> dict[str, dict]:
    """The operators that take paths or sizes, and the 16-bit round trip of ``save``."""
    conftest = _module("tests/conftest.py")
    image = conftest._smooth_image((20, 24), seed=5, channels=3)
    alpha = np.dstack([image, conftest._smooth_image((20, 24), seed=6, channels=1)])
    load = {"id": "op", "op": "load", "path": inputs.path(image)}
    return {
        "load": _recipe([load]),
        "load_mask": _recipe([{"id": "op", "op": "load_mask", "path": inputs.path(alpha)}]),
        "shape_mask": _recipe([{"id": "op", "op": "shape_mask", "size": [20, 24],
                                "shape": "ellipse", "center": [0.4, 0.6], "feather": 3.0}]),
        "save": _recipe([{**load, "id": "in"}, {"id": "op", "op": "save", "image": "$in",
                                                  "path": "saved.png", "bits": 16}]),
    }


def video_cases(inputs: Inputs) -> dict[str, dict]:
    """The video family on a 3-frame synthetic clip (video_style: tests/video's settings)."""
    conftest, helpers = _module("tests/conftest.py"), _module("tests/video/video_helpers.py")
    background = conftest._smooth_image((40, 48), seed=7, channels=3)
    style = conftest._smooth_image((24, 24), seed=8, channels=3)
    clip = [{"id": "bg", "op": "load", "path": inputs.path(background)},
            {"id": "clip", "op": "synthetic_video", "background": "$bg", "frames": 3,
             "size": [20, 24]}]
    for k, frame in enumerate(helpers.noise_frames(3, (20, 24))):
        inputs.write(f"frames/{k:03d}.png", frame)
    fast = _params(helpers.FAST)
    styled = {"id": "op", "op": "video_style", "video": "$clip", "style": ["$st"],
              "mask": "$clip.disc", **fast, "iterations": 2, "first_iterations": 3}
    return {
        "synthetic_video": _recipe(clip[:1] + [{**clip[1], "id": "op"}]),
        "load_video": _recipe([{"id": "op", "op": "load_video",
                                "path": str(inputs.folder / "frames")}]),
        "save_video": _recipe(clip + [{"id": "op", "op": "save_video", "video": "$clip",
                                       "path": "clip_frames"}]),
        "optical_flow": _recipe(clip + [{"id": "op", "op": "optical_flow", "video": "$clip",
                                         "preset": "fast"}]),
        "temporal_error": _recipe(clip + [{"id": "op", "op": "temporal_error",
                                           "videos": ["$clip"], "content": "$clip"}]),
        "video_style": _recipe(clip + [{"id": "st", "op": "load", "path": inputs.path(style)},
                                       styled], {"seed": helpers.FAST["seed"]}),
    }


def _params(args: dict, drop: tuple = ()) -> dict:
    return {k: v for k, v in args.items() if k not in CONTEXT_KEYS + drop}


def _refs(steps: list[dict]) -> list[str]:
    return ["$" + s["id"] for s in steps]


def trained_cases(inputs: Inputs) -> dict[str, dict]:
    """Both trainers for two steps (tests/trained's tiny settings), then their appliers."""
    fast = _module("tests/trained/test_fast_style.py").TINY
    vae = _module("tests/trained/test_vae_recipe.py").TRAIN
    helpers = _module("tests/trained/vae_helpers.py")
    paintings = [inputs.load_step(f"p{k}", p) for k, p in enumerate(helpers.stripes(4))]
    frames = [inputs.load_step(f"f{k}", f) for k, f in enumerate(helpers.gradients(4))]
    clip = {"id": "clip", "op": "synthetic_video", "background": "$f0", "frames": 4,
            "size": [32, 32]}
    train_fast = {"id": "train", "op": "train_fast_style", "style": "$p0",
                  "content": _refs(frames), **_params(fast), "steps": 2,
                  "path": "fast.safetensors"}
    train_vae = {**_params(vae, ("paintings_dir", "frames_dir")), "id": "train",
                 "paintings": _refs(paintings), "frames": "$clip", "steps": 2,
                 "refiner_steps": 1, "validate_every": 1}
    return {
        "train_fast_style+fast_style": _recipe(paintings[:1] + frames + [train_fast, {
            "id": "op", "op": "fast_style", "image": "$f0", "model": "$train.model"}]),
        "train_style_vae+vae_style": _recipe(paintings + frames + [clip, train_vae, {
            "id": "op", "op": "vae_style", "content": "$f1", "model": "$train.model"}]),
    }


def all_cases(inputs: Inputs) -> dict[str, dict]:
    battery = battery_cases(inputs)
    return {**battery, **style_variant_cases(battery), **io_cases(inputs),
            **video_cases(inputs), **trained_cases(inputs)}


class Recorder:
    """Turns one run's outputs into arrays (compared exactly) and JSON (rounded, no timings)."""

    def __init__(self, out: Path, inputs: Path):
        self.out, self.inputs, self.arrays = out, inputs, {}

    def keep(self, key: str, value) -> str:
        self.arrays[key.replace("/", "|")] = np.asarray(value)
        return f"<array {key}>"

    def split(self, value, key: str):
        if isinstance(value, np.ndarray):
            return self.keep(key, value)
        if hasattr(value, "open") and hasattr(value, "fps"):  # a lazy video
            return {"video": self.keep(key, np.stack(list(value))), "fps": value.fps}
        if hasattr(value, "open"):  # a lazy per-frame series
            return [self.split(v, f"{key}[{k}]") for k, v in enumerate(value)]
        if isinstance(value, dict):
            return {str(k): self.split(v, f"{key}.{k}") for k, v in value.items()
                    if not TIMING.search(str(k))}
        if isinstance(value, (list, tuple)):
            return [self.split(v, f"{key}[{k}]") for k, v in enumerate(value)]
        return self.scalar(value)

    def scalar(self, value):
        if isinstance(value, (bool, np.bool_, type(None))):
            return value if value is None else bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(f"{float(value):.9g}")
        if isinstance(value, (str, Path)):
            return str(value).replace(str(self.out), "<out>").replace(str(self.inputs), "<in>")
        return f"<{type(value).__name__}>"

    def files(self) -> dict:
        """Every file the run wrote (run.json aside), read back where it can be."""
        rels = sorted(str(p.relative_to(self.out)) for p in self.out.rglob("*") if p.is_file())
        return {r: self.read(self.out / r, f"file:{r}") for r in rels if r != "run.json"}

    def read(self, path: Path, key: str):
        if path.suffix in (".png", ".tif", ".tiff"):
            return self.keep(key, iio.imread(path))
        if path.suffix == ".json":
            return self.split(json.loads(path.read_text()), key)
        if path.suffix == ".safetensors":
            return {k: self.keep(f"{key}:{k}", v) for k, v in sorted(load_file(path).items())}
        return f"<{path.stat().st_size} bytes>"


def run_case(recipe: dict, out: Path, inputs: Path) -> tuple[dict, dict]:
    out.mkdir(parents=True)
    rec = Recorder(out, inputs)
    data: dict = {"recipe": rec.split(recipe, "recipe")}
    try:
        result = run_recipe(load_recipe(recipe, out_dir=out), progress=False)
    except Exception as exc:  # noqa: BLE001 - a failing case is recorded, the others run
        data["error"] = rec.scalar(f"{type(exc).__name__}: {exc}")
        return data, rec.arrays
    for sid, variants in result.results.items():
        for name, value in variants[0].outputs.items():
            data[f"{sid}.{name}"] = rec.split(value, f"{sid}.{name}")
    data["files"] = rec.files()
    return data, rec.arrays


def cli_json(*argv: str):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli_main([*argv, "--json"])
    return json.loads(buffer.getvalue()) if code == 0 else {"exit": code}


def record(folder: Path) -> int:
    start = time.perf_counter()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for sub in ("cases", "info"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _dump(folder / "ops.json", ops := cli_json("ops"))
    for op in ops:
        _dump(folder / "info" / f"{op['name']}.json", cli_json("info", op["name"]))
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        (inputs := Path(tmp) / "inputs").mkdir()
        for name, recipe in all_cases(Inputs(inputs)).items():
            t0 = time.perf_counter()
            data, arrays = run_case(recipe, Path(tmp) / "out" / name, inputs)
            _dump(folder / "cases" / f"{name}.json", data)
            np.savez_compressed(folder / "cases" / f"{name}.npz", **arrays)
            status = "ERROR " + data["error"] if "error" in data else f"{len(arrays)} arrays"
            print(f"{name:<28} {time.perf_counter() - t0:6.2f}s  {status}", flush=True)
    _report_uncovered(ops, folder)
    print(f"recorded in {time.perf_counter() - start:.1f}s")
    return 0


def _report_uncovered(ops: list[dict], folder: Path) -> None:
    covered = set()
    for data in (json.loads(p.read_text()) for p in (folder / "cases").glob("*.json")):
        covered.update(s["op"] for s in data["recipe"]["steps"] if "error" not in data)
    missing = sorted({o["name"] for o in ops} - covered)
    print(f"{len(ops)} operators, {len(ops) - len(missing)} run; not run: {missing or 'none'}")


def _dump(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")


def compare_case(name: str, before: Path, after: Path) -> tuple[str, bool]:
    """One line about one case, and whether it differs."""
    files = [d / "cases" / f"{name}{ext}" for d in (before, after) for ext in (".json", ".npz")]
    if not all(f.exists() for f in files):
        return "missing in " + ("after" if files[0].exists() else "before"), True
    with np.load(files[1]) as a, np.load(files[3]) as b:
        problems = [_array_diff(k, a[k], b[k] if k in b.files else None) for k in a.files]
        problems = [p for p in problems if p] + [f"{k}: new" for k in b.files if k not in a.files]
        count = len(a.files)
    data_a, data_b = (json.loads(f.read_text()) for f in files[::2])
    if data_a != data_b:
        problems.append("data differs: " + ", ".join(
            k for k in sorted({*data_a, *data_b}) if data_a.get(k) != data_b.get(k)))
    if not problems:
        return f"identical ({count} arrays)", False
    return "; ".join(problems), True


def _array_diff(key: str, a: np.ndarray, b: np.ndarray | None) -> str:
    if b is None:
        return f"{key}: missing"
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{key}: {a.shape} {a.dtype} -> {b.shape} {b.dtype}"
    if np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
        return ""
    return f"{key}: max abs diff {np.nanmax(np.abs(a.astype(float) - b.astype(float))):.3g}"


def json_diffs(before: Path, after: Path) -> list[str]:
    """Unified diffs of ops.json and info/*.json (a few lines each)."""
    out = []
    names = sorted({str(p.relative_to(d)) for d in (before, after)
                    for p in [d / "ops.json", *d.glob("info/*.json")] if p.exists()})
    for rel in names:
        a, b = ((d / rel).read_text().splitlines() if (d / rel).exists() else []
                for d in (before, after))
        lines = [x for x in list(difflib.unified_diff(a, b, lineterm="", n=0))[2:]
                 if not x.startswith("@@")]
        if lines:
            out.append(f"{rel}: {len(lines)} lines differ\n    " + "\n    ".join(lines[:12]))
    return out


def compare(before: Path, after: Path) -> int:
    names = sorted({p.stem for d in (before, after) for p in (d / "cases").glob("*.json")})
    failed = 0
    for name in names:
        line, bad = compare_case(name, before, after)
        failed += bad
        print(f"{name:<28} {line}")
    diffs = json_diffs(before, after)
    print("\n".join(diffs) if diffs else "ops.json and info/*.json: identical")
    print(f"{len(names)} cases, {failed} differ or missing")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("record").add_argument("dir", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path, nargs="?", help="default: record the tree now")
    args = p.parse_args(argv)
    if args.command == "record":
        return record(args.dir)
    if args.after is not None:
        return compare(args.before, args.after)
    with tempfile.TemporaryDirectory(prefix="golden-after-") as tmp:
        return record(Path(tmp)) or compare(args.before, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
