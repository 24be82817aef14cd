"""The conv-VAE operators in a recipe: trained, handed on as a model, applied to an image
and a clip; bad values refused at validation naming step and field."""
import json

import pytest
import yaml

from imgfusion.engine import run_recipe
from imgfusion.errors import RecipeError
from imgfusion.io.write import write_image
from imgfusion.recipe import load_recipe

from vae_helpers import gradients, stripes

TRAIN = {"id": "vae", "op": "train_style_vae", "paintings_dir": "paintings",
         "frames_dir": "frames", "path": "vae.safetensors", "size": [32, 32],
         "filters": [8, 16], "latent": 4, "refiner_width": 4, "steps": 12,
         "refiner_steps": 4, "batch_size": 4, "validation": 0.25, "vgg_weights": "random",
         "validate_every": 6}


@pytest.fixture
def inputs(tmp_path):
    for name, images in (("paintings", stripes(4)), ("frames", gradients(4))):
        (tmp_path / name).mkdir()
        for i, image in enumerate(images):
            write_image(tmp_path / name / f"{i}.png", image)
    return tmp_path


def _recipe(folder, steps) -> str:
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump({"imgfusion": 1, "device": "cpu", "steps": steps}))
    return path


def test_trained_model_is_handed_on_and_styles_an_image_and_a_clip(inputs):
    steps = [TRAIN,
             {"id": "frame", "op": "load", "path": "frames/0.png"},
             {"id": "styled", "op": "vae_style", "content": "$frame", "model": "$vae.model",
              "strength": 1.0},
             {"op": "save", "image": "$styled", "path": "styled.png"},
             {"id": "clip", "op": "synthetic_video", "background": "$frame", "frames": 4,
              "size": [32, 32]},
             {"id": "styled_clip", "op": "vae_style", "content": "$clip",
              "model_file": "out/vae.safetensors", "measures": False},
             {"op": "save_video", "video": "$styled_clip", "path": "styled"}]
    (inputs / "out").mkdir()
    first = load_recipe(_recipe(inputs, steps[:4]), out_dir=inputs / "out")
    run_recipe(first, progress=False)
    second = load_recipe(_recipe(inputs, steps[1:2] + steps[4:]), out_dir=inputs / "out")
    result = run_recipe(second, progress=False)
    assert (inputs / "out" / "styled.png").is_file()
    assert len(list((inputs / "out" / "styled").glob("*.png"))) == 4
    assert result.output("styled_clip", "report")["frames"] == 4
    meta = json.loads((inputs / "out" / "vae.json").read_text())
    assert meta["kind"] == "style_vae" and meta["arch"]["vae"]["filters"] == [8, 16]


@pytest.mark.parametrize("step, field", [
    ({"strength": 1.5}, "strength"), ({"mode": "sample"}, "mode"),
    ({"model_file": "paintings/0.png"}, "model_file")])
def test_bad_vae_style_values_are_refused_before_anything_runs(inputs, step, field):
    steps = [{"id": "frame", "op": "load", "path": "frames/0.png"},
             {"id": "styled", "op": "vae_style", "content": "$frame",
              "model_file": "nothing.safetensors", **step}]
    if field != "model_file":
        steps[1].pop("model_file")
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, steps), out_dir=inputs / "out")
    assert any(p.step == "styled" and p.field == field for p in err.value.problems)
    assert not (inputs / "out").exists()


def test_too_few_training_images_and_bad_kernels_are_refused_at_validation(inputs):
    for f in list((inputs / "paintings").iterdir())[1:]:
        f.unlink()
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, [{**TRAIN, "kernels": [3, 4]}]), out_dir=inputs / "out")
    found = {(p.step, p.field) for p in err.value.problems}
    assert ("vae", "kernels") in found or ("vae", "paintings_dir") in found
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, [{**TRAIN, "vgg_weights": "vgg.pth"}]), out_dir=inputs)
    assert any(p.field == "vgg_weights" for p in err.value.problems)


def test_gallery_recipe_validates_with_the_alpha_sweep(tmp_path):
    from imgfusion.demo import gallery_dir

    recipe = load_recipe(gallery_dir() / "vae_style.yaml", out_dir=tmp_path)
    styled = next(s for s in recipe.steps if s.id == "styled")
    assert [v["strength"] for v in styled.variants] == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("op, trainer", [("fast_style", "train_fast_style"),
                                         ("fast_video_style", "train_fast_style"),
                                         ("vae_style", "train_style_vae")])
def test_a_model_from_another_step_or_two_models_are_refused_at_validation(inputs, op,
                                                                           trainer):
    """Both were refused only after the steps before had run and written their files
    (a model of the other trainer: after its training)."""
    image = "content" if op == "vae_style" else "video" if op == "fast_video_style" else "image"
    steps = [TRAIN, {"id": "frame", "op": "load", "path": "frames/0.png"},
             {"id": "styled", "op": op, image: "$frame", "model": "$frame"}]
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, steps), out_dir=inputs / "out")
    assert [(p.step, p.field, p.message) for p in err.value.problems] == [
        ("styled", "model", f"$frame is load's 'image' output; model takes the model of "
                            f"{trainer}")]
    if op != "vae_style":   # the VAE's model where the fast network's is wanted
        steps[2]["model"] = "$vae.model"
        with pytest.raises(RecipeError, match="train_style_vae's 'model' output"):
            load_recipe(_recipe(inputs, steps), out_dir=inputs / "out")
    steps[2].update(model="$vae.model", model_file="frames/1.png")
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, steps), out_dir=inputs / "out")
    assert ("styled", "model_file", "give model or model_file, not both") in \
        [(p.step, p.field, p.message) for p in err.value.problems]


@pytest.mark.parametrize("op, field", [("fast_style", "image"), ("fast_video_style", "video")])
def test_an_image_too_small_for_the_fast_network_is_refused_at_validation(inputs, op, field):
    """A fixed resize of 5 x 7 px was refused at run time, after the steps before it."""
    steps = [{"id": "frame", "op": "load", "path": "frames/0.png"},
             {"id": "clip", "op": "synthetic_video", "background": "$frame", "frames": 2,
              "size": [32, 32]},
             {"id": "small", "op": "resize", "image": "$frame" if field == "image" else "$clip",
              "size": [5, 7]},
             {"id": "styled", "op": op, field: "$small", "model_file": "frames/1.png"}]
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(inputs, steps), out_dir=inputs / "out")
    [message] = [p.message for p in err.value.problems if (p.step, p.field) == ("styled", field)]
    assert "5 x 7" in message and "too small for the network" in message
