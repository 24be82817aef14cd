"""The package keeps the shape the brief asks for: modules under 400 lines, function bodies
at most 60 lines, the median body at most 10 (``python bench/code_shape.py`` prints the figures)."""
import importlib.util
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("code_shape", ROOT / "bench" / "code_shape.py")
shape = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shape)


def test_no_module_over_400_lines():
    big = {m: n for m, n in shape.modules().items() if n > shape.MODULE_MAX}
    assert big == {}


def test_no_function_body_over_60_lines_and_a_short_median():
    bodies = shape.body_lengths()
    long = {f: n for f, n in bodies.items() if n > shape.BODY_MAX}
    assert long == {}
    assert statistics.median(bodies.values()) <= shape.MEDIAN_MAX


def test_the_measure_counts_a_body_without_its_docstring(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text('def f():\n    """Doc."""\n    a = 1\n    return a\n')
    assert list(shape.body_lengths(pkg).values()) == [2]
    assert list(shape.modules(pkg).values()) == [4]
