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
"""
from __future__ import annotations

import contextlib
import hashlib
import json
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
Shapes = Mapping[str, tuple[int, ...]]


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
def _read_header(p: Path, field: str) -> dict:
    """The safetensors header (JSON) of ``p``, read without touching the tensors."""
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
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelFileError(field, f"{p} is not a safetensors model file (its header is "
                                    "not JSON)") from None
    if not isinstance(header, dict):
        raise ModelFileError(field, f"{p} is not a safetensors model file")
    return header


def _meta_of(header: dict, p: Path, field: str) -> dict:
    text = (header.get("__metadata__") or {}).get(META_KEY)
    try:
        meta = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        meta = None
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


def _checked_header(p: Path, kind: str, max_format: int, field: str) -> tuple[dict, dict]:
    """``(header, meta)`` of the model file ``p``, its meta checked against ``kind``."""
    header = _read_header(p, field)
    meta = _meta_of(header, p, field)
    _check_meta(meta, kind, max_format, p, field)
    return header, meta


def _check_shapes(tensors: Mapping[str, torch.Tensor], expected: Shapes, p: Path,
                  field: str) -> None:
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:5])}"] if missing else []) + \
                ([f"unexpected {', '.join(extra[:5])}"] if extra else [])
        raise ModelFileError(field, f"{p}: tensors do not match its architecture "
                                    f"({'; '.join(parts)})")
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != tuple(shape):
            raise ModelFileError(field, f"{p}: tensor {name} has shape "
                                        f"{tuple(tensors[name].shape)}, its architecture "
                                        f"needs {tuple(shape)}")


def load_model(path: str | os.PathLike, kind: str, *, max_format: int = 1,
               shapes: Callable[[dict], Shapes] | None = None,
               field: str = "model") -> tuple[dict[str, torch.Tensor], dict]:
    """``(tensors, meta)`` of the model file ``path``, checked; tensors on the CPU.

    ``shapes(arch)`` (e.g. :func:`module_shapes` of the network built from ``arch``)
    gives the tensor names and shapes the architecture needs; any difference is an error.
    """
    from safetensors.torch import load

    p = Path(path).expanduser()
    header, meta = _checked_header(p, kind, max_format, field)
    blob = p.read_bytes()
    digest = (header.get("__metadata__") or {}).get(HASH_KEY)
    if digest is not None and hashlib.sha256(_data_of(blob)).hexdigest() != digest:
        raise ModelFileError(field, f"{p} is corrupt: its tensor data does not match the "
                                    "checksum in its header")
    try:
        tensors = load(blob)
    except Exception as exc:  # noqa: BLE001 - the library's errors are not one class
        raise ModelFileError(field, f"{p} is corrupt: {exc}") from None
    if shapes is not None:
        try:
            expected = shapes(meta["arch"])
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelFileError(field, f"{p}: its architecture {meta['arch']} cannot be "
                                        f"built: {exc}") from None
        _check_shapes(tensors, expected, p, field)
    return tensors, meta


def module_shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """Names and shapes of a module's state dict: what its model file must hold."""
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}
