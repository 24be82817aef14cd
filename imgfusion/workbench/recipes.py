"""The page's recipes: confined, validated, saved as YAML, bundled for download.

A recipe from the page is an ordinary recipe mapping whose paths are relative to FOLDER
(the recipe is saved there, so ``imgfusion run FOLDER/NAME.yaml`` runs the same thing).
Before the core validates it, :func:`confinement_problems` refuses, naming the step
and the field, every input path outside FOLDER (``sample:NAME`` is fine) and, unless the
server was started with ``--allow-plugins``, a ``plugins:`` key: a plugin is Python, and
running a recipe runs its plugins' code.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ImgfusionError, Problem, RecipeError
from ..operators import InputPath
from ..paths import atomic_write
from ..plugins import Registry
from ..recipe import Recipe, load_recipe
from ..renames import renames
from ..yaml_safe import decode_recipe, read_yaml
from . import ledger
from .files import NAME_PATTERN, Refused, inside, is_sample


@dataclass
class Settings:
    """What every request of one server shares."""

    folder: Path
    out: Path
    registry: Registry
    allow_plugins: bool = False


def _problem(step: str | None, field: str | None, message: str) -> dict:
    return {"step": step, "field": field, "message": message}


def as_dicts(problems: list[Problem]) -> list[dict]:
    return [{**_problem(p.step, p.field, p.message), "suggestion": p.suggestion}
            for p in problems]


def _input_paths(raw: dict, registry: Registry):
    """``(step id, field, value)`` of every input path a recipe's steps name."""
    for n, step in enumerate(raw.get("steps") or []):
        if not isinstance(step, dict) or step.get("op") not in registry:
            continue
        sid, op = str(step.get("id", f"#{n + 1}")), registry[step["op"]]
        old = renames(op)   # a field's old name (model_path) names the same input path
        files = {p.name for p in op.params if p.type is InputPath}
        sweep = step.get("sweep") if isinstance(step.get("sweep"), dict) else {}
        for key, value in step.items():
            if old.get(key, key) in files and isinstance(value, str):
                yield sid, key, value
        for key, values in sweep.items():
            if old.get(key, key) in files:
                yield from ((sid, f"sweep.{key}", v) for v in
                            (values if isinstance(values, list) else [values]))


def confinement_problems(raw: Any, settings: Settings) -> list[dict]:
    """What the page may not ask for: paths out of FOLDER, plugins when not allowed."""
    if not isinstance(raw, dict):
        return [_problem(None, None, "a recipe is a mapping with imgfusion: 1 and steps:")]
    found = []
    if raw.get("plugins") and not settings.allow_plugins:
        found.append(_problem(None, "plugins", "plugins run code; this workbench refuses "
                              "them (start it with --allow-plugins to allow them)"))
    plugin_files = raw.get("plugins") if isinstance(raw.get("plugins"), list) else []
    places = [(None, "plugins", v) for v in plugin_files if settings.allow_plugins]
    for sid, field, value in [*places, *_input_paths(raw, settings.registry)]:
        try:
            if not (field != "plugins" and is_sample(value)):
                inside(settings.folder, str(value))
        except Refused as exc:
            found.append(_problem(sid, field, str(exc)))
    return found


def checked(raw: Any, settings: Settings) -> Recipe:
    """The validated recipe; :class:`Refused` (400) carrying every problem otherwise."""
    found = confinement_problems(raw, settings)
    if found:
        raise Problems(found)
    registry = None if raw.get("plugins") else settings.registry
    try:   # never over the user's files: only over what the workbench wrote, unchanged
        return load_recipe(raw, base_dir=settings.folder, out_dir=settings.out,
                           registry=registry, replaceable=ledger.replaceable(settings.folder))
    except RecipeError as exc:
        raise Problems(as_dicts(exc.problems)) from None
    except ImgfusionError as exc:
        raise Problems([_problem(None, None, str(exc))]) from None


class Problems(Refused):
    """Validation problems, each naming its step and field."""

    def __init__(self, problems: list[dict]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the recipe", 400)
        self.problems = problems


def recipe_name(name: Any) -> str:
    """``NAME.yaml`` for a plain name (letters, digits, ``_ - .``)."""
    text = str(name or "workbench")
    text = text[:-5] if text.endswith(".yaml") else text
    if not NAME_PATTERN.match(text) or "." in text:
        raise Refused(f"{text[:80]!r}: a recipe name is letters, digits, '_' and '-'")
    return text + ".yaml"


def yaml_text(raw: dict) -> str:
    return yaml.safe_dump(raw, sort_keys=False, default_flow_style=None, width=100)


def save(raw: dict, name: Any, settings: Settings) -> Path:
    """Write the recipe as FOLDER/NAME.yaml: replaced when the workbench wrote it and it
    is unchanged since, refused (409) when the file there is someone else's."""
    dest = inside(settings.folder, recipe_name(name))
    if not ledger.own_or_free(settings.folder, dest):
        raise Refused(f"{dest.name} exists and the workbench did not write it (or it has "
                      "changed since): choose another recipe name", 409)
    text = yaml_text(raw).encode("utf-8")
    atomic_write(dest, lambda f: f.write(text), overwrite=True)
    ledger.record(settings.folder, [dest])
    return dest


def open_recipe(name: str, settings: Settings) -> dict:
    """A recipe file of FOLDER, parsed with safe loading only."""
    path = inside(settings.folder, name)
    try:
        raw = read_yaml(decode_recipe(path.read_bytes(), name), name)
    except (OSError, ImgfusionError) as exc:
        raise Refused(f"cannot open {name}: {exc}", 422) from None
    if not isinstance(raw, dict):
        raise Refused(f"{name} is not a recipe (a mapping with steps:)", 422)
    return raw


def bundle(raw: dict, name: Any, settings: Settings) -> bytes:
    """A zip of the recipe and every file of FOLDER it reads (drawn masks included), at
    the same relative paths: unzip anywhere and ``imgfusion run NAME.yaml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(recipe_name(name), yaml_text(raw))
        files = {v for _, _, v in _input_paths(raw, settings.registry) if not is_sample(v)}
        for value in sorted(files):
            z.write(inside(settings.folder, value), Path(value).as_posix())
    return out.getvalue()
