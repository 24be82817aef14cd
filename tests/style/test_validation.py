"""What a style step can know before running is checked by validate, before any file is
written: the weights load, the numbers are in range; at run time, before allocating: the
init_image's size agrees and the memory suffices (the estimate is named)."""
import os
from pathlib import Path

import numpy as np
import pytest

from imgfusion.cli import main
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe
from imgfusion.style import budget, checks, pipeline, transfer

REGISTRY = load_registry(entry_points=False)
FAST = dict(weights="random", device="cpu", size=None, iterations=2,
            style_layers=["relu1_1", "relu2_1"], content_layers=["relu2_1"])


def _recipe(tmp_path, weights):
    text = f"""\
imgfusion: 1
steps:
  - id: photo
    op: shape_mask
    size: [32, 32]
  - op: save
    image: $photo
    path: first.png
  - id: grey
    op: load
    path: {tmp_path / "grey.png"}
  - id: styled
    op: neural_style
    content: $grey
    style: $grey
    weights: {weights}
    size: 32
    iterations: 1
  - op: save
    path: styled.png
"""
    from imgfusion.io.write import write_image
    if not (tmp_path / "grey.png").exists():
        write_image(tmp_path / "grey.png", np.full((32, 32, 3), 0.5, np.float32))
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    return path


def test_a_missing_weights_file_fails_validate_and_run_writes_nothing(tmp_path):
    recipe = _recipe(tmp_path, str(tmp_path / "nowhere.pth"))
    assert main(["validate", str(recipe)]) == 2
    out = tmp_path / "out"
    assert main(["run", str(recipe), "--out", str(out)]) == 2
    assert not (out / "first.png").exists() and not (out / "run.json").exists()
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe, registry=REGISTRY)
    assert [(p.step, p.field) for p in err.value.problems] == [("styled", "weights")]
    assert "nowhere.pth" in str(err.value)


def test_a_weights_file_that_is_no_state_dict_fails_validation(tmp_path):
    bogus = tmp_path / "vgg.pth"
    bogus.write_text("not a tensor")
    with pytest.raises(RecipeError, match="not a torch state dict"):
        load_recipe(_recipe(tmp_path, str(bogus)), registry=REGISTRY)


def test_a_real_state_dict_file_passes(tmp_path):
    import torch
    from imgfusion.style.layers import LAYERS
    from imgfusion.style.weights import random_features
    torch.save(random_features(0, len(LAYERS)), tmp_path / "vgg.pth")
    load_recipe(_recipe(tmp_path, str(tmp_path / "vgg.pth")), registry=REGISTRY)
    torch.save(random_features(0, 4), tmp_path / "vgg4.pth")  # 4 layers: fails at validation
    with pytest.raises(RecipeError, match="not a VGG19 state dict: no 5.weight"):
        load_recipe(_recipe(tmp_path, str(tmp_path / "vgg4.pth")), registry=REGISTRY)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def test_imagenet_uncached_and_offline_fails_validation_with_the_ways_out(
        tmp_path, torch_home, monkeypatch):
    monkeypatch.setattr(checks, "can_download", lambda *a, **k: False)
    with pytest.raises(RecipeError) as err:
        load_recipe(_recipe(tmp_path, "imagenet"), registry=REGISTRY)
    text = str(err.value)
    assert "field 'weights'" in text and "weights: random" in text
    assert str(torch_home / "hub" / "checkpoints" / checks.IMAGENET_FILE) in text


def test_imagenet_cached_or_reachable_passes(tmp_path, torch_home, monkeypatch):
    monkeypatch.setattr(checks, "can_download", lambda *a, **k: True)
    load_recipe(_recipe(tmp_path, "imagenet"), registry=REGISTRY)
    monkeypatch.setattr(checks, "can_download", lambda *a, **k: False)
    cached = torch_home / "hub" / "checkpoints" / checks.IMAGENET_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK")
    load_recipe(_recipe(tmp_path, "imagenet"), registry=REGISTRY)


def test_the_cached_file_name_is_torchvisions(torch_home):
    from torchvision.models import VGG19_Weights
    import torch
    assert os.path.basename(VGG19_Weights.IMAGENET1K_V1.url) == checks.IMAGENET_FILE
    assert checks.hub_checkpoints() == Path(torch.hub.get_dir()) / "checkpoints"


def test_weights_random_stays_valid(tmp_path):
    load_recipe(_recipe(tmp_path, "random"), registry=REGISTRY)


def test_pyramid_sizes_are_checked_at_validation(tmp_path):
    raw = {"imgfusion": 1, "steps": [
        {"id": "c", "op": "shape_mask", "size": [32, 32]},
        {"id": "s", "op": "texture_synthesis", "style": "$c", "weights": "random",
         "pyramid": [[64, 10], [99999, 10]]}]}
    with pytest.raises(RecipeError) as err:
        load_recipe(raw, registry=REGISTRY)
    assert [p.field for p in err.value.problems] == ["pyramid"]
    assert "99999" in str(err.value)


# -- run time: sizes agree, memory suffices --------------------------------------
def test_an_init_image_of_another_size_is_an_error_naming_both_sizes(content, style):
    other = np.full((20, 50, 3), 0.5, np.float32)
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(content, style, init="image", init_image=other, **FAST)
    assert err.value.field == "init_image"
    assert "20 x 50" in str(err.value) and "32 x 40" in str(err.value)
    assert "init_resize" in str(err.value)


def test_init_resize_stretches_and_matching_sizes_run(content, style):
    other = np.full((20, 50, 3), 0.5, np.float32)
    out = transfer.neural_style(content, style, init="image", init_image=other,
                                init_resize=True, **FAST).image
    assert out.shape == (32, 40, 3)
    same = np.full((32, 40, 3), 0.5, np.float32)
    assert transfer.neural_style(content, style, init="image", init_image=same,
                                 **FAST).image.shape == (32, 40, 3)


def test_init_resize_is_a_neural_style_parameter():
    p = REGISTRY["neural_style"].param("init_resize")
    assert p is not None and p.default is False


def test_a_style_scale_whose_style_image_does_not_fit_names_the_estimate(
        content, style, monkeypatch):
    need = checks.estimate_forward_bytes((320, 320), ["relu1_1", "relu2_1"])
    monkeypatch.setattr(budget, "available_memory", lambda dev: int(need * 0.5))
    optimise = checks.estimate_bytes((32, 40), 6, "lbfgs")
    assert optimise < need * 0.45  # so that the style image is what does not fit
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(content, style, style_scale=8.0, **FAST)
    assert err.value.field == "style_scale"
    assert "GiB" in str(err.value) and "needs about" in str(err.value)


def test_the_memory_check_runs_before_the_weights_load(content, style, monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda dev: 1)
    monkeypatch.setattr(pipeline, "load_features",
                        lambda *a, **k: pytest.fail("weights loaded before the memory check"))
    with pytest.raises(ParameterError, match="needs about"):
        transfer.neural_style(content, style, **FAST)


def test_the_estimate_counts_pool_indices_and_grows_with_the_area():
    small = checks.estimate_bytes((256, 256), 29, "adam")
    large = checks.estimate_bytes((512, 512), 29, "adam")
    assert 3 < large / small < 4  # the weights do not grow
    # measured CPU peaks (bench/style_memory.py): 271 MiB at 256 px, 940 MiB at 512 px
    assert small >= 271 * 2 ** 20 and large >= 940 * 2 ** 20
    assert small < 1.3 * 271 * 2 ** 20 and large < 1.3 * 940 * 2 ** 20


@pytest.mark.parametrize("which", ["content", "style"])
def test_a_path_where_an_image_belongs_is_an_error_naming_the_field(content, style, which):
    args = {"content": content, "style": style, which: f"/photos/{which}.png"}
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(args["content"], args["style"], weights="random", iterations=1)
    assert err.value.field == which and f"/photos/{which}.png" in str(err.value)
    assert "read_image" in str(err.value)


def test_init_image_and_init_image_mode_are_refused_apart_at_validation(tmp_path):
    """init: image without an init_image, or an init_image left unused, stopped the run
    at that step after the earlier steps had run."""
    def problems(args: str) -> list:
        text = ("imgfusion: 1\nsteps:\n  - {id: c, op: load, path: 'sample:coffee'}\n"
                "  - {id: s, op: neural_style, content: $c, style: $c, size: 32, "
                f"iterations: 1, {args}}}\n  - {{op: save, image: $s, path: s.png}}\n")
        try:
            (tmp_path / "r.yaml").write_text(text)
            load_recipe(tmp_path / "r.yaml")
        except RecipeError as exc:
            return [(p.step, p.field, p.message) for p in exc.problems]
        return []

    assert problems("init: image") == [("s", "init_image", "init: image needs an init_image")]
    [(_, field, message)] = problems("init_image: $c")
    assert field == "init" and "set init: image" in message
    assert problems("init: image, init_image: $c") == []
    assert problems("init_image: $c, sweep: {init: [image, content]}") == []   # the run's


@pytest.mark.parametrize("args, field", [("size: 8", "size"),
                                         ("pyramid: [[8, 2], [64, 2]]", "pyramid")])
def test_an_output_too_small_for_the_layers_is_refused_at_validation(tmp_path, args, field):
    """The content's size is known from its load step, so the run-time rule (every level
    fits relu5_1) is checked before the recipe runs; a size that fits passes."""
    text = ("imgfusion: 1\nsteps:\n  - {id: c, op: load, path: 'sample:coffee'}\n"
            f"  - {{id: s, op: neural_style, content: $c, style: $c, ARGS, iterations: 1}}\n"
            "  - {op: save, image: $s, path: s.png}\n")
    (tmp_path / "r.yaml").write_text(text.replace("ARGS", args))
    with pytest.raises(RecipeError) as exc:
        load_recipe(tmp_path / "r.yaml")
    [problem] = exc.value.problems
    assert (problem.step, problem.field) == ("s", field)
    assert "too small for layer relu5_1" in problem.message
    (tmp_path / "r.yaml").write_text(text.replace("ARGS", "size: 40"))
    assert load_recipe(tmp_path / "r.yaml")


def test_a_swept_quality_sizes_the_plan_as_the_run_does(tmp_path):
    """A swept quality is filled in by the run, not by validation: the size check took
    the default coarse-to-fine (128) for best (1024) and refused a plan best never makes."""
    text = ("imgfusion: 1\nsteps:\n  - {id: c, op: load, path: 'sample:camera'}\n"
            "  - {id: cr, op: crop, image: $c, origin: [0, 0], size: [20, 400]}\n"
            "  - {id: s, op: neural_style, content: $cr, style: $c, sweep: {quality: Q}}\n"
            "  - {op: save, image: $s, path: s.png}\n")
    (tmp_path / "r.yaml").write_text(text.replace("Q", "[best]"))
    assert load_recipe(tmp_path / "r.yaml")
    (tmp_path / "r.yaml").write_text(text.replace("Q", "[best, draft]"))
    with pytest.raises(RecipeError, match=r"10 x 200 px.*\(swept: quality=draft\)"):
        load_recipe(tmp_path / "r.yaml")
