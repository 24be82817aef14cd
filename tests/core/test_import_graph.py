"""The floor plan holds: the core imports no family, no import circle, no family takes
another family's private name.  The graph is read with ``ast`` over ``imgfusion/``: imports
at module level and inside functions, relative and absolute (``if TYPE_CHECKING:`` blocks
are skipped: they never run)."""
import ast
from pathlib import Path

import imgfusion

PACKAGE = Path(imgfusion.__file__).resolve().parent
FAMILIES = ("io", "layout", "gradient", "style", "masked", "video", "trained", "batch")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def family_of(module: str) -> str | None:
    """``imgfusion.video.reader`` -> ``video``; a core module -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FAMILIES else None


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test)


def _import_nodes(tree: ast.AST):
    """Every import statement, at any depth, outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if _is_type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _import_nodes(node)


def _base(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    base = ".".join(parts[:keep])
    return f"{base}.{node.module}" if node.module else base


def imports(module: str, path: Path, known: dict[str, Path]):
    """``(target module, imported name or None)`` for every import in ``path``."""
    is_package = path.name == "__init__.py"
    for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((a.name, None) for a in node.names if a.name.startswith("imgfusion"))
            continue
        base = _base(module, node, is_package)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            yield (sub, None) if sub in known else (base, alias.name)


def graph(root: Path = PACKAGE) -> dict[str, set[tuple[str, str | None]]]:
    known = modules(root)
    return {m: {(t, n) for t, n in imports(m, p, known) if t in known}
            for m, p in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _plain_edges(g) -> dict[str, set[str]]:
    """Module -> modules it imports; a package's own ``__init__`` importing its submodules
    (or a submodule importing its package, which runs that ``__init__``) is how Python
    builds a package, not a circle between floors, so those edges are left out."""
    return {m: {t for t, _ in targets if t != m and not t.startswith(m + ".")
                and not m.startswith(t + ".")} for m, targets in g.items()}


def core_to_family(g) -> list[str]:
    return sorted(f"{m} imports {t}" for m, targets in g.items() if family_of(m) is None
                  for t, _ in targets if family_of(t) is not None)


def private_across_families(g) -> list[str]:
    return sorted(f"{m} imports {t}:{n}" for m, targets in g.items() for t, n in targets
                  if n and n.startswith("_") and family_of(m) and family_of(t)
                  and family_of(m) != family_of(t))


def family_edges(g) -> dict[str, set[str]]:
    """Family -> the other families it imports (a family may import those below it)."""
    edges: dict[str, set[str]] = {}
    for m, targets in g.items():
        for t, _ in targets:
            if family_of(m) and family_of(t) and family_of(m) != family_of(t):
                edges.setdefault(family_of(m), set()).add(family_of(t))
    return edges


def test_the_families_stand_on_floors():
    """No two families import each other, through any chain: each stands on those below."""
    assert cycles(family_edges(graph())) == []


def test_the_core_imports_no_family():
    assert core_to_family(graph()) == []


def test_no_import_circle():
    assert cycles(_plain_edges(graph())) == []


def test_no_family_takes_another_familys_private_name():
    assert private_across_families(graph()) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "imgfusion" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "imgfusion"


def test_the_reader_finds_each_kind_of_fault(tmp_path):
    pkg = _write(tmp_path, {
        "__init__.py": "", "engine.py": "def f():\n    from .video import mapping\n",
        "a.py": "from . import b\n", "b.py": "import imgfusion.a\n",
        "video/__init__.py": "from .mapping import x\n", "video/mapping.py": "x = 1\n",
        "style/__init__.py": "", "style/s.py": "from ..video.mapping import _hidden\n",
        "recipe.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from .video import mapping\n"})
    g = graph(pkg)
    assert core_to_family(g) == ["imgfusion.engine imports imgfusion.video.mapping"]
    assert cycles(_plain_edges(g)) == [["imgfusion.a", "imgfusion.b"]]
    assert private_across_families(g) == ["imgfusion.style.s imports imgfusion.video.mapping:_hidden"]
    assert family_edges(g) == {"style": {"video"}}
