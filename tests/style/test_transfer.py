import json

import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.style import budget, color, pipeline, transfer
from imgfusion.style.encoder import VGGEncoder
from imgfusion.style.losses import gram
from imgfusion.style.optimize import NonFiniteLoss, StyleInterrupted
from imgfusion.style.pyramid import upsample, run_pyramid
from imgfusion.style.weights import random_features

SHALLOW = ["relu1_1", "relu2_1", "relu3_1"]
FAST = dict(weights="random", device="cpu", size=None, style_layers=SHALLOW,
            content_layers=["relu3_1"])


def to_t(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None]


@pytest.fixture
def spy(monkeypatch):
    """Record the starting image and the result of every optimize() call."""
    calls = []
    real = pipeline.optimize

    def wrapper(x0, loss_fn, schedule, watch):
        res = real(x0, loss_fn, schedule, watch)
        calls.append((x0.clone(), res.image.clone(), schedule))
        return res
    monkeypatch.setattr(pipeline, "optimize", wrapper)
    return calls


def test_total_loss_falls_with_default_layers(content, style):
    before = (content.copy(), style.copy())
    res = transfer.neural_style(content, style, weights="random", size=None, iterations=12)
    totals = [h["total"] for h in res.loss_history]
    assert len(totals) == 12 and totals[-1] < 0.5 * totals[0]
    assert res.image.shape == (32, 40, 3) and res.image.dtype == np.float32
    assert 0 <= res.image.min() and res.image.max() <= 1
    assert np.array_equal(content, before[0]) and np.array_equal(style, before[1])
    h = res.loss_history[-1]   # the total also holds the range penalty (>= 0)
    assert h["total"] >= h["content"] + h["style"] + h["tv"] - 1e-6
    free = transfer.neural_style(content, style, weights="random", size=None, iterations=3,
                                 range_weight=0)
    h = free.loss_history[-1]
    assert h["total"] == pytest.approx(h["content"] + h["style"] + h["tv"], rel=1e-5)


def test_adam_and_tv_and_avg_pooling(content, style):
    res = transfer.neural_style(content, style, optimizer="adam", learning_rate=0.05,
                                iterations=10, tv_weight=10.0, pooling="avg", **FAST)
    totals = [h["total"] for h in res.loss_history]
    assert totals[-1] < totals[0] and res.loss_history[0]["tv"] > 0


def test_texture_synthesis_gram_matrices_approach_the_style(style):
    res = transfer.texture_synthesis(style, size=32, style_layers=SHALLOW, weights="random",
                                     device="cpu", iterations=40, seed=1)
    enc = VGGEncoder(random_features(0, 12), SHALLOW)
    with torch.no_grad():
        target = enc(torch.nn.functional.interpolate(to_t(style), size=(32, 32), mode="bilinear",
                                                     antialias=True))
        out = enc(to_t(res.image))
        noise = enc(torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)))

    def err(f):
        return sum(((gram(f[n]) - gram(target[n])) ** 2).sum() / (gram(target[n]) ** 2).sum()
                   for n in SHALLOW).item()
    assert err(out) < 0.05 * err(noise)
    assert res.loss_history[0]["content"] == 0


def test_content_reconstruction_brings_feature_error_down(content):
    res = transfer.content_reconstruction(content, content_layers=["relu2_1"], weights="random",
                                          device="cpu", size=None, iterations=40)
    first, last = res.loss_history[0]["content"], res.loss_history[-1]["content"]
    assert last < first / 50
    assert res.loss_history[0]["style"] == 0


def test_same_seed_same_result_on_cpu(content, style):
    kw = dict(FAST, init="noise", iterations=4)
    a = transfer.neural_style(content, style, seed=3, **kw).image
    b = transfer.neural_style(content, style, seed=3, **kw).image
    c = transfer.neural_style(content, style, seed=4, **kw).image
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("init", ["content", "style", "noise", "white", "image"])
def test_every_init_mode_starts_where_it_says(init, content, style, spy, smooth_image):
    start = smooth_image((32, 40), 12)
    res = transfer.neural_style(content, style, init=init, iterations=2,
                                init_image=start if init == "image" else None, **FAST)
    x0 = spy[0][0][0].permute(1, 2, 0).numpy()
    expected = {"content": content, "image": start, "white": np.ones_like(content),
                "style": pipeline.resize(to_t(style), (32, 40))[0].permute(1, 2, 0).numpy()}
    if init == "noise":
        assert 0 <= x0.min() and x0.max() <= 1 and x0.std() > 0.2
    else:
        assert np.allclose(x0, expected[init], atol=1e-6)
    assert res.image.shape == (32, 40, 3)


def test_luminance_transfer_keeps_content_chroma_exactly(content, style):
    res = transfer.neural_style(content, style, color_control="luminance", iterations=6, **FAST)
    out_yiq, c_yiq = color.rgb_to_yiq(res.image), color.rgb_to_yiq(content)
    assert np.allclose(out_yiq[..., 1:], c_yiq[..., 1:], atol=2e-6)
    assert np.abs(out_yiq[..., 0] - c_yiq[..., 0]).max() > 1e-3  # luminance was optimised


@pytest.mark.parametrize("mode", ["histogram", "original"])
def test_other_colour_controls_run(mode, content, style):
    kw = {"color_control": "histogram"} if mode == "histogram" else {"original_colors": True}
    res = transfer.neural_style(content, style, iterations=3, **kw, **FAST)
    assert res.image.shape == (32, 40, 3)
    if mode == "original":
        iq = color.rgb_to_yiq(res.image)[..., 1:]
        assert np.allclose(iq, color.rgb_to_yiq(content)[..., 1:], atol=2e-6)


def test_pyramid_hands_each_level_the_previous_result(content, style, spy):
    res = transfer.neural_style(content, style, **dict(FAST, size=None),
                                pyramid=[[20, 3], [40, 4]])
    (x0_a, out_a, kw_a), (x0_b, out_b, kw_b) = spy
    assert x0_a.shape[-2:] == (16, 20) and x0_b.shape[-2:] == (32, 40)
    assert torch.equal(x0_b, upsample(out_a, (32, 40)))
    assert [h["level"] for h in res.loss_history] == [0] * 3 + [1] * 4
    assert [h["iteration"] for h in res.loss_history] == list(range(7))
    seen = []
    run_pyramid([(1, 1), (2, 1), (3, 1)], lambda i, s, n, prev: seen.append(prev) or s * 10)
    assert seen == [None, 10, 20]


def test_outputs_written_and_alpha_kept(content, style, tmp_path, smooth_image):
    rgba = np.concatenate([content, np.full((32, 40, 1), 0.5, np.float32)], axis=-1)
    res = transfer.neural_style(rgba, [style, smooth_image((30, 30), 4)], iterations=4,
                                style_blend_weights=[3, 1], snapshot_every=2,
                                snapshot_dir="snaps", loss_plot="plots/loss.png",
                                workdir=tmp_path, **FAST)
    assert res.image.shape == (32, 40, 4) and np.allclose(res.image[..., 3], 0.5)
    assert (tmp_path / "snaps" / "iter_00002.png").is_file()
    assert (tmp_path / "snaps" / "iter_00004.png").is_file()
    hist = json.loads((tmp_path / "snaps" / "loss_history.json").read_text())
    assert len(hist) == 4
    assert (tmp_path / "plots" / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_interrupt_keeps_snapshot_and_history(content, style, tmp_path):
    def progress(done, total, **info):
        if done == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt) as err:
        transfer.neural_style(content, style, iterations=10, progress=progress,
                              snapshot_dir=tmp_path / "s", **FAST)
    assert isinstance(err.value, StyleInterrupted)  # its own type, carrying the image
    assert err.value.image.shape == (32, 40, 3)
    assert (tmp_path / "s" / "interrupted.png").is_file()
    assert len(json.loads((tmp_path / "s" / "loss_history.json").read_text())) == 3


def test_nan_loss_stops_and_keeps_last_finite_image(content, style, tmp_path):
    from imgfusion.declare import read_function

    # the declaration caps learning_rate; the raw function is given 1e30 to provoke a NaN
    flat = dict(FAST, optimizer="adam", learning_rate=1e30, iterations=5)
    with pytest.raises(NonFiniteLoss) as err:
        transfer.neural_style.__wrapped__(content, style, workdir=tmp_path,
                                          **read_function(transfer.neural_style).grouped(flat))
    assert "iteration 1" in str(err.value)
    assert np.allclose(err.value.image, content, atol=1e-6)
    assert (tmp_path / "nonfinite_last_good.png").is_file()


@pytest.mark.parametrize("kwargs, field", [
    (dict(style_layers=["relu3_1", "relu9_1"]), "style_layers"),
    (dict(content_layers=["conv4_22"]), "content_layers"),
    (dict(style_blend_weights=[1, 2]), "style_blend_weights"),
    (dict(style_blend_weights=[-1]), "style_blend_weights"),
    (dict(style_weight=-1.0), "style_weight"),
    (dict(tv_weight=float("nan")), "tv_weight"),
    (dict(init="image"), "init_image"),
    (dict(init="gray"), "init"),
    (dict(color_control="lab"), "color_control"),
    (dict(pyramid=[[40, 2], [20, 2]]), "pyramid"),
    (dict(style_scale=0.05), "style_scale"),
    (dict(precision="bf16"), "precision"),
    (dict(weights="/no/such/file.pth"), "weights"),
    (dict(snapshot_every=2), "snapshot_dir"),
])
def test_bad_input_names_the_field(kwargs, field, content, style):
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(content, style, **{**FAST, "iterations": 1, **kwargs})
    assert err.value.field == field


def test_content_too_small_for_deepest_layer(style):
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(np.zeros((12, 40, 3), np.float32), style, weights="random",
                              size=None, iterations=1)
    assert err.value.field == "content" and "relu5_1" in str(err.value)
    assert "16" in str(err.value)


def test_size_that_does_not_fit_in_memory_says_how_much(content, style, monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda dev: 2 ** 28)  # not even tiled
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(content, style, weights="random", size=4000, iterations=1)
    assert err.value.field == "size" and "GiB" in str(err.value)
    assert "needs about" in str(err.value)


def test_presets_need_their_inputs(content, style):
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(None, style, weights="random", iterations=1)
    assert err.value.field == "content"
    with pytest.raises(ParameterError) as err:
        transfer.neural_style(content, None, weights="random", iterations=1)
    assert err.value.field == "style"


def test_the_colour_under_transparent_pixels_changes_nothing(content, style):
    """An RGBA cutout stores some colour under alpha 0; stylising it, that colour leaked
    into the visible rim (green under the transparent border gave a magenta edge)."""
    alpha = np.zeros((32, 40, 1), np.float32)
    alpha[6:26, 8:32] = 1.0
    runs = []
    for hidden in ((0, 1, 0), (1, 0, 0)):
        colour = np.where(alpha > 0, content, np.float32(hidden))
        rgba = np.concatenate([colour, alpha], axis=-1)
        runs.append(transfer.neural_style(rgba, style, iterations=3, **FAST).image)
    np.testing.assert_array_equal(runs[0], runs[1])
    assert np.array_equal(runs[0][..., 3:], alpha)
