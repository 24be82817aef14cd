"""Hostile input files: videos, model files, float images and weights, made small and fast.

Each case of :data:`CASES` is ``(name, make, recipe, needle)``: ``make(folder)`` writes
the hostile file(s) into ``folder``, ``recipe`` is a recipe reading them (relative
paths), and ``needle`` is text the refusal must contain.  Every case must end with exit
status 2 in ``validate`` and in ``run`` alike, quickly, in bounded memory, naming the
step, writing nothing (``tests/core/test_hostile_files.py``; timed by
``bench/hostile.py``).  The makers are also used by the focused tests.
"""
from __future__ import annotations

import json
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np

PHOTO = "imgfusion: 1\nsteps:\n  - id: photo\n    op: load\n    path: sample:astronaut\n"


# -- videos ----------------------------------------------------------------------------
def encode(path: Path, codec: str, frames: int, size=(16, 16), pix: str = "yuv420p",
           options: dict | None = None, seed: int = 0) -> None:
    """A small clip of noise frames (noise: every frame a packet of its own size)."""
    import av

    rng = np.random.default_rng(seed)
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=Fraction(10))
        stream.height, stream.width = size
        stream.pix_fmt = pix
        for _ in range(frames):
            pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def huge_frames_mp4(folder: Path, side: int = 16000) -> Path:
    """An mp4 of a few hundred bytes whose header (and frames) declare side x side."""
    path = folder / "huge_frames.mp4"
    encode(path, "mjpeg", 2, pix="yuvj420p")
    data = bytearray(path.read_bytes())
    entry = data.find(b"mp4v")
    data[entry + 28:entry + 32] = struct.pack(">HH", side, side)
    at = data.find(b"\xff\xc0")
    while at >= 0:
        data[at + 5:at + 9] = struct.pack(">HH", side, side)
        at = data.find(b"\xff\xc0", at + 2)
    path.write_bytes(bytes(data))
    return path


def huge_screen_gif(folder: Path, side: int = 12000) -> Path:
    """A GIF of about a hundred bytes whose logical screen is side x side."""
    from io import BytesIO

    from PIL import Image

    frames = [Image.fromarray(np.full((4, 4, 3), v, np.uint8)) for v in (0, 200)]
    buf = BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", side, side)
    path = folder / "huge_screen.gif"
    path.write_bytes(bytes(data))
    return path


def truncated_mp4(folder: Path, frames: int = 10, keep: int = 6) -> Path:
    """An mp4 whose header declares ``frames`` frames, cut after the ``keep``-th packet."""
    import av

    whole = folder / "whole.mp4"
    encode(whole, "libx264", frames, size=(32, 32), options={"movflags": "faststart"})
    with av.open(str(whole)) as container:
        ends = [p.pos + p.size for p in container.demux(video=0) if p.size]
    path = folder / "truncated.mp4"
    path.write_bytes(whole.read_bytes()[:ends[keep - 1]])
    whole.unlink()
    return path


# -- model files -----------------------------------------------------------------------
def safetensors(meta, entries: dict | None = None, data: bytes = b"") -> bytes:
    """The bytes of a safetensors file: ``meta`` (a dict, or raw text) as the model's
    description, ``entries`` as the tensor table, then ``data``."""
    text = meta if isinstance(meta, str) else json.dumps(meta)
    header = json.dumps({"__metadata__": {"imgfusion_model": text}, **(entries or {})})
    raw = header.encode()
    return struct.pack("<Q", len(raw)) + raw + data


def wide_fast_style(folder: Path, width: int = 256, blocks: int = 32) -> Path:
    """A fast_style file of ~200 bytes declaring a wide, deep network and no tensors."""
    path = folder / f"wide_{width}.safetensors"
    path.write_bytes(safetensors({"kind": "fast_style", "format": 1,
                                  "arch": {"width": width, "residual_blocks": blocks}}))
    return path


def huge_vae(folder: Path) -> Path:
    """A style_vae file of a few hundred bytes whose linear heads would take gigabytes."""
    vae = {"size": [16384, 16384], "filters": [8], "kernels": [3], "latent": 8,
           "refiner_width": 0, "channels": 3}
    path = folder / "huge_vae.safetensors"
    path.write_bytes(safetensors({"kind": "style_vae", "format": 1, "arch": {
        "vae": vae, "refiner": False, "gram_layers": []}}))
    return path


def nested_header(folder: Path, depth: int = 5000) -> Path:
    """A model file whose JSON header nests ``depth`` lists deep."""
    raw = ('{"__metadata__": {"x": ' + "[" * depth + "]" * depth + "}}").encode()
    path = folder / "nested.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    return path


def nested_meta(folder: Path, depth: int = 200) -> Path:
    """A fast_style file whose model description nests ``depth`` levels in ``training``."""
    text = ('{"kind": "fast_style", "format": 1, "arch": {}, "training": '
            + '{"a": ' * depth + "1" + "}" * depth + "}")
    path = folder / "nested_meta.safetensors"
    path.write_bytes(safetensors(text))
    return path


# -- images and weights ----------------------------------------------------------------
def float_mask_255(folder: Path) -> Path:
    """A float TIFF mask stored in 0..255 (clipped, it would be almost all ones)."""
    import tifffile

    values = np.zeros((8, 8), np.float32)
    values[2:6, 2:6] = 255.0
    tifffile.imwrite(folder / "mask255.tif", values)
    return folder / "mask255.tif"


def truncated_weights(folder: Path) -> Path:
    """A torch zip archive of VGG-like tensors, cut in half."""
    import torch

    from io import BytesIO

    buf = BytesIO()
    torch.save({"0.weight": torch.zeros(64, 3, 3, 3), "0.bias": torch.zeros(64)}, buf)
    path = folder / "vgg_truncated.pth"
    path.write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
    return path


def _video(name: str) -> str:
    return f"imgfusion: 1\nsteps:\n  - id: clip\n    op: load_video\n    path: {name}\n"


def _model(op: str, field: str, name: str) -> str:
    return PHOTO + f"  - id: styled\n    op: {op}\n    {field}: {name}\n"


CASES = [
    ("video_huge_frames", huge_frames_mp4, _video("huge_frames.mp4"),
     "declares 16000 x 16000 pixels"),
    ("video_gif_huge_screen", huge_screen_gif, _video("huge_screen.gif"),
     "declares 12000 x 12000 pixels"),
    ("video_truncated", truncated_mp4, _video("truncated.mp4"),
     "declares 10 frames, the file holds only 6"),
    ("model_fast_style_wide", wide_fast_style,
     _model("fast_style", "model_file", "wide_256.safetensors"), "parameters, above the limit"),
    ("model_fast_style_no_tensors", lambda f: wide_fast_style(f, 64, 32),
     _model("fast_style", "model_file", "wide_64.safetensors"), "tensors do not match"),
    ("model_vae_huge", huge_vae, _model("vae_style", "model_file", "huge_vae.safetensors"),
     "parameters, above the limit"),
    ("model_nested_header", nested_header,
     _model("fast_style", "model_file", "nested.safetensors"), "nests JSON deeper than"),
    ("model_nested_meta", nested_meta,
     _model("fast_style", "model_file", "nested_meta.safetensors"), "nests JSON deeper than"),
    ("image_float_mask_255", float_mask_255,
     "imgfusion: 1\nsteps:\n  - id: mask\n    op: load_mask\n    path: mask255.tif\n",
     "range over [0, 255]"),
    ("weights_truncated", truncated_weights,
     PHOTO + "  - id: styled\n    op: neural_style\n    content: $photo\n    style: $photo\n"
             "    weights: vgg_truncated.pth\n    iterations: 1\n", "corrupt, truncated"),
]
STEP = {"video": "clip", "model": "styled", "image": "mask", "weights": "styled"}
