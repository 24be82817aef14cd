"""The I/O operators through the registry, as the engine calls them."""
import numpy as np
import pytest

import imgfusion
from imgfusion.errors import ParameterError
from imgfusion.plugins import load_registry

IO_OPS = ["load", "load_mask", "shape_mask", "save", "resize", "crop", "place", "to_gray",
          "composite", "contact_sheet"]


@pytest.fixture(scope="module")
def registry():
    return load_registry(entry_points=False)


def call(registry, name, inputs=None, params=None, context=None):
    op = registry[name]
    full = {p.name: p.default for p in op.params if not p.required}
    full.update({k: op.param(k).convert(v) for k, v in (params or {}).items()})
    return op.call(inputs or {}, full, context)


def test_all_registered_from_the_builtin_plugin_and_exported(registry):
    for name in IO_OPS:
        op = registry[name]
        family = "io" if name in ("load", "load_mask", "save") else "layout"
        assert op.source == f"builtin plugin imgfusion.{family}.plugin"
        assert op.summary and op.long_help
        assert callable(getattr(imgfusion, name))
        op.describe()


def test_load_resize_save_chain(registry, tmp_path):
    image = call(registry, "load", params={"path": "sample:coffee"})["image"]
    small = call(registry, "resize", {"image": image}, {"longest": 32})["image"]
    assert small.shape == (21, 32, 3)
    src = tmp_path / "in.png"
    imgfusion.write_image(src, small)
    out = call(registry, "save", {"image": small}, {"path": "out/x.png", "bits": 16},
               {"workdir": tmp_path, "protect": [str(src)]})
    assert out == {"path": str(tmp_path / "out" / "x.png")}
    np.testing.assert_allclose(imgfusion.read_image(out["path"]), small, atol=1 / 65535)
    with pytest.raises(ParameterError, match="input of this run"):
        call(registry, "save", {"image": small}, {"path": str(src), "overwrite": True},
             {"workdir": tmp_path, "protect": [str(src)]})


def test_checks_catch_cross_parameter_mistakes(registry):
    assert registry["resize"].check({"size": (3, 3), "longest": 5})[0][0] == "longest"
    assert registry["resize"].check({"scale": 0.5}) == []
    assert registry["save"].check({"path": "a.jpg", "bits": 16})[0][0] == "bits"
    assert registry["save"].check({"path": "a.txt", "bits": 8})[0][0] == "path"
    assert registry["save"].check({"path": "a.tif", "bits": 16}) == []


def test_masks_and_compositing_ops(registry):
    bg = call(registry, "load", params={"path": "sample:camera"})["image"][:40, :50]
    fg = np.zeros_like(bg)
    mask = call(registry, "shape_mask", {"like": bg}, {"shape": "rectangle",
                                                        "extent": [0.5, 0.5]})["mask"]
    assert mask.shape == (40, 50) and mask.sum() == 20 * 25
    out = call(registry, "composite", {"foreground": fg, "background": bg, "mask": mask})["image"]
    np.testing.assert_array_equal(out[~mask], bg[~mask])
    assert not out[mask].any()
    placed = call(registry, "place", {"image": fg[:5, :5], "onto": bg}, {"offset": [-2, 48]})
    np.testing.assert_array_equal(placed["image"][3:], bg[3:])
    grey = call(registry, "to_gray", {"image": np.ones((2, 2, 3), np.float32)})["image"]
    np.testing.assert_allclose(grey, 1.0, atol=1e-6)
    cut = call(registry, "crop", {"image": bg}, {"origin": [1, 2], "size": [3, 4]})["image"]
    np.testing.assert_array_equal(cut, bg[1:4, 2:6])


def test_load_mask_op(registry):
    mask = call(registry, "load_mask", params={"path": "sample:logo", "threshold": 0.5})["mask"]
    assert mask.dtype == bool and mask.shape == (500, 500) and 0 < mask.mean() < 1


def test_contact_sheet_receives_labels_from_context(registry):
    images = [np.full((8, 8, 3), v, np.float32) for v in (0.2, 0.4, 0.6, 0.8)]
    labels = [{"p": p, "q": q} for p in (1, 2) for q in ("a", "b")]
    sheet = call(registry, "contact_sheet", {"images": images},
                 {"cell": 8, "padding": 2, "label": False}, {"labels": labels})["image"]
    assert sheet.shape == (2 + 2 * 10, 2 + 2 * 10, 3)
    np.testing.assert_array_equal(sheet[12:20, 12:20], images[3])


def test_load_mask_alpha_of_a_file_without_one_is_refused_at_validation(tmp_path):
    """It was refused at run time, after the recipe's earlier steps had written files."""
    from imgfusion.errors import RecipeError
    from imgfusion.io.write import write_image
    from imgfusion.recipe import load_recipe

    write_image(tmp_path / "rgb.png", np.full((8, 8, 3), 0.5, np.float32))
    write_image(tmp_path / "rgba.png", np.full((8, 8, 4), 0.5, np.float32))
    for name, refused in (("rgb.png", True), ("rgba.png", False)):
        steps = [{"id": "m", "op": "load_mask", "path": name, "channel": "alpha"},
                 {"op": "save", "image": "$m", "path": "m.png"}]
        (tmp_path / "r.yaml").write_text(str({"imgfusion": 1, "steps": steps}))
        if refused:
            with pytest.raises(RecipeError, match="has no alpha channel"):
                load_recipe(tmp_path / "r.yaml", out_dir=tmp_path / "o")
        else:
            assert load_recipe(tmp_path / "r.yaml", out_dir=tmp_path / "o")
