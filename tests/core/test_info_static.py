"""`imgfusion info OP` reads the help from the source: no torch, no scipy, same text."""
import inspect
import json
import subprocess
import sys

from imgfusion.plugins import load_registry

HEAVY = ("torch", "torchvision", "scipy", "pyamg", "matplotlib", "pydantic")


OPS = ["neural_style", "poisson_blend", "stylize_and_blend", "masked_style", "color_change",
       "load_mask", "resize", "contact_sheet", "save"]   # the last four: read from source (ast)


def _cli_in_a_clean_process(commands, cli_env, tmp_path):
    """(stdout of each CLI command, heavy modules imported), in a fresh interpreter."""
    code = ("import contextlib, io, json, sys\n"
            "from imgfusion.cli import main\n"
            "texts = []\n"
            f"for argv in {commands!r}:\n"
            "    out = io.StringIO()\n"
            "    with contextlib.redirect_stdout(out):\n"
            "        assert main(argv) == 0\n"
            "    texts.append(out.getvalue())\n"
            f"print(json.dumps([texts, [m for m in {HEAVY!r} if m in sys.modules]]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=cli_env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_info_imports_neither_torch_nor_scipy(cli_env, tmp_path):
    """One family each: style, gradient, both together (a subprocess: a clean sys.modules)."""
    texts, heavy = _cli_in_a_clean_process([["info", op] for op in OPS], cli_env, tmp_path)
    assert heavy == []
    for op, text in zip(OPS, texts):
        assert text.startswith(f"{op}: ") and "parameters:" in text


def test_the_help_read_from_source_is_the_imported_docstring():
    registry = load_registry(entry_points=False)
    for name in registry.names():
        op = registry[name]
        assert isinstance(op.func, str), name            # read from source, not imported
        assert op.long_help == inspect.getdoc(op.raw), name


def test_no_parameter_help_is_cut_in_two():
    """``name : text`` whose text runs onto a second line reads as a type and a
    description: the help shown would be the second line alone."""
    import docstring_parser

    registry = load_registry(entry_points=False)
    for name in registry.names():
        parsed = docstring_parser.parse(registry[name].long_help,
                                        docstring_parser.DocstringStyle.NUMPYDOC)
        for item in parsed.params:
            prose = item.type_name and len(item.type_name.split()) > 3
            assert not (prose and item.description), (name, item.arg_name)


def test_ops_imports_neither_torch_nor_scipy(cli_env, tmp_path):
    """`imgfusion ops` loads every family's plugin.py, and each stays free of heavy imports."""
    (listing,), heavy = _cli_in_a_clean_process([["ops"]], cli_env, tmp_path)
    assert heavy == []
    names = [line.split()[0] for line in listing.splitlines() if line.strip()]
    for op in ("load", "resize", "poisson_blend", "neural_style", "masked_style"):
        assert op in names


def test_validate_without_style_steps_imports_neither_torch_nor_scipy(cli_env, tmp_path):
    """Operators registered by module path are validated from their source: a module is
    imported only for an operator's data check (resize's, in geometry) or to run it."""
    (tmp_path / "r.yaml").write_text(
        "imgfusion: 1\nsteps:\n  - {id: a, op: load, path: 'sample:camera'}\n"
        "  - {op: resize, longest: 32}\n  - {op: shape_mask, like: $a, feather: 2}\n"
        "  - {op: save, path: out/m.png}\n")
    (text,), heavy = _cli_in_a_clean_process([["validate", "r.yaml"]], cli_env, tmp_path)
    assert set(heavy) <= {"pydantic"}      # validation converts values with pydantic
    modules_code = ("import sys, json\nfrom imgfusion.cli import main\n"
                    "main(['validate', 'r.yaml'])\n"
                    "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
                    "'imgfusion.layout'))))")
    done = subprocess.run([sys.executable, "-c", modules_code], capture_output=True, text=True,
                          cwd=tmp_path, env=cli_env, timeout=120)
    layout = json.loads(done.stdout.strip().splitlines()[-1])
    # shape_mask's output probe (its size, for validation) lives in layout.masks; an operator
    # the recipe does not use is never imported
    assert "imgfusion.layout.contact_sheets" not in layout
