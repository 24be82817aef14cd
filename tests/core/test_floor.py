"""The core is the ground floor: a disabled family is never imported, validation and the
engine name no operator, and sizes known from the files' headers and the declarations
are checked before anything runs (a mask against its image: exit 2, step and field)."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imgfusion
from imgfusion.cli import main
from imgfusion.errors import RecipeError
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe

CORE = Path(imgfusion.__file__).parent
NO_VIDEO = """
imgfusion: 1
steps:
  - {id: photo, op: load, path: sample:astronaut}
  - {id: small, op: resize, size: [24, 32]}
  - {id: mask, op: shape_mask, like: $small}
  - {id: mix, op: composite, foreground: $small, background: $small, mask: $mask}
  - {op: save, path: mixed.png}
"""


def test_a_disabled_family_is_never_imported(tmp_path, cli_env):
    (tmp_path / "r.yaml").write_text(NO_VIDEO)
    code = textwrap.dedent("""
        import sys
        from imgfusion.engine import run_recipe
        from imgfusion.recipe import load_recipe
        run_recipe(load_recipe("r.yaml"), progress=False)
        print(sorted(m for m in sys.modules if m.startswith(("imgfusion.video", "imgfusion.batch"))))
    """)
    env = {**cli_env, "IMGFUSION_DISABLE_PLUGINS": "video,batch"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "mixed.png").is_file()


def _sources() -> str:
    files = [*(CORE / "recipe").glob("*.py"), CORE / "engine.py", CORE / "per_frame.py",
             CORE / "plan.py"]
    return "\n".join(f.read_text() for f in files)


def test_validation_and_the_engine_name_no_operator():
    text = _sources()
    named = [n for n in load_registry(entry_points=False).names()
             if f'"{n}"' in text or f"'{n}'" in text]
    assert named == []


def _mask_file(folder: Path, rows: int, cols: int) -> Path:
    path = folder / "mask.png"
    Image.fromarray(np.full((rows, cols), 255, np.uint8)).save(path)
    return path


MISMATCHES = {
    "a mask file against a sample image": """
        - {id: photo, op: load, path: sample:astronaut}
        - {id: mask, op: load_mask, path: mask.png}
        - {id: out, op: poisson_blend, source: $photo, target: $photo, mask: $mask}
    """,
    "a drawn mask against a resized image": """
        - {id: photo, op: load, path: sample:astronaut}
        - {id: small, op: resize, image: $photo, size: [40, 30]}
        - {id: mask, op: shape_mask, like: $photo}
        - {id: out, op: texture_flatten, image: $small, mask: $mask}
    """,
    "a mask of a given size against an image file": """
        - {id: photo, op: load, path: mask.png}
        - {id: mask, op: shape_mask, size: [12, 12]}
        - {id: out, op: place, image: $photo, onto: $photo, mask: $mask}
    """,
}


def _recipe(tmp_path: Path, steps: str) -> Path:
    _mask_file(tmp_path, 20, 16)
    path = tmp_path / "r.yaml"
    path.write_text("imgfusion: 1\nsteps:\n" + textwrap.indent(textwrap.dedent(steps), "  "))
    return path


@pytest.mark.parametrize("case", MISMATCHES)
def test_a_mask_of_another_size_is_refused_at_validation(tmp_path, case):
    with pytest.raises(RecipeError) as info:
        load_recipe(_recipe(tmp_path, MISMATCHES[case]))
    [problem] = info.value.problems
    assert (problem.step, problem.field) == ("out", "mask")
    assert "(rows x cols); they must match" in problem.message


def test_the_cli_refuses_it_with_exit_2(tmp_path, capsys):
    path = _recipe(tmp_path, MISMATCHES["a mask file against a sample image"])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "step out, field 'mask'" in err and "is 20 x 16 but source" in err


def test_matching_sizes_pass(tmp_path):
    path = _recipe(tmp_path, """
        - {id: photo, op: load, path: mask.png}
        - {id: small, op: resize, image: $photo, scale: 0.5}
        - {id: mask, op: shape_mask, like: $small}
        - {id: out, op: texture_flatten, image: $small, mask: $mask}
    """)
    assert load_recipe(path).step("out").op.name == "texture_flatten"
