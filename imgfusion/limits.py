"""The ranges the built-in operators give their numbers, in one place.

Every numeric parameter of a built-in operator has a minimum and a maximum
(``tests/core/test_param_ranges.py`` holds the registry to it): upper bounds a
real user never reaches, so that a typo such as ``iterations: 1e12`` is refused
at validation instead of running for a year or allocating terabytes.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

SIDE_MAX = 16384          # px: an output side (resize, shape_mask, neural_style size)
COORD_MAX = 65536         # px: a position or window in an input (crop, place, offsets)
FEATHER_MAX = 4096        # px: soft edges, margins, transitions
ITERATIONS_MAX = 100_000  # loss evaluations per level
LEARNING_RATE = (1e-8, 1e3)
WEIGHT_MAX = 1e12         # loss weights, layer weights, blend weights
SCALE_MAX = 8.0           # style_scale
RESIZE_SCALE = (1e-4, 64.0)
SEED_MAX = 2 ** 63 - 1    # torch.Generator.manual_seed and numpy both take it


def seed_problem(value: Any) -> str | None:
    """Why ``value`` is not a seed (None when it is one): an integer in 0 .. 2**63-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected an integer, got {value!r}"
    if not 0 <= value <= SEED_MAX:
        return f"{value} is outside 0 .. 2**63-1 (= {SEED_MAX}), the seeds torch accepts"
    return None


def sweep_variants(params: Mapping[str, Any], sweep: Mapping[str, list]) -> Iterable[dict]:
    """The parameter sets an operator's ``check`` must see for a step with ``sweep``.

    Each swept value once (with the other swept parameters at their first value),
    so that a check sees every value without the cartesian product: linear in the
    sweep's size.  Without a sweep: ``params`` alone.
    """
    first = {name: values[0] for name, values in sweep.items() if values}
    if not first:
        yield dict(params)
        return
    for name, values in sweep.items():
        for value in values:
            yield {**params, **first, name: value}


def check_with_sweep(check, params: Mapping[str, Any], sweep: Mapping[str, list]
                     ) -> list[tuple[str, str]]:
    """Run an operator's ``check`` over :func:`sweep_variants`; each problem reported once.

    A problem found with a swept value names the sweep (``sweep.NAME``) when the
    field at fault is the swept one.
    """
    found: list[tuple[str, str]] = []
    for variant in sweep_variants(params, sweep):
        for fld, message in check(variant):
            item = (f"sweep.{fld}" if fld in sweep else fld, message)
            if item not in found:
                found.append(item)
    return found


def run_check(op, params: Mapping[str, Any],
              sweep: Mapping[str, list]) -> list[tuple[str, str]]:
    """An operator's own validation, once per swept value; a crash in it is reported."""
    try:
        return check_with_sweep(op.check, params, sweep)
    except Exception as exc:  # noqa: BLE001 - a plugin's check must not end validation
        return [(None, f"{op.name}'s parameter check failed: {type(exc).__name__}: {exc}")]


def at_least_one(kind):
    """An argparse type: ``kind`` of the text, refused below 1 (``--workers 0``)."""
    import argparse

    def convert(text: str):
        value = kind(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
        return value
    return convert
