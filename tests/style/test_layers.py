import pytest
import torch
from torchvision.models.vgg import cfgs, make_layers

from imgfusion.errors import ParameterError
from imgfusion.style import layers


def test_names_follow_torchvision_features_order():
    net = make_layers(cfgs["E"])  # what vgg19().features is built from
    assert len(layers.NAMES) == len(net)
    for name, module in zip(layers.NAMES, net):
        kind = {"conv": torch.nn.Conv2d, "relu": torch.nn.ReLU, "pool": torch.nn.MaxPool2d}
        assert isinstance(module, kind[name[:4]]), name
    assert layers.INDEX["relu4_2"] == 22 and layers.INDEX["relu5_1"] == 29


def test_unknown_layer_suggests_closest():
    with pytest.raises(ParameterError) as err:
        layers.layer_weights(["relu1_1", "relu4_22"], "style_layers")
    assert err.value.field == "style_layers"
    assert "relu4_2" in str(err.value)


def test_layer_weights_list_and_mapping():
    assert layers.layer_weights(["relu1_1", "relu2_1"], "f") == {"relu1_1": 0.5, "relu2_1": 0.5}
    assert layers.layer_weights({"conv3_1": 2}, "f") == {"conv3_1": 2.0}
    with pytest.raises(ParameterError, match=">= 0"):
        layers.layer_weights({"conv3_1": -1}, "content_layers")
    with pytest.raises(ParameterError, match="twice"):
        layers.layer_weights(["relu1_1", "relu1_1"], "style_layers")


def test_min_input_size_counts_poolings():
    assert layers.min_input_size(["relu1_1"]) == 1
    assert layers.min_input_size(["relu5_1", "relu2_1"]) == 16
    assert layers.min_input_size(["pool5"]) == 32


def test_geometry_matches_a_probe_gradient():
    """The receptive field of a neuron is exactly where its input gradient is non-zero."""
    torch.manual_seed(0)
    net = make_layers(cfgs["E"])[: layers.INDEX["relu3_1"] + 1]
    for i, m in enumerate(net):  # average pooling: every pixel of a window gets gradient
        if isinstance(m, torch.nn.MaxPool2d):
            net[i] = torch.nn.AvgPool2d(2, 2)
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.uniform_(m.weight, 0.01, 0.02)  # positive: no cancellation, ReLU open
            torch.nn.init.constant_(m.bias, 0.1)
    x = torch.rand(1, 3, 64, 64, requires_grad=True)
    out = net(x)
    i = 5
    out[0, 0, i, i].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(0).sum(1)).flatten()
    g = layers.geometry("relu3_1")
    assert (g.stride, g.size) == (4, 24)
    assert rows.min().item() == g.start + i * g.stride
    assert rows.max().item() == g.start + i * g.stride + g.size - 1
