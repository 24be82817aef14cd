"""Model files: what is saved loads back exactly; anything else is refused by name."""
import json
import struct

import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.paths import write_session
from imgfusion.trained.modelfile import (ModelFileError, check_model_file, load_model,
                                         module_shapes, save_model, sidecar_path)

ARCH = {"width": 4}


def _net(width=4):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, width, 3), torch.nn.Conv2d(width, 3, 1))


def _shapes(arch):
    return module_shapes(_net(arch["width"]))


def _save(tmp_path, name="m.safetensors", kind="toy", fmt=1, **kw):
    return save_model(tmp_path / name, _net().state_dict(),
                      {"kind": kind, "format": fmt, "arch": ARCH, "training": {"steps": 3}}, **kw)


def test_round_trip_exact_with_sidecar(tmp_path):
    path = _save(tmp_path)
    tensors, meta = load_model(path, "toy", shapes=_shapes)
    for k, v in _net().state_dict().items():
        assert torch.equal(tensors[k], v)
    assert meta["arch"] == ARCH and meta["training"] == {"steps": 3} and meta["format"] == 1
    assert json.loads(sidecar_path(path).read_text()) == meta
    assert check_model_file(path, "toy") == meta
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_never_overwrites_unasked(tmp_path):
    path = _save(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ModelFileError, match="already exists"):
        _save(tmp_path)
    assert path.read_bytes() == before
    sidecar_path(tmp_path / "n.safetensors").write_text("mine")
    with pytest.raises(ModelFileError, match="n.json already exists"):
        _save(tmp_path, "n.safetensors")
    assert not (tmp_path / "n.safetensors").exists()
    _save(tmp_path, overwrite=True)
    with pytest.raises(ModelFileError, match="input of this run"):
        _save(tmp_path, overwrite=True, protect=[str(path)])


def test_refuses_another_kind_and_newer_format(tmp_path):
    vae = _save(tmp_path, "vae.safetensors", kind="toy_vae")
    with pytest.raises(ModelFileError, match="'toy_vae' model; this step needs a "
                                             "'toy'") as err:
        load_model(vae, "toy")
    assert err.value.field == "model" and isinstance(err.value, ParameterError)
    new = _save(tmp_path, "new.safetensors", fmt=2)
    with pytest.raises(ModelFileError, match="format 2.*reads format 1 and older"):
        check_model_file(new, "toy")
    assert load_model(new, "toy", max_format=2)[1]["format"] == 2


@pytest.mark.parametrize("damage", ["empty", "text", "truncated", "flipped", "header"])
def test_refuses_corrupt_files(tmp_path, damage):
    path = _save(tmp_path)
    blob = bytearray(path.read_bytes())
    if damage == "empty":
        blob = b""
    elif damage == "text":
        blob = b"import os; os.system('echo pwned')\n" * 4
    elif damage == "truncated":
        blob = blob[:-10]
    elif damage == "flipped":
        blob[-3] ^= 0xFF
    else:
        blob[8:12] = b"\xff\xfe\xfd\xfc"
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelFileError, match="not a safetensors|corrupt"):
        load_model(path, "toy")


def test_refuses_plain_safetensors_and_wrong_shapes(tmp_path):
    from safetensors.torch import save_file

    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, plain)
    with pytest.raises(ModelFileError, match="not an imgfusion model"):
        check_model_file(plain, "toy")
    path = _save(tmp_path)
    with pytest.raises(ModelFileError, match=r"tensor 0.weight has shape \(4, 3, 3, 3\), its "
                                             r"architecture needs \(8, 3, 3, 3\)"):
        load_model(path, "toy", shapes=lambda arch: _shapes({"width": 8}))
    with pytest.raises(ModelFileError, match="missing extra.bias"):
        load_model(path, "toy", shapes=lambda arch: {**_shapes(arch), "extra.bias": (1,)})


def test_header_read_only_and_missing_file(tmp_path):
    path = _save(tmp_path)
    (n,) = struct.unpack("<Q", path.read_bytes()[:8])
    path.write_bytes(path.read_bytes()[:8 + n])     # tensors gone, header intact
    assert check_model_file(path, "toy")["kind"] == "toy"
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(path, "toy")
    with pytest.raises(ModelFileError, match="not found"):
        check_model_file(tmp_path / "nope.safetensors", "toy")


def test_name_and_confinement(tmp_path):
    with pytest.raises(ModelFileError, match="ends in .safetensors"):
        _save(tmp_path, "m.pt")
    with write_session(tmp_path / "out"), pytest.raises(ParameterError, match="outside"):
        _save(tmp_path)
    assert not list(tmp_path.iterdir()) or not (tmp_path / "m.safetensors").exists()


def test_interrupted_sidecar_leaves_no_model(tmp_path, monkeypatch):
    import imgfusion.paths as w   # where atomic_write lives (the core)

    real = w.atomic_write
    calls = []

    def flaky(dest, write, **kw):
        calls.append(dest)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(dest, write, **kw)
    monkeypatch.setattr(w, "atomic_write", flaky)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path)
    assert list(tmp_path.iterdir()) == []
