"""The operator contract: a typed function read at run time and from its source."""
import importlib
import sys
import textwrap

import pytest

from imgfusion.declare import DeclarationError, read_function
from imgfusion.errors import ParameterError
from imgfusion.static_decl import read_module

OPTIONS = '''
from typing import Annotated, Literal
from imgfusion.operators import Range, options

Solver = Literal["cg", "direct"]


@options
class Losses:
    """Weights of the losses.

    Parameters
    ----------
    style_weight : how much the style counts
    tv_weight : smoothness
    """
    style_weight: Annotated[float, Range(0, 1e6)] = 1e3
    tv_weight: Annotated[float, Range(0, 10)] = 0.0
'''
OPS = '''
from typing import Annotated, NamedTuple
from imgfusion.limits import COORD_MAX
from imgfusion.operators import (Data, Image, Images, Mask, Range, Seed, WorkDir, operator,
                                 OutputPath)
from .options import Losses, Solver

HALF = 1 / 2


class Blended(NamedTuple):
    """What blend returns.

    Attributes
    ----------
    image : the blended image
    info : solver and residual
    """
    image: Image
    info: Data


def _check(params):
    return None


@operator(check=_check, lockstep=("source", "target"))
def blend(source: Image, target: Image, mask: Mask | None = None, *,
          offset: Annotated[tuple[int, int], Range(-COORD_MAX, COORD_MAX)] = (0, 0),
          solver: Solver = "cg", tol: Annotated[float, Range(1e-15, HALF)] = 1e-8,
          plot: OutputPath | None = None, losses: Losses = Losses(), seed: Seed = 0,
          workdir: WorkDir = None) -> Blended:
    """Blend source into target.

    Longer text.

    Parameters
    ----------
    source : pasted
    target : pasted into
    mask : where
    offset : (row, col) of the corner
    solver : which solver
    tol
        relative residual
        at which cg stops
    """
    return Blended(source, {"tol": tol, "losses": losses, "seed": seed})


@operator(name="sheet")
def grid(images: Images, *, columns: int = 4) -> Image:
    """Lay images out."""
    return images[0]
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``toyops`` with an options module and an operator module, importable."""
    pkg = tmp_path / "toyops"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "options.py").write_text(textwrap.dedent(OPTIONS))
    (pkg / "ops.py").write_text(textwrap.dedent(OPS))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in [m for m in sys.modules if m.startswith("toyops")]:
        del sys.modules[name]


def test_the_source_reading_does_not_import_and_equals_the_runtime_one(package):
    static = {op.name: op for op in read_module("toyops.ops")}
    assert "toyops.ops" not in sys.modules
    module = importlib.import_module("toyops.ops")
    runtime = {"blend": read_function(module.blend), "sheet": read_function(module.grid)}
    for name in ("blend", "sheet"):
        s, r = static[name].describe(), runtime[name].describe()
        s.pop("source"), r.pop("source")
        assert s == r
        assert static[name].context == runtime[name].context
        assert static[name].groups["losses"][1] == runtime[name].groups["losses"][1] \
            if name == "blend" else True


def test_what_the_reader_derives(package):
    op = {o.name: o for o in read_module("toyops.ops")}["blend"]
    assert [(i.name, i.kind, i.optional) for i in op.inputs] == \
        [("source", "image", False), ("target", "image", False), ("mask", "mask", True)]
    p = {p.name: p for p in op.params}
    assert (p["offset"].min, p["offset"].max, p["offset"].default) == (-65536, 65536, (0, 0))
    assert (p["solver"].type, p["solver"].choices) == (str, ("cg", "direct"))
    assert (p["tol"].max, p["tol"].help) == (0.5, "relative residual at which cg stops")
    assert (p["style_weight"].max, p["style_weight"].help) == (1e6, "how much the style counts")
    assert op.groups["losses"] == ("toyops.options:Losses", ("style_weight", "tv_weight"))
    assert op.context == ("seed", "workdir")
    assert op.traits == {"check": "toyops.ops:_check", "lockstep": ("source", "target")}
    assert [(o.name, o.kind, o.help) for o in op.outputs] == \
        [("image", "image", "the blended image"), ("info", "data", "solver and residual")]
    assert op.summary == "Blend source into target." and "Longer text." in op.long_help
    sheet = {o.name: o for o in read_module("toyops.ops")}["sheet"]
    assert (sheet.inputs[0].many, sheet.func) == (True, "toyops.ops:grid")


def test_the_engine_gets_the_group_built_and_python_calls_are_checked(package):
    op = {o.name: o for o in read_module("toyops.ops")}["blend"]
    out = op.call({"source": 1, "target": 2}, {"style_weight": 5.0, "tol": 0.1}, {"seed": 3})
    assert out["image"] == 1
    assert out["info"]["losses"].style_weight == 5.0 and out["info"]["seed"] == 3
    blend = importlib.import_module("toyops.ops").blend
    with pytest.raises(ParameterError) as err:
        blend(1, 2, tol=0.75)
    assert err.value.field == "tol" and "maximum 0.5" in str(err.value)
    losses = importlib.import_module("toyops.options").Losses
    with pytest.raises(ParameterError) as err:
        blend(1, 2, losses=losses(tv_weight=11))
    assert err.value.field == "tv_weight"
    assert blend(1, 2, offset=[3, 4]).info["tol"] == 1e-8


@pytest.mark.parametrize("code,message", [
    ("def f(image: Image, *, k=1) -> Image:", "'k': every parameter needs an annotation"),
    ("def f(image: Image, *, k: int = bump(1)) -> Image:", "f, parameter 'k': 'bump(1)' is not"),
    ("def f(image: Image, *, dev: Device = 'cpu') -> Image:", "passes this context as 'device'"),
    ("def f(image: int) -> Image:", "annotated Image, Mask, Images, Masks, Video, Videos or Value"),
    ("def f(image: Image) -> int:", "an output is annotated"),
    ("def f(image: Image, *, losses: L = L(), w: int = 1) -> Image:", "declared twice"),
])
def test_a_wrong_declaration_is_an_error_naming_module_function_and_parameter(
        tmp_path, monkeypatch, code, message):
    (tmp_path / "badops.py").write_text(
        "from imgfusion.operators import Image, Device, operator, options\n"
        "@options\nclass L:\n    w: int = 0\n"
        "def bump(x):\n    return x\n"
        f"@operator\n{code}\n    '''Doc.'''\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DeclarationError) as err:
        read_module("badops")
    assert "badops.f" in str(err.value) and message in str(err.value)


VIDEOS = '''
from imgfusion.operators import Data, Video, Videos, operator


@operator
def compare(videos: Videos, content: Video, extra: Videos | None = None) -> Data:
    """Compare clips.

    Parameters
    ----------
    videos : the clips, each taken whole
    """
    return len(videos)
'''


def test_videos_is_a_list_of_whole_videos_in_both_readings(tmp_path, monkeypatch):
    (tmp_path / "vidops.py").write_text(textwrap.dedent(VIDEOS))
    monkeypatch.syspath_prepend(str(tmp_path))
    [static] = read_module("vidops")
    runtime = read_function(importlib.import_module("vidops").compare)
    for op in (static, runtime):
        assert [(i.name, i.kind, i.many, i.optional) for i in op.inputs] == [
            ("videos", "video", True, False), ("content", "video", False, False),
            ("extra", "video", True, True)]
        assert op.inputs[0].help == "the clips, each taken whole"
    del sys.modules["vidops"]


SHARED_HELP = '''
from typing import Annotated

from imgfusion.operators import Help, Image, Range, operator

Tol = Annotated[float, Range(0, 1), Help("where the solve stops")]
Source = Annotated[Image, Help("what is pasted")]


@operator
def first(source: Source, *, tol: Tol = 0.1) -> Image:
    """First."""
    return source


@operator
def second(source: Source, *, tol: Tol = 0.1) -> Image:
    """Second.

    Parameters
    ----------
    tol : its own words win
    """
    return source
'''


def test_a_shared_alias_carries_its_help_once_and_a_docstring_entry_wins(tmp_path, monkeypatch):
    (tmp_path / "helpops.py").write_text(textwrap.dedent(SHARED_HELP))
    monkeypatch.syspath_prepend(str(tmp_path))
    static = {op.name: op for op in read_module("helpops")}
    module = importlib.import_module("helpops")
    for op in (static["first"], read_function(module.first)):
        assert op.inputs[0].help == "what is pasted"
        assert op.param("tol").help == "where the solve stops"
        assert (op.param("tol").min, op.param("tol").max) == (0, 1)
    for op in (static["second"], read_function(module.second)):
        assert op.param("tol").help == "its own words win"
    del sys.modules["helpops"]


def test_progress_false_shows_nothing_and_a_wrong_progress_names_the_field():
    from imgfusion.operators import Image, Progress, operator

    @operator
    def counted(image: Image, *, progress: Progress = None) -> Image:
        """Reports one step of one."""
        if progress is not None:
            progress(1, 1, loss=0.0)
        return image

    seen = []
    assert counted(7, progress=lambda *a, **k: seen.append(a)) == 7 and seen == [(1, 1)]
    assert counted(7, progress=False) == 7 and counted(7) == 7
    with pytest.raises(ParameterError) as err:
        counted(7, progress=3)
    assert err.value.field == "progress" and "None or False" in str(err.value)


def test_the_video_value_class_annotates_a_video_input():
    """``from imgfusion import Video`` (the value class) reads as the ``Video`` marker."""
    from imgfusion import Data, Video, operator
    from imgfusion.declare import read_function

    @operator
    def frame_count(video: Video, other: Video | None = None) -> Data:
        """Count the frames."""
        return {"frames": 0}

    op = read_function(frame_count)
    assert [(i.name, i.kind, i.optional) for i in op.inputs] == [
        ("video", "video", False), ("other", "video", True)]



def test_a_module_registered_plugin_may_annotate_with_imgfusion_video(tmp_path, monkeypatch):
    """Read from source (a module path registered), ``from imgfusion import Video`` is the
    video marker too."""
    from imgfusion.plugins import operators_of

    (tmp_path / "clipcount.py").write_text(
        "from imgfusion import Data, Video, operator\n\n\n"
        "@operator\ndef clip_count(video: Video) -> Data:\n"
        "    \"\"\"Count the frames.\"\"\"\n    return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    [op] = operators_of("clipcount")
    assert [(i.name, i.kind) for i in op.inputs] == [("video", "video")]


def test_an_option_group_given_whole_as_a_dict_is_used_or_refused():
    """A Python caller may pass ``placement={"at": ...}``: it is that placement, never
    silently the defaults; something else is a ParameterError naming the group."""
    import numpy as np
    import pytest

    from imgfusion.errors import ParameterError
    from imgfusion.gradient.blending import poisson_blend

    src = np.random.default_rng(0).random((6, 6, 3), dtype=np.float32)
    tgt, mask = np.zeros((24, 24, 3), np.float32), np.ones((6, 6), bool)
    by_dict = poisson_blend(src, tgt, mask, placement={"at": (0.5, 0.5), "units": "fraction"})
    flat = poisson_blend(src, tgt, mask, at=(0.5, 0.5), units="fraction")
    assert np.array_equal(by_dict.image, flat.image)
    assert not np.array_equal(by_dict.image, poisson_blend(src, tgt, mask).image)
    for bad, field in (("bogus", "placement"), ({"att": (1, 2)}, "placement"),
                       ({"units": "inch"}, "units")):
        with pytest.raises(ParameterError) as err:
            poisson_blend(src, tgt, mask, placement=bad)
        assert err.value.field == field


def test_a_required_input_given_as_none_is_refused_naming_it():
    """The blends pasted the whole source rectangle for mask=None; a recipe cannot leave
    the mask out, and neither can a Python call."""
    import numpy as np
    import pytest

    from imgfusion.errors import ParameterError
    from imgfusion.gradient.blending import mixed_blend, poisson_blend

    src, tgt = np.ones((6, 6, 3), np.float32), np.zeros((24, 24, 3), np.float32)
    for blend in (poisson_blend, mixed_blend):
        with pytest.raises(ParameterError) as err:
            blend(src, tgt, None)
        assert err.value.field == "mask"
        with pytest.raises(ParameterError) as err:
            blend(src, tgt, mask=None)
        assert err.value.field == "mask"
