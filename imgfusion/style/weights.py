"""VGG19 weights: torchvision's ImageNet weights, a local state dict, or seeded random ones.

``weights`` is one of

- ``"imagenet"``: torchvision's ``VGG19_Weights.IMAGENET1K_V1``, downloaded once into
  the torch hub cache (``torch.hub.get_dir()``/checkpoints) and checked against the
  hash in its file name by ``torch.hub.load_state_dict_from_url(check_hash=True)``;
- a path to a local state dict: a full VGG19 (keys ``features.N.weight`` ...) or
  its ``features`` only (keys ``N.weight`` ...);
- ``"random"``: He-initialised weights from a seeded generator, for tests and
  smoke runs.  The results are not artistic, and a loud warning says so.

Every loader returns a features-only state dict (``"N.weight"``, ``"N.bias"``)
holding the convolutions up to the deepest layer asked for.
"""
from __future__ import annotations

import math
import os
import warnings
from functools import lru_cache
from pathlib import Path

import torch

from ..errors import ParameterError
from .layers import LAYERS


class RandomWeightsWarning(UserWarning):
    """weights='random' gives a network that has learnt nothing: results are not artistic."""


def _imagenet_weights():
    from torchvision.models import VGG19_Weights
    return VGG19_Weights.IMAGENET1K_V1


def _download_imagenet() -> dict[str, torch.Tensor]:
    """The full VGG19 state dict from the hub cache, downloading it if it is missing."""
    return torch.hub.load_state_dict_from_url(
        _imagenet_weights().url, map_location="cpu", progress=True, check_hash=True)


def _offline_message(cause: BaseException) -> str:
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    name = os.path.basename(_imagenet_weights().url)
    return (f"could not get the ImageNet VGG19 weights ({type(cause).__name__}: {cause}). "
            f"Three ways out: (1) connect once to the internet so that they are downloaded "
            f"and hash-checked into {cache / name}; (2) set weights to the path of a local "
            f"VGG19 state dict (full or features-only), e.g. a copy of that file; "
            f"(3) set weights: random for a smoke run (results are not artistic).")


def imagenet_weights_cached() -> bool:
    """True when torchvision's VGG19 IMAGENET1K_V1 file is already in the torch hub cache
    (``torch.hub.get_dir()``/checkpoints), so ``weights: imagenet`` runs offline.
    Looks at the file system only; never touches the network."""
    name = os.path.basename(_imagenet_weights().url)
    return (Path(torch.hub.get_dir()) / "checkpoints" / name).is_file()


@lru_cache(maxsize=2)
def _imagenet_features() -> dict[str, torch.Tensor]:
    try:
        state = _download_imagenet()
    except (OSError, RuntimeError, ValueError) as exc:  # URLError is an OSError
        raise ParameterError("weights", _offline_message(exc)) from exc
    return _features_only(state, "imagenet")


@lru_cache(maxsize=2)
def _file_features(path: str, mtime: float) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise ParameterError("weights", f"cannot read the state dict {path}: {exc}") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ParameterError("weights", f"{path} holds a {type(state).__name__}, not a state dict")
    return _features_only(state, path)


def _features_only(state: dict, source: str) -> dict[str, torch.Tensor]:
    """Keep the convolution tensors, with ``features.`` stripped from full-model keys."""
    out = {}
    for key, value in state.items():
        key = key[len("features."):] if key.startswith("features.") else key
        if key.split(".")[0].isdigit():
            out[key] = value
    expected = _expected_shapes(len(LAYERS))
    missing = [k for k in expected if k not in out]
    if missing:
        raise ParameterError(
            "weights", f"{source} is not a VGG19 state dict: no {missing[0]} "
                       f"(expected keys such as features.0.weight or 0.weight)")
    for key, shape in expected.items():
        if tuple(out[key].shape) != shape:
            raise ParameterError("weights", f"{source}: {key} has shape {tuple(out[key].shape)}, "
                                            f"VGG19 needs {shape}")
    return {k: out[k].float() for k in expected}


def _expected_shapes(upto: int) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for i, (_, kind, cin, cout) in enumerate(LAYERS[:upto]):
        if kind == "conv":
            shapes[f"{i}.weight"] = (cout, cin, 3, 3)
            shapes[f"{i}.bias"] = (cout,)
    return shapes


def random_features(seed: int, upto: int) -> dict[str, torch.Tensor]:
    """He-normal convolutions from ``torch.Generator().manual_seed(seed)``, zero biases.

    The weights of a layer do not depend on ``upto``: a shallower network is a
    prefix of a deeper one with the same seed.
    """
    gen = torch.Generator().manual_seed(int(seed))
    out = {}
    for key, shape in _expected_shapes(upto).items():
        if key.endswith(".weight"):
            std = math.sqrt(2.0 / (shape[1] * 9))
            out[key] = torch.randn(shape, generator=gen) * std
        else:
            out[key] = torch.zeros(shape)
    return out


def load_features(weights: str = "imagenet", *, upto: int = len(LAYERS),
                  seed: int = 0) -> dict[str, torch.Tensor]:
    """Features-only VGG19 state dict holding the first ``upto`` layers.

    Parameters
    ----------
    weights : str
        ``"imagenet"``, ``"random"`` or a path to a local state dict.
    upto : int
        Number of ``features`` layers needed (deepest layer index + 1).
    seed : int
        Seed of ``weights="random"``.
    """
    if weights == "random":
        warnings.warn("weights='random': the VGG19 network is randomly initialised (seeded). "
                      "This is for tests and smoke runs; the results are NOT artistic. "
                      "Use weights: imagenet for real style transfer.",
                      RandomWeightsWarning, stacklevel=2)
        return random_features(seed, upto)
    if weights == "imagenet":
        full = _imagenet_features()
    else:
        path = Path(os.path.expanduser(str(weights)))
        if not path.is_file():
            raise ParameterError("weights", f"'{weights}' is neither imagenet, random nor an "
                                            f"existing state-dict file")
        full = _file_features(str(path.resolve()), path.stat().st_mtime)
    keep = _expected_shapes(upto)
    return {k: full[k] for k in keep}
