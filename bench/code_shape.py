"""Module sizes and function lengths of the imgfusion package, against the brief's limits.

Prints the longest modules, the longest function bodies and the median body length;
``tests/core/test_code_shape.py`` holds the package to the same limits.

    python bench/code_shape.py
"""
from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "imgfusion"
MODULE_MAX, BODY_MAX, MEDIAN_MAX = 400, 60, 10


def modules(root: Path = ROOT) -> dict[str, int]:
    """Relative path -> number of lines, for every .py file under ``root``."""
    return {str(p.relative_to(root.parent)): len(p.read_text(encoding="utf-8").splitlines())
            for p in sorted(root.rglob("*.py"))}


def body_lengths(root: Path = ROOT) -> dict[str, int]:
    """"path:function" -> lines of its body (docstring excluded), for every function."""
    out = {}
    for p in sorted(root.rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str) and len(body) > 1):
                    body = body[1:]
                n = body[-1].end_lineno - body[0].lineno + 1
                out[f"{p.relative_to(root.parent)}:{node.lineno}:{node.name}"] = n
    return out


def main() -> int:
    mods, bodies = modules(), body_lengths()
    print(f"modules: {len(mods)}, largest:")
    for name, n in sorted(mods.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {n:4d}  {name}")
    print(f"functions: {len(bodies)}, longest bodies:")
    for name, n in sorted(bodies.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {n:4d}  {name}")
    median = statistics.median(bodies.values())
    print(f"median body: {median} lines (limit {MEDIAN_MAX}); largest module "
          f"{max(mods.values())} (limit {MODULE_MAX}); longest body {max(bodies.values())} "
          f"(limit {BODY_MAX})")
    ok = (max(mods.values()) <= MODULE_MAX and max(bodies.values()) <= BODY_MAX
          and median <= MEDIAN_MAX)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
