"""Feed-forward style on the CPU with a seeded random VGG19 and tiny sizes."""
import os
import signal

import numpy as np
import pytest
import torch

from imgfusion.engine import run_recipe
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.recipe import load_recipe
from imgfusion.trained import fast_style as fs
from imgfusion.trained.fast_train import train_fast_style
from imgfusion.trained.modelfile import ModelFileError, load_model, save_model
from imgfusion.trained.training import TrainingInterrupted, read_checkpoint

pytestmark = pytest.mark.filterwarnings(
    "ignore::imgfusion.style.weights.RandomWeightsWarning",
    "ignore::imgfusion.trained.fast_balance.TrainingBalanceWarning")
TINY = dict(train_size=16, width=4, residual_blocks=1, batch_size=2, weights="random",
            learning_rate=0.02, content_layers=["relu2_1"], style_layers=["relu1_1", "relu2_1"],
            device="cpu", validation=0.25, colour_stage=False, content_budget=0.0, crops=0)
# (the mechanics below on the plain residual network, every step trained, on the images
# resized: the defaults' colour stage, content budget and crops have their own tests,
# test_fast_budget.py)


@pytest.fixture(scope="module")
def images(request):
    rng = np.random.default_rng(0)
    content = [rng.random((20, 24, 3)).astype(np.float32) for _ in range(8)]
    yy, xx = np.mgrid[0:32, 0:32]
    stripes = (np.sin(xx / 2.0)[..., None] * [0.5, 0.3, -0.4] + 0.5).astype(np.float32)
    return content, np.clip(stripes + 0 * yy[..., None], 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def trained(images, tmp_path_factory):
    content, style = images
    out = tmp_path_factory.mktemp("fast")
    return train_fast_style(content, style, path=str(out / "m.safetensors"), steps=40,
                            validate_every=20, progress=False, loss_plot=str(out / "loss.png"),
                            **TINY)


def _tensors(model):
    return {k: v.clone() for k, v in model.net.state_dict().items()}


def test_training_loss_and_validation_loss_fall(trained):
    hist, val = trained.report["loss_history"], trained.report["validation_history"]
    assert np.mean([h["total"] for h in hist[-5:]]) < 0.6 * np.mean([h["total"] for h in hist[:5]])
    assert [v["step"] for v in val] == [20, 40] and val[0]["total"] > 0
    held = trained.report["held_out"]
    assert held["images"] == 2 and held["fast"]["total"] == pytest.approx(val[-1]["total"],
                                                                         rel=1e-4)
    assert os.path.exists(trained.report["loss_plot"])


def test_crop_span_shapes_the_crops_trained_on_and_the_model_file_records_it(images,
                                                                              tmp_path,
                                                                              trained):
    """The same seed and crops, with and without a span: other training images (the
    first step's loss differs), each run's model file says how it was cropped.  Left
    out, the span is 0.5 with crops and 0 without (not refused)."""
    content, style = images
    content = [np.kron(c, np.ones((2, 2, 1), np.float32)) for c in content]  # room to span

    def first_step(span):
        given = {} if span is None else {"crop_span": span}
        return train_fast_style(content, style, path=str(tmp_path / f"m{span}.safetensors"),
                                steps=1, validate_every=0, progress=False,
                                **{**TINY, "crops": 8, **given})

    runs = {span: first_step(span) for span in (0.0, 0.5, 1.0, None)}
    first = {span: r.report["loss_history"][0]["total"] for span, r in runs.items()}
    assert first[0.0] != pytest.approx(first[1.0], rel=1e-6)
    assert first[0.0] != pytest.approx(first[0.5], rel=1e-6)
    assert first[None] == first[0.5]
    for span, run in runs.items():
        assert run.model.meta["training"]["crops"] == 8
        assert run.model.meta["training"]["crop_span"] == (0.5 if span is None else span)
    assert trained.model.meta["training"]["crops"] == 0   # TINY: resized, no span
    assert trained.model.meta["training"]["crop_span"] == 0.0
    with pytest.raises(ParameterError, match="^crop_span: crops is 0"):   # Python calls too
        train_fast_style(content, style, path=str(tmp_path / "none.safetensors"), steps=1,
                         progress=False, **{**TINY, "crops": 0, "crop_span": 0.5})
    assert not (tmp_path / "none.safetensors").exists()


def test_model_file_round_trip_and_apply(trained, images, tmp_path):
    content, _ = images
    tensors, meta = load_model(trained.path, "fast_style")
    assert meta["arch"] == {"width": 4, "residual_blocks": 1, "output": "residual", "pad": 16,
                           "resample": "smooth"}
    assert meta["training"]["steps"] == 40
    from_file = fs.fast_style(content[0], model_file=trained.path)
    direct = fs.fast_style(content[0], trained.model)
    assert from_file.shape == (20, 24, 3) and np.array_equal(from_file, direct)
    assert not np.allclose(direct, content[0], atol=0.05)   # it does something
    rgba = np.dstack([content[1][:, :, :1], np.full((20, 24, 1), 0.5, np.float32)])
    out = fs.fast_style(rgba[..., [0, 0, 0, 1]], trained.model)
    assert out.shape == (20, 24, 4) and np.all(out[..., 3] == 0.5)


def test_strength_blends_the_network_with_the_photo(trained, images):
    photo = images[0][0]
    full = fs.fast_style(photo, trained.model)
    assert np.array_equal(fs.fast_style(photo, trained.model, strength=1.0), full)
    assert np.allclose(fs.fast_style(photo, trained.model, strength=0.0), photo, atol=1e-6)
    np.testing.assert_allclose(fs.fast_style(photo, trained.model, strength=0.25),
                               0.25 * full + 0.75 * photo, atol=1e-6)


def test_channels_and_bad_images(trained, images):
    """What the operator battery asks of image operators (the trained family is left out of
    it): grey in, RGB out; bad pixels refused naming the input."""
    grey = images[0][0][..., 0]
    for image in (grey, grey[..., None]):
        out = fs.fast_style(image, trained.model)
        assert out.shape == (20, 24, 3) and out.dtype == np.float32
        assert np.isfinite(out).all() and 0 <= out.min() and out.max() <= 1
    nan = images[0][0].copy()
    nan[3, 4, 0] = np.nan
    for bad in ((images[0][0] * 255).astype(np.uint8), nan, images[0][0][..., [0, 1, 2, 0, 1]]):
        with pytest.raises(ParameterError) as err:
            fs.fast_style(bad, trained.model)
        assert err.value.field == "image"


def test_resumed_training_equals_uninterrupted_bit_for_bit(images, tmp_path):
    content, style = images
    kw = dict(TINY, progress=False, validate_every=0)
    whole = train_fast_style(content, style, path=str(tmp_path / "a.safetensors"), steps=6, **kw)
    ckpt = str(tmp_path / "ck.pt")
    train_fast_style(content, style, path=str(tmp_path / "b.safetensors"), steps=3,
                     checkpoint=ckpt, checkpoint_every=2, **kw)
    again = train_fast_style(content, style, path=str(tmp_path / "c.safetensors"), steps=6,
                             checkpoint=ckpt, resume=True, **kw)
    assert again.report["resumed_from"] == 3
    a, b = _tensors(whole.model), _tensors(again.model)
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ParameterError, match="another training run.s checkpoint .*learning_rate"):
        train_fast_style(content, style, path=str(tmp_path / "d.safetensors"), steps=6,
                         checkpoint=ckpt, resume=True, **{**kw, "learning_rate": 0.5})
    with pytest.warns(UserWarning, match="nothing more was trained"):   # 6 done, 4 asked
        train_fast_style(content, style, path=str(tmp_path / "e.safetensors"), steps=4,
                         checkpoint=ckpt, resume=True, **kw)


def test_ctrl_c_leaves_checkpoint_and_no_model_file(images, tmp_path):
    content, style = images

    def progress(done, total, **info):
        if done == 2:
            os.kill(os.getpid(), signal.SIGINT)
    with pytest.raises(TrainingInterrupted) as err:
        train_fast_style(content, style, path=str(tmp_path / "m.safetensors"), steps=5,
                         checkpoint=str(tmp_path / "ck.pt"), progress=progress,
                         **{k: v for k, v in TINY.items()})
    assert err.value.step == 2 and read_checkpoint(tmp_path / "ck.pt")["step"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]


def test_refuses_other_models_and_bad_input(trained, images, tmp_path):
    content, _ = images
    vae = save_model(tmp_path / "vae.safetensors", {"w": torch.zeros(3)},
                     {"kind": "style_vae", "arch": {}})
    with pytest.raises(ModelFileError, match="'style_vae' model; this step needs a "
                                             "'fast_style'"):
        fs.fast_style(content[0], model_file=str(vae))
    tensors, meta = load_model(trained.path, "fast_style")
    wrong = save_model(tmp_path / "wrong.safetensors", tensors,
                       {**meta, "arch": {**meta["arch"], "width": 8}})
    with pytest.raises(ModelFileError, match="has shape .* its architecture needs"):
        fs.fast_style(content[0], model_file=str(wrong))
    newer = save_model(tmp_path / "newer.safetensors", tensors,
                       {**meta, "arch": {**meta["arch"], "output": "colour_residual"}})
    with pytest.raises(ModelFileError, match="missing"):
        fs.fast_style(content[0], model_file=str(newer))
    with pytest.raises(ParameterError, match="too small"):
        fs.fast_style(content[0][:8, :8], trained.model)
    with pytest.raises(ParameterError, match="needs a model"):
        fs.fast_style(content[0])
    with pytest.raises(ParameterError, match="1 training images after the validation split"):
        train_fast_style(content[:2], images[1], path=str(tmp_path / "x.safetensors"),
                         steps=1, progress=False, **TINY)
    assert not (tmp_path / "x.safetensors").exists()
    (tmp_path / "y.json").write_text("mine")   # the sidecar's name: refused before training
    with pytest.raises(ModelFileError, match="y.json already exists"):
        train_fast_style(content, images[1], path=str(tmp_path / "y.safetensors"),
                         steps=10_000, progress=False, **TINY)
    assert (tmp_path / "y.json").read_text() == "mine"


RECIPE = """
imgfusion: 1
device: cpu
steps:
  - {{id: bg, op: load, path: "sample:coffee"}}
  - {{id: clip, op: synthetic_video, background: $bg, frames: 4, size: [24, 32], zoom: 1.0}}
  - id: styled
    op: fast_style
    image: $clip
    model_file: {model}
  - op: save_video
    video: $styled
    path: out/styled
"""


def test_fast_style_on_a_video_keeps_frames_and_loads_once(trained, tmp_path, monkeypatch):
    from imgfusion.video.reader import load_video

    loads = []
    real = fs._from_file
    monkeypatch.setattr(fs, "_from_file", lambda *a: loads.append(a) or real(*a))
    fs._cached.cache_clear()
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.format(model=trained.path))
    result = run_recipe(load_recipe(recipe), progress=False)
    frames = list(load_video(path=str(tmp_path / "out" / "styled")))
    assert len(frames) == 4 and frames[0].shape == (24, 32, 3) and len(loads) == 1
    clip = list(result.output("clip"))
    want = fs.fast_style(clip[2], trained.model)
    assert np.abs(frames[2] - want).max() <= 0.5 / 255 + 1e-6


def test_recipe_validation_refuses_before_running(trained, images, tmp_path):
    vae = save_model(tmp_path / "vae.safetensors", {"w": torch.zeros(3)},
                     {"kind": "style_vae", "arch": {}})
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.format(model=vae))
    with pytest.raises(RecipeError, match="step styled, field 'model_file': .*'style_vae'"):
        load_recipe(recipe)
    (tmp_path / "out").mkdir()
    (tmp_path / "empty").mkdir()
    from imgfusion.io.write import write_image
    write_image(tmp_path / "photo.png", images[0][0])
    train = """
imgfusion: 1
steps:
  - id: style
    op: load
    path: sample:coffee
  - id: train
    op: train_fast_style
    style: $style
    content_dir: {folder}
    path: out/m.safetensors
    crops: {crops}
"""
    for folder, crops, field, message in (
            (".", 0, "path", "m.safetensors exists; set 'overwrite: true'"),
            ("empty", 0, "content_dir", "0 images in the folder; at least 1"),
            (".", 2, "crops", "1 training crops after the validation split; at least 2")):
        (tmp_path / "out" / "m.safetensors").write_text("mine") if field == "path" else \
            (tmp_path / "out" / "m.safetensors").unlink(missing_ok=True)
        recipe.write_text(train.format(folder=folder, crops=crops))
        with pytest.raises(RecipeError, match=f"step train, field '{field}': .*{message}"):
            load_recipe(recipe)
    recipe.write_text(train.format(folder=".", crops=0) + "    crop_span: 0.5\n")
    with pytest.raises(RecipeError, match="field 'crop_span': .*crops is 0"):
        load_recipe(recipe)   # a span for crops that are not cut says nothing
    recipe.write_text(train.format(folder=".", crops=0))
    load_recipe(recipe)   # the default span is 0 without crops: not refused
    recipe.write_text(train.format(folder=".", crops=0).replace("m.safetensors", "m.pt"))
    with pytest.raises(RecipeError, match="field 'path': .*ends in .safetensors"):
        load_recipe(recipe)
