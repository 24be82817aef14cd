"""``save_json``: a step's data output as JSON, with save's guarantees."""
import json

import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.io.write_data import save_json
from imgfusion.recipe import load_recipe


def test_numbers_stay_numbers_and_nan_is_null(tmp_path):
    data = {"loss": np.float32(0.5), "history": [{"it": np.int64(3), "x": float("nan")}],
            "grid": np.arange(4).reshape(2, 2), "size": (2, 3), "where": tmp_path}
    path = save_json(data, path="r.json", workdir=tmp_path)
    back = json.loads((tmp_path / "r.json").read_text())
    assert path == str(tmp_path / "r.json")
    assert back == {"loss": 0.5, "history": [{"it": 3, "x": None}],
                    "grid": [[0, 1], [2, 3]], "size": [2, 3], "where": str(tmp_path)}


def test_it_never_replaces_a_file_unasked_nor_takes_a_picture(tmp_path):
    (tmp_path / "r.json").write_text("mine")
    with pytest.raises(ParameterError, match="already exists") as err:
        save_json({"a": 1}, path="r.json", workdir=tmp_path)
    assert err.value.field == "path" and (tmp_path / "r.json").read_text() == "mine"
    save_json({"a": 1}, path="r.json", workdir=tmp_path, overwrite=True)
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": 1}
    with pytest.raises(ParameterError, match="a picture"):
        save_json({"image": np.zeros((1001, 1001))}, path="p.json", workdir=tmp_path)
    assert not (tmp_path / "p.json").exists()


def test_a_recipe_saves_a_report_and_save_points_to_it(tmp_path):
    recipe = {"imgfusion": 1, "steps": [
        {"id": "c", "op": "load", "path": "sample:coffee"},
        {"id": "g", "op": "gradient_reconstruct", "image": "$c"},
        {"op": "save_json", "data": "$g.info", "path": "info.json"}]}
    run_recipe(load_recipe(recipe, out_dir=tmp_path), progress=False)
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["unknowns"] > 0 and info["residual"] < 1e-6
    wrong = {**recipe, "steps": [*recipe["steps"][:2],
                                 {"op": "save", "image": "$g.info", "path": "info.png"}]}
    with pytest.raises(RecipeError, match="save_json writes data"):
        load_recipe(wrong, out_dir=tmp_path)
    bad = {**recipe, "steps": [*recipe["steps"][:2],
                               {"op": "save_json", "data": "$g.info", "path": "info.txt"}]}
    with pytest.raises(RecipeError, match="save_json writes .json files"):
        load_recipe(bad, out_dir=tmp_path)


def test_per_frame_data_is_a_list_and_pictures_go_to_save(tmp_path):
    """A video's per-frame info is written frame by frame (not as a placeholder), and a
    picture sent to save_json is refused at validation, naming save."""
    recipe = {"imgfusion": 1, "steps": [
        {"id": "c", "op": "load", "path": "sample:coffee"},
        {"id": "small", "op": "resize", "image": "$c", "size": [24, 32]},
        {"id": "clip", "op": "synthetic_video", "background": "$small", "frames": 3,
         "size": [16, 16]},
        {"id": "g", "op": "gradient_reconstruct", "image": "$clip"},
        {"op": "save_json", "data": "$g.info", "path": "info.json"}]}
    run_recipe(load_recipe(recipe, out_dir=tmp_path), progress=False)
    frames = json.loads((tmp_path / "info.json").read_text())
    assert len(frames) == 3 and all(f["unknowns"] == 256 for f in frames)
    picture = {**recipe, "steps": [*recipe["steps"][:1],
                                   {"op": "save_json", "data": "$c", "path": "c.json"}]}
    with pytest.raises(RecipeError, match="not data; save writes it"):
        load_recipe(picture, out_dir=tmp_path)
    with pytest.raises(ParameterError, match="too deep"):
        deep: list = []
        for _ in range(100000):
            deep = [deep]
        save_json({"d": deep}, path="d.json", workdir=tmp_path)
