"""VGG19 layer names (conv1_1, relu1_1, pool1 ... relu5_4, pool5) and their geometry.

The names follow the paper and jcjohnson/neural-style; their positions are the
indices of ``torchvision.models.vgg19().features``, so a torchvision state dict
loads into the encoder key for key.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..errors import ParameterError

# (block, convolutions) of VGG19 configuration "E"; channels per block
_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))


def _layer_table() -> tuple[tuple[str, str, int, int], ...]:
    """(name, kind, in_channels, out_channels) in torchvision's order."""
    rows, channels = [], 3
    for block, convs, width in _BLOCKS:
        for i in range(1, convs + 1):
            rows.append((f"conv{block}_{i}", "conv", channels, width))
            rows.append((f"relu{block}_{i}", "relu", width, width))
            channels = width
        rows.append((f"pool{block}", "pool", width, width))
    return tuple(rows)


LAYERS = _layer_table()
NAMES: tuple[str, ...] = tuple(r[0] for r in LAYERS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}

DEFAULT_CONTENT_LAYERS = ("relu4_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def check_layer(name: str, field: str) -> str:
    """Return ``name`` if it is a VGG19 layer, else a ParameterError with the closest name."""
    if name in INDEX:
        return name
    close = difflib.get_close_matches(str(name), NAMES, n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ParameterError(field, f"unknown VGG19 layer '{name}'{hint}; layers are "
                                f"conv1_1, relu1_1, pool1 ... relu5_4, pool5")


def layer_weights(spec: Sequence[str] | Mapping[str, float] | str | None,
                  field: str) -> dict[str, float]:
    """Per-layer weights from a list of names (equal weights 1/n) or a {name: weight} map.

    Equal weights 1/n are the paper's w_l = 1/5 for the five default style layers.
    """
    if spec is None:
        return {}
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, Mapping):
        weights = {check_layer(k, field): float(v) for k, v in spec.items()}
    else:
        names = [check_layer(n, field) for n in spec]
        if len(set(names)) != len(names):
            raise ParameterError(field, f"a layer is listed twice in {names}")
        weights = {n: 1.0 / len(names) for n in names}
    bad = {k: v for k, v in weights.items() if not v >= 0}
    if bad:
        raise ParameterError(field, f"layer weights must be >= 0, got {bad}")
    return weights


def deepest(names) -> int:
    """Index of the deepest of ``names`` (-1 when there are none)."""
    return max((INDEX[n] for n in names), default=-1)


def pools_before(name: str) -> int:
    """How many 2x2 poolings come before (and including) layer ``name``."""
    return sum(1 for n in NAMES[:INDEX[name] + 1] if n.startswith("pool"))


def min_input_size(names) -> int:
    """Smallest image side for which every layer in ``names`` is at least 1 x 1."""
    if not names:
        return 1
    return 2 ** max(pools_before(n) for n in names)


@dataclass(frozen=True)
class Geometry:
    """Receptive field of one neuron of a layer, along one axis, in input pixels.

    Neuron ``i`` sees input pixels ``start + i * stride`` to
    ``start + i * stride + size - 1`` (the parts outside the image are padding).
    """

    start: int
    stride: int
    size: int


def geometry(name: str) -> Geometry:
    """Receptive-field geometry of layer ``name`` (3x3 convs with padding 1, 2x2 pools)."""
    start, stride, size = 0, 1, 1
    for layer, kind, _, _ in LAYERS[:INDEX[name] + 1]:
        if kind == "conv":
            start -= stride
            size += 2 * stride
        elif kind == "pool":
            size += stride
            stride *= 2
    return Geometry(start, stride, size)
