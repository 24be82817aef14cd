"""The recipe model: what a validated recipe is (steps, references, the run's settings).

Records only: :mod:`imgfusion.recipe.load` builds them from YAML through the validation
functions, and :func:`imgfusion.plan.plan_steps` returns new steps with their variants.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..operators import Operator
from ..plugins import Registry

FORMAT_VERSION = 1
TOP_LEVEL_KEYS = ("imgfusion", "description", "device", "seed", "plugins", "steps")
STEP_KEYS = ("id", "op", "sweep", "device", "seed")
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
REF_PATTERN = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass(frozen=True)
class Ref:
    """A reference to an earlier step's output; ``output`` None means the first."""

    step: str
    output: str | None = None

    def __str__(self) -> str:
        return f"${self.step}" + (f".{self.output}" if self.output else "")


@dataclass(frozen=True)
class Step:
    """One validated step: its operator, input references, converted parameters, sweep,
    and (once planned) the label dict of each variant it runs."""

    id: str
    index: int
    op: Operator
    inputs: dict[str, Ref | list[Ref]]
    params: dict[str, Any]
    given: frozenset[str]
    sweep: dict[str, list[Any]]
    device: str | None = None
    seed: int | None = None
    variants: tuple[dict[str, Any], ...] = ({},)

    def refs(self) -> Iterable[Ref]:
        for value in self.inputs.values():
            yield from (value if isinstance(value, list) else [value])


@dataclass(frozen=True)
class Recipe:
    """A validated, planned recipe: what :func:`imgfusion.engine.run_recipe` runs."""

    steps: tuple[Step, ...]
    registry: Registry
    raw: dict[str, Any]
    base_dir: Path
    out_dir: Path
    path: Path | None = None
    device: str = "auto"
    seed: int = 0
    input_files: frozenset[Path] = field(default_factory=frozenset)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)
