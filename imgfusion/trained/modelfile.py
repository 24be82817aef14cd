"""Model files: safetensors weights plus the JSON of what they are; loading runs no code.

A model is written as two files:

* ``NAME.safetensors``: the tensors, and in the safetensors header's metadata one
  entry, ``imgfusion_model``, the JSON of the model's description (the *meta*);
* ``NAME.json`` next to it: the same meta, indented, for people to read (the header
  is what counts when loading; the sidecar is never read back).

The meta is a dict with at least

``kind``
    what network this is (``"fast_style"``, ``"style_vae"``, ...);
``format``
    the version of that kind's file layout, an int (1 today); a reader refuses a
    file newer than it knows;
``arch``
    the architecture's settings, enough to rebuild the network (JSON values);
``training``
    how it was trained (settings, steps, losses, seconds; JSON values);

and :func:`save_model` adds ``imgfusion`` (the version that wrote it).

Both files are written atomically (temporary file, fsync, rename: see
:func:`imgfusion.io.write.atomic_write`), inside the run's output folder while a
recipe runs; an existing file is an error unless ``overwrite``; a recipe input is
never replaced.  If the sidecar cannot be written, the new model file is removed.

Loading (:func:`load_model`) parses the safetensors container only, never a
pickle, and refuses with :class:`ModelFileError` (a
:class:`~imgfusion.errors.ParameterError`: it names the field, the CLI prints it
with the step, exit status 2 at validation, 1 at run time) a file that is missing,
not a safetensors file or corrupt, of another kind, of a newer format, or whose
tensors are missing, extra, or of the wrong shape for its ``arch``.
:func:`check_model_file` reads only the header, for recipe validation.

What a file declares is checked before anything is built or read (one rule, in
:func:`_checked_header`, for validation and loading alike): a JSON header or meta
nested deeper than :data:`NESTING_MAX` levels is refused naming the field; the
architecture's tensors are computed without allocating them (on torch's ``meta``
device, through the kind's shapes function, :data:`KIND_SHAPES`), bounded by
:data:`PARAMS_MAX` parameters, and compared with the tensors the header lists, whose
byte ranges must lie in the file.  So a file of a few hundred bytes declaring a wide,
deep network is refused in milliseconds instead of allocating gigabytes.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import math
import os
import struct
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from ..errors import ParameterError

META_KEY = "imgfusion_model"
HASH_KEY = "imgfusion_sha256"  # of the tensor data after the header: catches bit rot
SUFFIX = ".safetensors"
HEADER_MAX = 100 * 2**20      # bytes of safetensors header we are willing to parse
NESTING_MAX = 32              # levels of JSON nesting in a header or a model's meta
PARAMS_MAX = 2**28            # numbers an architecture may declare (1 GiB of float32)
Shapes = Mapping[str, tuple[int, ...]]
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
                "I8": 1, "U8": 1, "BOOL": 1}
# each kind's shapes function: the tensors its ``arch`` needs (see :func:`declared_shapes`)
KIND_SHAPES = {"fast_style": "imgfusion.trained.fast_style:file_shapes",
               "style_vae": "imgfusion.trained.vae_model:expected_shapes"}


class ModelFileError(ParameterError):
    """A model file that cannot be used: names the field that gave its path."""


def sidecar_path(path: str | os.PathLike) -> Path:
    """The human-readable JSON written next to the model file: ``NAME.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".json")


def _version() -> str:
    from .. import __version__

    return __version__


def _full_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("kind", "arch") if k not in meta]
    if missing:
        raise ValueError(f"model meta needs {', '.join(missing)}")
    full = {"kind": str(meta["kind"]), "format": int(meta.get("format", 1)),
            "arch": dict(meta["arch"]), "training": dict(meta.get("training", {})),
            **{k: v for k, v in meta.items()
               if k not in ("kind", "format", "arch", "training")}}
    full["imgfusion"] = _version()
    json.dumps(full, allow_nan=False)  # a value JSON cannot hold fails here, not in a file
    return full


def model_destination(path, overwrite: bool = False, protect=(), field: str = "path") -> Path:
    """The absolute path a model may be written to (and its sidecar): ModelFileError for a
    name without .safetensors, a folder, an existing file (unless ``overwrite``), an input."""
    from ..paths import protected_by

    dest = Path(path).expanduser().absolute()
    if dest.suffix != SUFFIX:
        raise ModelFileError(field, f"a model file name ends in {SUFFIX}, got '{dest.name}'")
    for p in (dest, sidecar_path(dest)):
        guard = protected_by(p, protect)
        if guard is not None:
            raise ModelFileError(field, f"refusing to overwrite {p}: it is an input of this "
                                        f"run ({guard})")
        if p.is_dir():
            raise ModelFileError(field, f"{p} is a folder")
        if p.exists() and not overwrite:
            raise ModelFileError(field, f"{p} already exists; set overwrite: true to "
                                        "replace it")
    return dest


def save_model(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor],
               meta: Mapping[str, Any], *, overwrite: bool = False, protect=(),
               field: str = "path") -> Path:
    """Write ``tensors`` and ``meta`` as ``path`` (``.safetensors``) and its JSON sidecar.

    ``tensors`` are copied to the CPU (contiguous); ``meta`` needs ``kind`` and
    ``arch`` (``format`` defaults to 1).  Returns the absolute path of the model file.
    """
    from ..paths import atomic_write

    dest = model_destination(path, overwrite, protect, field)
    full = _full_meta(meta)
    blob = _serialise(tensors, json.dumps(full, sort_keys=True))
    text = json.dumps(full, indent=2, sort_keys=True) + "\n"
    atomic_write(dest, lambda f: f.write(blob), overwrite=overwrite)
    try:
        atomic_write(sidecar_path(dest), lambda f: f.write(text.encode("utf-8")),
                     overwrite=overwrite)
    except BaseException:  # no model without its description
        with contextlib.suppress(OSError):
            os.unlink(dest)
        raise
    return dest


def _data_of(blob: bytes) -> bytes:
    (n,) = struct.unpack("<Q", blob[:8])
    return blob[8 + n:]


def _serialise(tensors: Mapping[str, torch.Tensor], meta_json: str) -> bytes:
    """The safetensors bytes, the header holding the meta and the data's SHA-256
    (the data section does not depend on the header, so it is hashed first)."""
    from safetensors.torch import save as st_save

    cpu = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    digest = hashlib.sha256(_data_of(st_save(cpu, metadata={META_KEY: meta_json}))).hexdigest()
    return st_save(cpu, metadata={META_KEY: meta_json, HASH_KEY: digest})


# -- reading -------------------------------------------------------------------------
def _read_header(p: Path, field: str) -> tuple[dict, int]:
    """The safetensors header (JSON) of ``p``, read without touching the tensors, and the
    size in bytes of the data after it."""
    try:
        with open(p, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise ModelFileError(field, f"{p} is not a safetensors model file (too short)")
            (n,) = struct.unpack("<Q", head)
            size = os.fstat(f.fileno()).st_size
            if n < 2 or n > HEADER_MAX or 8 + n > size:
                raise ModelFileError(field, f"{p} is not a safetensors model file (corrupt "
                                            "or truncated header)")
            raw = f.read(n)
    except FileNotFoundError:
        raise ModelFileError(field, f"model file {p} not found") from None
    except IsADirectoryError:
        raise ModelFileError(field, f"{p} is a folder, not a model file") from None
    except PermissionError:
        raise ModelFileError(field, f"{p} cannot be read (permission denied)") from None
    header = _json(raw, p, field, "header")
    if not isinstance(header, dict):
        raise ModelFileError(field, f"{p} is not a safetensors model file")
    return header, size - 8 - n


def _json(raw: bytes | str, p: Path, field: str, what: str):
    """``raw`` parsed, nested at most :data:`NESTING_MAX` deep (ModelFileError otherwise)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ModelFileError(field, _too_deep(p, what)) from None
    except (UnicodeDecodeError, ValueError):
        raise ModelFileError(field, f"{p} is not a safetensors model file (its {what} is "
                                    "not JSON)") from None
    if _depth(value) > NESTING_MAX:
        raise ModelFileError(field, _too_deep(p, what))
    return value


def _too_deep(p: Path, what: str) -> str:
    return f"{p}: its {what} nests JSON deeper than {NESTING_MAX} levels; not a model file"


def _depth(value) -> int:
    """How deep ``value`` (parsed JSON) nests lists and dicts, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def _meta_of(header: dict, p: Path, field: str) -> dict:
    text = _metadata(header).get(META_KEY)
    meta = _json(text, p, field, "model description") if isinstance(text, str) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("arch"), dict):
        raise ModelFileError(field, f"{p} is a safetensors file but not an imgfusion model "
                                    "(no model description in its header)")
    return meta


def _check_meta(meta: dict, kind: str, max_format: int, p: Path, field: str) -> None:
    if meta.get("kind") != kind:
        raise ModelFileError(field, f"{p} holds a '{meta.get('kind')}' model; this step "
                                    f"needs a '{kind}' model")
    fmt = meta.get("format")
    if not isinstance(fmt, int) or fmt < 1:
        raise ModelFileError(field, f"{p}: format version {fmt!r} is not a positive integer")
    if fmt > max_format:
        raise ModelFileError(field, f"{p} is a '{kind}' model of format {fmt}, written by "
                                    f"imgfusion {meta.get('imgfusion', '?')}; this imgfusion "
                                    f"reads format {max_format} and older: upgrade imgfusion")


def check_model_file(path: str | os.PathLike, kind: str, *, max_format: int = 1,
                     field: str = "model") -> dict:
    """The meta of the model file ``path``, reading its header only (recipe validation)."""
    return _checked_header(Path(path).expanduser(), kind, max_format, field)[1]


def _checked_header(p: Path, kind: str, max_format: int, field: str,
                    shapes: Callable[[dict], Shapes] | None = None) -> tuple[dict, dict]:
    """``(header, meta)`` of the model file ``p``: its meta checked against ``kind``, and
    the tensors its architecture needs (``shapes``, else the kind's) against the header's."""
    header, data_size = _read_header(p, field)
    meta = _meta_of(header, p, field)
    _check_meta(meta, kind, max_format, p, field)
    expected = declared_shapes(meta["arch"], shapes or _kind_shapes(kind), p, field)
    if expected is not None:
        _check_shapes(_header_shapes(header, data_size, p, field), expected, p, field)
    return header, meta


def _metadata(header: dict) -> dict:
    meta = header.get("__metadata__")
    return meta if isinstance(meta, dict) else {}


def _kind_shapes(kind: str) -> Callable[[dict], Shapes] | None:
    target = KIND_SHAPES.get(kind)
    if target is None:
        return None
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def declared_shapes(arch: dict, shapes: Callable[[dict], Shapes] | None, p: Path,
                    field: str) -> dict[str, tuple[int, ...]] | None:
    """The tensors ``arch`` needs, computed on torch's meta device (nothing allocated),
    bounded by :data:`PARAMS_MAX`; None without a ``shapes`` function."""
    if shapes is None:
        return None
    try:
        with torch.device("meta"):
            expected = {k: tuple(int(n) for n in v) for k, v in shapes(arch).items()}
    except (TypeError, ValueError, KeyError, OverflowError, RuntimeError,
            RecursionError) as exc:
        raise ModelFileError(field, f"{p}: its architecture cannot be built: "
                                    f"{str(exc)[:300]}") from None
    total = sum(math.prod(shape) for shape in expected.values())
    if total > PARAMS_MAX:
        raise ModelFileError(field, f"{p}: its architecture declares {total:,} parameters, "
                                    f"above the limit of {PARAMS_MAX:,}; not built")
    return expected


def _header_shapes(header: dict, size: int, p: Path, field: str
                   ) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor the header lists, its bytes checked to lie in the
    ``size`` bytes of data the file holds."""
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        out[name] = _entry_shape(name, entry, size, p, field)
    return out


def _entry_shape(name: str, entry, size: int, p: Path, field: str) -> tuple[int, ...]:
    try:
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        width = _DTYPE_BYTES[entry["dtype"]]
        ok = all(type(n) is int and n >= 0 for n in (*shape, begin, end))
    except (TypeError, KeyError, ValueError):
        ok = False
    if not ok or not 0 <= begin <= end <= size or end - begin != math.prod(shape) * width:
        raise ModelFileError(field, f"{p} is corrupt or truncated: the header's entry for "
                                    f"tensor {name[:80]!r} does not describe data in the file")
    return shape


def _check_shapes(tensors: Mapping[str, tuple[int, ...]], expected: Shapes, p: Path,
                  field: str) -> None:
    """The tensors (name -> shape) the file holds are exactly those ``expected``."""
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:5])}"] if missing else []) + \
                ([f"unexpected {', '.join(extra[:5])}"] if extra else [])
        raise ModelFileError(field, f"{p}: tensors do not match its architecture "
                                    f"({'; '.join(parts)})")
    for name, shape in expected.items():
        if tuple(tensors[name]) != tuple(shape):
            raise ModelFileError(field, f"{p}: tensor {name} has shape "
                                        f"{tuple(tensors[name])}, its architecture "
                                        f"needs {tuple(shape)}")


def load_model(path: str | os.PathLike, kind: str, *, max_format: int = 1,
               shapes: Callable[[dict], Shapes] | None = None,
               field: str = "model") -> tuple[dict[str, torch.Tensor], dict]:
    """``(tensors, meta)`` of the model file ``path``, checked; tensors on the CPU.

    ``shapes(arch)`` (e.g. :func:`module_shapes` of the network built from ``arch``;
    default: the kind's, :data:`KIND_SHAPES`) gives the tensor names and shapes the
    architecture needs; any difference from the header's is an error, found before the
    tensors are read.
    """
    from safetensors.torch import load

    p = Path(path).expanduser()
    header, meta = _checked_header(p, kind, max_format, field, shapes)
    blob = p.read_bytes()
    digest = _metadata(header).get(HASH_KEY)
    if digest is not None and hashlib.sha256(_data_of(blob)).hexdigest() != digest:
        raise ModelFileError(field, f"{p} is corrupt: its tensor data does not match the "
                                    "checksum in its header")
    try:
        tensors = load(blob)
    except Exception as exc:  # noqa: BLE001 - the library's errors are not one class
        raise ModelFileError(field, f"{p} is corrupt: {exc}") from None
    return tensors, meta


def module_shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """Names and shapes of a module's state dict: what its model file must hold."""
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}
