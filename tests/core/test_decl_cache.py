"""Declarations read from source are kept between runs until a file they came from changes."""
import sys
import textwrap

import pytest

from imgfusion import static_decl
from imgfusion.static_decl import read_module

OPTS = "from typing import Annotated\nfrom imgfusion.operators import Range\n" \
       "Amount = Annotated[float, Range(0, {hi})]\n"
OPS = '''
from imgfusion.operators import Image, operator
from .opts import Amount


@operator
def fade(image: Image, *, amount: Amount = 0.5) -> Image:
    """Fade.

    Parameters
    ----------
    amount : how far
    """
    return image
'''


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFUSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(static_decl, "_READERS", {})
    return tmp_path / "cache" / "declarations"


def _unreadable(module):
    raise AssertionError(f"{module} was parsed again")


def test_a_second_reading_comes_from_the_cache_and_equals_the_first(cache, monkeypatch):
    first = read_module("imgfusion.gradient.blending")
    assert len(list(cache.glob("imgfusion.gradient.blending-*.pickle"))) == 1
    monkeypatch.setattr(static_decl, "reader_for", _unreadable)
    second = read_module("imgfusion.gradient.blending")
    assert [op.describe() for op in second] == [op.describe() for op in first]
    assert [op.traits for op in second] == [op.traits for op in first]


def test_a_required_parameter_stays_required_through_the_cache(cache, monkeypatch):
    read_module("imgfusion.layout.geometry")
    monkeypatch.setattr(static_decl, "reader_for", _unreadable)
    crop = {op.name: op for op in read_module("imgfusion.layout.geometry")}["crop"]
    assert crop.param("origin").required and crop.param("size").required


def test_two_checkouts_of_a_module_do_not_share_an_entry(cache, tmp_path, monkeypatch):
    for hi in (1, 2):
        root = tmp_path / f"checkout{hi}"
        (root / "cachepkg").mkdir(parents=True)
        (root / "cachepkg" / "__init__.py").write_text("")
        (root / "cachepkg" / "opts.py").write_text(OPTS.format(hi=hi))
        (root / "cachepkg" / "ops.py").write_text(textwrap.dedent(OPS))
        with monkeypatch.context() as m:
            m.syspath_prepend(str(root))
            m.delitem(sys.modules, "cachepkg", raising=False)
            assert read_module("cachepkg.ops")[0].param("amount").max == hi


def test_a_changed_module_that_a_name_came_from_is_read_again(cache, tmp_path, monkeypatch):
    pkg = tmp_path / "cachepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "opts.py").write_text(OPTS.format(hi=1))
    (pkg / "ops.py").write_text(textwrap.dedent(OPS))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cachepkg", raising=False)
    assert read_module("cachepkg.ops")[0].param("amount").max == 1
    (pkg / "opts.py").write_text(OPTS.format(hi=25))     # another size, whatever the clock
    monkeypatch.setattr(static_decl, "_READERS", {})
    assert read_module("cachepkg.ops")[0].param("amount").max == 25


def test_a_broken_cache_file_is_only_a_miss(cache):
    cache.mkdir(parents=True)
    read_module("imgfusion.gradient.tiling")
    (entry,) = cache.glob("imgfusion.gradient.tiling-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert [op.name for op in read_module("imgfusion.gradient.tiling")] == ["seamless_tile"]
