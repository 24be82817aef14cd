"""Reading recipe YAML safely: no aliases, no merge keys, no duplicate or non-string keys.

PyYAML's ``safe_load`` builds no Python objects, but it still expands aliases
(``*a`` refers to ``&a``): nine nested lists of nine aliases ("billion laughs")
are a few hundred bytes that become 10^9 values for whoever walks them.  It also
keeps the last of two equal keys silently (two ``steps:`` lists: the first one is
lost).  :class:`RecipeLoader` refuses both as the parser meets them, with the
line, and also refuses merge keys (``<<``), keys that are not strings, nesting
deeper than :data:`MAX_DEPTH` and documents with more than :data:`MAX_NODES`
values, so that loading costs time linear in the text and nothing more.

Every refusal is a :class:`RecipeError` with the line (and column) it concerns.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from .errors import Problem, RecipeError, did_you_mean

MAX_DEPTH = 64         # nesting of lists and mappings
NESTED = f"nested more than {MAX_DEPTH} levels deep; a recipe is a flat list of steps"
MAX_NODES = 20_000     # scalars, lists and mappings in one document
MAX_BYTES = 1 << 20    # a recipe is a small text file


class YamlRefused(yaml.YAMLError):
    """What the loader raises; :func:`read_yaml` turns it into a RecipeError."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


def _line(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


class _RecipeChecks:
    """The refusals, shared by the libyaml-backed and the pure-Python loaders."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise YamlRefused(event.start_mark, f"the alias *{event.anchor} is not allowed: "
                                                "recipes may not use YAML anchors and aliases "
                                                "(&name / *name); write the value out")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlRefused(self.peek_event().start_mark,
                              f"more than {MAX_NODES} values; a recipe is a short list of steps")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(self.peek_event().start_mark, NESTED)
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            return SafeConstructor.construct_mapping(self, node, deep)
        out: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlRefused(key_node.start_mark, "merge keys (<<) are not allowed in "
                                                       "recipes; write the keys out")
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise YamlRefused(key_node.start_mark, _key_message(key, key_node))
            if key in out:
                raise YamlRefused(key_node.start_mark,
                                  f"duplicate key '{key}' (first given at line {lines[key]}); "
                                  "each key may appear once in a mapping")
            lines[key] = key_node.start_mark.line + 1
            out[key] = self.construct_object(value_node, deep=deep)
        return out


if yaml.__with_libyaml__:  # libyaml's events (fast), composed here so that the checks run
    class RecipeLoader(_RecipeChecks, yaml.CSafeLoader):
        """SafeLoader on libyaml's parser that refuses aliases, merge keys, duplicate keys..."""

        check_node, get_node = Composer.check_node, Composer.get_node
        get_single_node, compose_document = Composer.get_single_node, Composer.compose_document
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

        def __init__(self, stream):
            super().__init__(stream)
            Composer.__init__(self)
else:  # pragma: no cover - PyYAML without libyaml
    class RecipeLoader(_RecipeChecks, yaml.SafeLoader):
        """SafeLoader that refuses aliases, merge keys, duplicate and non-string keys."""


def _key_message(key: Any, node: Node) -> str:
    if not isinstance(node, ScalarNode):
        return f"a key is a {type(key).__name__}; keys are names (strings)"
    return (f"the key {node.value!r} is read as {type(key).__name__}, not a name; keys are "
            f"strings (quote it: '{node.value}')")


def decode_recipe(data: bytes, source: str) -> str:
    """Recipe bytes -> text: UTF-8 (a BOM is allowed) and at most :data:`MAX_BYTES`."""
    if len(data) > MAX_BYTES:
        raise RecipeError(f"{source}: the recipe is {len(data) / 2**20:.1f} MiB; recipes are "
                          f"limited to {MAX_BYTES // 2**20} MiB of text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RecipeError(f"{source}: the recipe is not UTF-8 text (byte 0x{data[exc.start]:02x}"
                          f" at line {line}); save it as UTF-8") from None


def read_yaml(text: str, source: str = "<recipe>") -> Any:
    """Parse recipe YAML; every refusal and syntax error becomes a RecipeError naming the line."""
    try:
        return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 - RecipeLoader is a SafeLoader
    except YamlRefused as exc:
        raise RecipeError(f"{source} at {_line(exc.mark)}: {exc.message}") from None
    except yaml.constructor.ConstructorError as exc:
        where = f" at {_line(exc.problem_mark)}" if exc.problem_mark else ""
        raise RecipeError(
            f"{source}{where}: {exc.problem}; recipes are read with safe loading, "
            "so YAML tags that build Python objects are refused") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at {_line(mark)}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # newer libyaml stops at 1000 levels, before our check
            raise RecipeError(f"{source}{where}: {NESTED}") from None
        raise RecipeError(f"{source}: YAML syntax error{where}: {problem}") from None
    except RecursionError:
        raise RecipeError(f"{source}: {NESTED}") from None


# -- --set overrides: STEP.PARAM=VALUE, each value read as YAML ----------------------
def parse_override(text: str) -> tuple[str | None, str, Any]:
    """``STEP.PARAM=VALUE`` (or ``seed=3``, ``device=cpu``) -> (step, key, value)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"--set {text!r}: expected STEP.PARAM=VALUE")
    step, dot, param = key.strip().rpartition(".")
    return (step if dot else None), param, read_yaml(value, f"--set {key}")


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str],
                    step_ids: Iterable[str] | None = None,
                    aliases: Callable[[dict], Mapping[str, str]] | None = None
                    ) -> list[Problem]:
    """Apply ``--set`` overrides to ``raw``; ``step_ids`` are the steps' ids in order,
    those they were given and those made for the rest (``save2``), as errors name them;
    ``aliases(step)``: its operator's renamed fields (old -> new), one field's names."""
    problems: list[Problem] = []
    steps = raw.get("steps") if isinstance(raw.get("steps"), list) else []
    if step_ids is None:
        step_ids = [s.get("id") if isinstance(s, dict) else None for s in steps]
    ids = {sid: s for sid, s in zip(step_ids, steps) if isinstance(s, dict)
           and isinstance(sid, str)}
    for text in overrides:
        try:
            step, key, value = parse_override(text)
        except RecipeError as exc:   # said with the other --set problems, not alone
            problems += exc.problems
            continue
        if step is None:
            if key not in ("device", "seed"):
                problems.append(Problem(None, key, f"--set {text!r}: only device and seed can be "
                                        "set at the top level; use STEP.PARAM=VALUE for a step"))
                continue
            raw[key] = value
        elif step not in ids:
            problems.append(Problem(step, None, f"--set {text!r}: no step with this id",
                                    did_you_mean(step, ids)))
        else:
            ids[step][key] = value
            unswept(ids[step], key, aliases(ids[step]) if aliases else {}, keep_label=True)
    return problems


def unswept(entry: dict, key: str, aliases: Mapping[str, str] | None = None,
            keep_label: bool = False) -> None:
    """A step's parameter set with ``--set`` is no longer swept: the value pins it (under
    any of its names, ``aliases`` mapping old names to new).  With ``keep_label`` a swept
    parameter becomes a sweep of that one value, so the results keep its label (a
    contact sheet's ``cols`` naming it gets one column)."""
    aliases = aliases or {}
    field = aliases.get(key, key)
    names = {field, *(old for old, new in aliases.items() if new == field)}
    for name in names - {key}:   # the other names of the field set
        entry.pop(name, None)
    sweep = entry.get("sweep")
    if isinstance(sweep, dict):
        swept = [name for name in sweep if name in names]
        if keep_label and swept:   # in its place: variant file names keep their order
            sweep[swept.pop(0)] = [entry.pop(key)]
        for name in swept:
            del sweep[name]
        if not sweep:
            del entry["sweep"]
