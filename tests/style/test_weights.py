import urllib.error

import pytest
import torch
from torchvision.models.vgg import cfgs, make_layers

from imgfusion.errors import ParameterError
from imgfusion.style import weights
from imgfusion.style.encoder import VGGEncoder


@pytest.fixture
def no_cache():
    weights._imagenet_features.cache_clear()
    yield
    weights._imagenet_features.cache_clear()


def test_offline_without_cache_lists_the_ways_out(monkeypatch, no_cache, tmp_path):
    monkeypatch.setattr(weights, "_imagenet_cache_file", lambda: tmp_path / "vgg19-dcbb9e9d.pth")
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ParameterError) as err:
        weights.load_features("imagenet", upto=5)
    msg = str(err.value)
    assert err.value.field == "weights"
    assert "unreachable" in msg and "(1)" in msg and "(4)" in msg
    assert "weights: original" in msg and "random" in msg and "state dict" in msg


def test_imagenet_uses_hash_checked_hub_download(monkeypatch, no_cache, tmp_path):
    monkeypatch.setattr(weights, "_imagenet_cache_file", lambda: tmp_path / "vgg19-dcbb9e9d.pth")
    seen = {}
    full = {f"features.{k}": v for k, v in make_layers(cfgs["E"]).state_dict().items()}

    def fake(url, **kwargs):
        seen.update(kwargs, url=url)
        return full
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake)
    state = weights.load_features("imagenet", upto=3)
    assert seen["check_hash"] is True and seen["url"].endswith(".pth")
    assert torch.equal(state["2.weight"], full["features.2.weight"])
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias"}


@pytest.mark.parametrize("layout", ["full", "features"])
def test_local_state_dict(tmp_path, layout):
    torch.manual_seed(3)
    features = make_layers(cfgs["E"])  # torchvision's vgg19().features, without the classifier
    sd = features.state_dict()
    if layout == "full":  # vgg19().state_dict() keys; a small stand-in for the classifier
        sd = {f"features.{k}": v for k, v in sd.items()}
        sd["classifier.0.weight"] = torch.zeros(4, 8)
    path = tmp_path / f"{layout}.pth"
    torch.save(sd, path)
    state = weights.load_features(str(path), upto=12)
    enc = VGGEncoder(state, ["relu3_1"])
    x = torch.rand(1, 3, 24, 24)
    ref_in = (x - enc.mean) / enc.std
    expected = features[:12](ref_in)
    assert torch.allclose(enc(x)["relu3_1"], expected, atol=1e-5)


def test_bad_local_files(tmp_path):
    with pytest.raises(ParameterError, match="neither"):
        weights.load_features(str(tmp_path / "missing.pth"))
    bad = tmp_path / "bad.pth"
    torch.save({"0.weight": torch.zeros(1)}, bad)
    with pytest.raises(ParameterError, match="not a VGG19|shape"):
        weights.load_features(str(bad))


def test_random_is_seeded_loud_and_prefix_stable():
    with pytest.warns(weights.RandomWeightsWarning, match="NOT artistic"):
        a = weights.load_features("random", upto=12, seed=4)
    b = weights.random_features(4, 30)
    c = weights.random_features(5, 12)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["0.weight"], c["0.weight"])


def _hub_file(tmp_path, monkeypatch, payload: bytes, prefix: str | None = None):
    import hashlib
    prefix = prefix or hashlib.sha256(payload).hexdigest()[:8]
    path = tmp_path / f"vgg19-{prefix}.pth"
    path.write_bytes(payload)
    monkeypatch.setattr(weights, "_imagenet_cache_file", lambda: path)

    def no_network(*args, **kwargs):
        raise AssertionError("a cached file must not be downloaded again")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    return path


def test_cached_imagenet_file_is_hash_checked_when_loaded(tmp_path, monkeypatch, no_cache):
    import io
    buf = io.BytesIO()
    torch.save({f"features.{k}": v for k, v in make_layers(cfgs["E"]).state_dict().items()}, buf)
    _hub_file(tmp_path, monkeypatch, buf.getvalue())
    assert set(weights.load_features("imagenet", upto=3)) == {"0.weight", "0.bias",
                                                               "2.weight", "2.bias"}
    weights._imagenet_features.cache_clear()
    _hub_file(tmp_path, monkeypatch, buf.getvalue()[:-100], prefix="dcbb9e9d")  # truncated
    with pytest.raises(ParameterError, match="corrupt.*delete it"):
        weights.load_features("imagenet", upto=3)


class _NotATensor:
    pass


@pytest.mark.parametrize("payload", ["garbage", "pickled object"])
def test_unreadable_weights_file_gets_our_message_not_torchs(tmp_path, payload):
    path = tmp_path / "w.pth"
    if payload == "garbage":
        path.write_bytes(b"PK\x03\x04 not really a zip" * 10)
    else:
        torch.save({"0.weight": _NotATensor()}, path)
    with pytest.raises(ParameterError) as err:
        weights.load_features(str(path), upto=3)
    msg = str(err.value)
    assert "cannot read" in msg and "never runs code" in msg
    assert "weights_only" not in msg and err.value.__cause__ is None
