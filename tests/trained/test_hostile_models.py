"""A model file's declared architecture is checked against bounds and the header's tensors
before anything is built (laid out on torch's meta device only); deep JSON nesting is
refused naming the file, never a RecursionError."""
import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from imgfusion.trained import fast_style as fast_style_module
from imgfusion.trained import transform_net, vae_model
from imgfusion.trained.fast_style import load_fast_style
from imgfusion.trained.modelfile import (ModelFileError, check_model_file, load_model,
                                         save_model)
from imgfusion.trained.vae_io import check_vae_file, load_vae_model

_spec = importlib.util.spec_from_file_location(
    "hostile_files", Path(__file__).parents[1] / "core" / "hostile" / "files.py")
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)


@pytest.fixture
def meta_only(monkeypatch):
    """Fail the test if a network is built anywhere but on the meta device."""
    built = []

    def guard(cls):
        init = cls.__init__

        def checked(self, *args, **kwargs):
            device = torch.empty(0).device.type
            built.append(device)
            assert device == "meta", f"{cls.__name__} built on {device} before the check"
            init(self, *args, **kwargs)
        monkeypatch.setattr(cls, "__init__", checked)

    guard(transform_net.TransformNet)
    guard(vae_model.ConvVAE)
    return built


def test_a_wide_deep_fast_style_file_is_refused_before_building(tmp_path, meta_only):
    for width, needle in ((256, "parameters, above the limit"), (64, "tensors do not match")):
        path = files.wide_fast_style(tmp_path, width)
        assert path.stat().st_size < 250
        fast_style_module._cached.cache_clear()
        with pytest.raises(ModelFileError, match=needle) as info:
            load_fast_style(path)
        assert info.value.field == "model_file" and str(path) in str(info.value)
        with pytest.raises(ModelFileError, match=needle):
            check_model_file(path, "fast_style", field="model_file")
    assert set(meta_only) <= {"meta"}


def test_a_tiny_vae_file_declaring_gigabytes_is_refused_without_allocating(tmp_path,
                                                                           meta_only):
    path = files.huge_vae(tmp_path)
    assert path.stat().st_size < 400
    for call in (load_vae_model, check_vae_file):
        with pytest.raises(ModelFileError, match=r"13,421,773,934 parameters") as info:
            call(path)
        assert info.value.field == "model_file"
    vae = {"size": [64, 64], "filters": [4] * 40, "kernels": [3] * 40, "latent": 8}
    path.write_bytes(files.safetensors({"kind": "style_vae", "format": 1, "arch": {
        "vae": vae, "refiner": False, "gram_layers": []}}))
    with pytest.raises(ModelFileError, match="40 layers, above 16"):
        check_vae_file(path)
    assert set(meta_only) <= {"meta"}


def test_deep_nesting_names_the_file_not_a_recursion_error(tmp_path):
    for path, what in ((files.nested_header(tmp_path), "header"),
                       (files.nested_header(tmp_path, 40), "header"),
                       (files.nested_meta(tmp_path), "model description"),
                       (files.nested_meta(tmp_path, 3000), "model description")):
        with pytest.raises(ModelFileError, match=f"its {what} nests JSON deeper than 32") as e:
            load_model(path, "fast_style", field="model_file")
        assert str(path) in str(e.value) and e.value.field == "model_file"


def test_a_truncated_model_file_is_refused_from_its_header(tmp_path):
    net = transform_net.build({"width": 2, "residual_blocks": 0})
    path = save_model(tmp_path / "m.safetensors", net.state_dict(),
                      {"kind": "fast_style", "arch": {"width": 2, "residual_blocks": 0}})
    assert check_model_file(path, "fast_style")["arch"]["width"] == 2
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="corrupt or truncated: the header's entry"):
        check_model_file(path, "fast_style")


def test_a_header_entry_with_a_wrong_byte_count_is_refused(tmp_path):
    entries = {"w": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 8]}}
    path = tmp_path / "lie.safetensors"
    path.write_bytes(files.safetensors({"kind": "toy", "format": 1, "arch": {}}, entries, b"\0" * 8))
    with pytest.raises(ModelFileError, match="tensor 'w' does not describe data"):
        load_model(path, "toy", shapes=lambda arch: {"w": (1000, 1000)})
    raw = json.dumps({"__metadata__": {"imgfusion_model": json.dumps(
        {"kind": "toy", "format": 1, "arch": {}})}, "w": {"dtype": "F32", "shape": "x",
                                           "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 8)
    with pytest.raises(ModelFileError, match="tensor 'w' does not describe data"):
        load_model(path, "toy", shapes=lambda arch: {"w": (2,)})


@pytest.mark.parametrize("module,op,field", [("fast_style", "fast_style", "model_file"),
                                             ("vae_apply", "vae_style", "model_file")])
def test_a_path_given_as_model_names_the_field_a_file_goes_in(module, op, field):
    from imgfusion.errors import ParameterError

    call = getattr(importlib.import_module(f"imgfusion.trained.{module}"), op)
    with pytest.raises(ParameterError) as err:
        call(np.zeros((32, 32, 3), np.float32), model="models/mine.safetensors")
    assert err.value.field == "model" and "'models/mine.safetensors'" in str(err.value)
    assert f"goes in {field}" in str(err.value)
