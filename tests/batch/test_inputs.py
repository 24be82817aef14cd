"""Binds: globs, list files, lockstep and broadcast, output folder names."""
from pathlib import Path

import pytest

from imgfusion.batch.inputs import Bind, expand, folder_names, parse_bind, zip_binds
from imgfusion.errors import UsageError


def test_folder_names_are_slugs_with_a_hash_only_on_clashes():
    paths = [Path("/d/x/cat.jpg"), Path("/d/x/cat.png"), Path("/d/y/dog one.png"),
             Path("/d/y/Cat.tif"), Path("/d/manifest.png")]
    names = folder_names(paths, Path("/d"))
    assert names[2] == "y__dog_one"
    assert len(set(n.lower() for n in names)) == len(names)          # collision-free
    assert names[0].startswith("x__cat-") and names[1].startswith("x__cat-")
    assert names[3] == "y__Cat"               # differs from x__cat by folder, not a clash
    assert names[4].startswith("manifest-")   # never the batch's own manifest
    assert folder_names(paths[::-1], Path("/d")) == names[::-1]   # order-independent
    assert folder_names(paths[2:], Path("/d"))[:2] == names[2:4]   # others do not rename them
    assert folder_names([Path("/e/f.png")], Path("/d")) == ["e__f"]   # outside the base


def test_list_file_paths_are_relative_to_the_list(tmp_path):
    (tmp_path / "imgs").mkdir()
    for n in ("a.png", "b.png"):
        (tmp_path / "imgs" / n).write_bytes(b"x")
    (tmp_path / "todo.txt").write_text("# the two of them\nimgs/b.png\n\nimgs/a.png\n")
    bind = expand(parse_bind(f"photo.path=@{tmp_path / 'todo.txt'}"))
    assert [p.name for p in bind.paths] == ["b.png", "a.png"]      # list order kept
    (tmp_path / "todo.txt").write_text("imgs/a.png\nimgs/missing.png\n")
    with pytest.raises(UsageError, match="missing.png"):
        expand(parse_bind(f"photo.path=@{tmp_path / 'todo.txt'}"))


def test_binds_advance_together_and_single_files_broadcast():
    a = Bind("photo", "path", "g", (Path("/1"), Path("/2"), Path("/3")))
    m = Bind("mask", "path", "g", (Path("/m"),))
    assert zip_binds([a, m]) == [(Path("/1"), Path("/m")), (Path("/2"), Path("/m")),
                                 (Path("/3"), Path("/m"))]
    with pytest.raises(UsageError, match="matches 2 files but --bind photo.path matches 3"):
        zip_binds([a, Bind("mask", "path", "g", (Path("/m"), Path("/n")))])


@pytest.mark.parametrize("text", ["photo.path", "path=*.png", "photo.path=", ".path=x"])
def test_malformed_bind(text):
    with pytest.raises(UsageError, match="expected STEP.PARAM=GLOB"):
        parse_bind(text)
