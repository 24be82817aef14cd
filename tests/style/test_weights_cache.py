import os
import urllib.request

import pytest
import torch
from torchvision.models import VGG19_Weights

from imgfusion.style.weights import imagenet_weights_cached


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """An empty torch hub cache; any network access fails the test."""
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("imagenet_weights_cached touched the network")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    yield tmp_path
    torch.hub.set_dir(old)


def test_true_only_when_the_vgg19_file_is_in_the_hub_cache(hub_dir):
    assert imagenet_weights_cached() is False
    checkpoints = hub_dir / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "vgg16-397923af.pth").write_bytes(b"x")  # another model's file
    assert imagenet_weights_cached() is False
    (checkpoints / os.path.basename(VGG19_Weights.IMAGENET1K_V1.url)).write_bytes(b"x")
    assert imagenet_weights_cached() is True
