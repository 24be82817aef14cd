"""pastiche's default run, driven through its own code, and its loss terms on any image.

Helpers of ``bench/time_to_quality.py``: pastiche 1.6's ``PasticheArtist`` with its
defaults (content layer block4_relu2 weighted 0.01 on the feature MSE, style layers
block1_relu1 ... block5_relu1 each weighted 10 / C² on the Gram MSE, max pooling,
L-BFGS with one evaluation per step, learning rate 1, started from the content image),
run on PNGs written from the same arrays imgfusion gets.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from style_vs_pastiche import CONTENT_LAYERS, STYLE_LAYERS  # noqa: F401 - shared with it
from style_vs_pastiche import _pastiche_name as pastiche_name


def write_pngs(folder: Path, *arrays: np.ndarray) -> list[str]:
    """Each RGB [0, 1] array as an 8-bit PNG in ``folder``; their paths."""
    paths = []
    for i, array in enumerate(arrays):
        path = str(Path(folder) / f"image{i}.png")
        Image.fromarray(np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def new_artist(content_path: str, style_path: str, size: int, init: str | None = None):
    """pastiche's artist at its defaults (but the layers named, the same as its defaults)."""
    from pastiche.pastiche import PasticheArtist
    return PasticheArtist(content_path, [style_path], device="cpu", size=size, style_size=size,
                          init=init,
                          content_layers=[pastiche_name(n) for n in CONTENT_LAYERS],
                          style_layers=[pastiche_name(n) for n in STYLE_LAYERS])


def to_pastiche(image: np.ndarray) -> torch.Tensor:
    """RGB [0, 1] H x W x 3 -> pastiche's input: 1 x 3 x H x W, BGR, 0-255, mean removed."""
    from pastiche.pastiche import VGG_MEAN
    x = torch.from_numpy(np.ascontiguousarray(image, np.float32) * 255).permute(2, 0, 1)
    x = x.flip(0).clone()
    for i, shift in enumerate(VGG_MEAN):
        x[i] -= shift
    return x[None]


def from_pastiche(x: torch.Tensor, clamp: bool = True) -> np.ndarray:
    """pastiche's tensor -> RGB H x W x 3 in [0, 1] (its save_image without rounding)."""
    from pastiche.pastiche import VGG_MEAN
    x = x.detach()[0].cpu().clone()
    for i, shift in enumerate(VGG_MEAN):
        x[i] += shift
    x = x.flip(0) / 255
    return (x.clamp(0, 1) if clamp else x).permute(1, 2, 0).numpy().astype(np.float32)


def terms(artist, image: np.ndarray | None = None) -> tuple[float, float]:
    """(content term, style term) of pastiche's loss, by its own ``_calc_loss``, for
    ``image`` (RGB, unclamped allowed) or the artist's current image."""
    kept = artist.pastiche, artist.content_weight, artist.style_weights
    if image is not None:
        artist.pastiche = to_pastiche(image)
    try:
        with torch.no_grad():
            artist.content_weight, artist.style_weights = 1.0, [0.0]
            content = float(artist._calc_loss())
            artist.content_weight, artist.style_weights = 0.0, [1.0]
            style = float(artist._calc_loss())
    finally:
        artist.pastiche, artist.content_weight, artist.style_weights = kept
    return content, style


def run(paths: list[str], size: int, steps: int, checkpoint: Path | None = None) -> dict:
    """pastiche's default run for ``steps`` steps, timed from its constructor: wall and
    CPU seconds (all threads of this process), the constructor's, each step's, its loss
    before each step, its final terms (unclamped tensor), its output image (clamped,
    unrounded) and the terms of that output.  With ``checkpoint`` (a .pt file) its state
    is saved there every 50 steps and a run found there resumes (times summed)."""
    t0, c0 = time.perf_counter(), time.process_time()
    artist = new_artist(paths[0], paths[1], size)
    rec = dict(built=time.perf_counter() - t0, built_cpu=time.process_time() - c0,
               losses=[], step_s=[], step_cpu=[])
    if checkpoint is not None and Path(checkpoint).exists():
        rec = _resume(artist, checkpoint)
    while len(rec["losses"]) < steps:
        _timed_step(artist, rec)
        if checkpoint is not None and len(rec["losses"]) % 50 == 0:
            torch.save({"rec": rec, "x": artist.pastiche.detach(),
                        "opt": artist.optimizer.state_dict()}, checkpoint)
    rec = {k: np.array(v) for k, v in rec.items()}
    image = from_pastiche(artist.pastiche)
    return dict(rec, seconds=rec["built"] + rec["step_s"].sum(),
                cpu=rec["built_cpu"] + rec["step_cpu"].sum(), terms=np.array(terms(artist)),
                image=image, output_terms=np.array(terms(artist, image)))


def _timed_step(artist, rec: dict) -> None:
    t, c = time.perf_counter(), time.process_time()
    artist.draw()
    rec["step_s"].append(time.perf_counter() - t)
    rec["step_cpu"].append(time.process_time() - c)
    rec["losses"].append(artist.loss)


def _resume(artist, checkpoint: Path) -> dict:
    state = torch.load(checkpoint, weights_only=False)
    with torch.no_grad():
        artist.pastiche.copy_(state["x"])
    artist.optimizer.load_state_dict(state["opt"])
    return state["rec"]


def cached_run(paths: list[str], size: int, steps: int, cache: Path | None,
               tag: str = "") -> dict:
    """:func:`run`, kept in (and read back from) ``cache``/pastiche_TAGSIZE_STEPS.npz
    (checkpointed in pastiche_TAGSIZE_STEPS.pt while it runs; ``tag`` names a pair other
    than the benches' own)."""
    path = None if cache is None else Path(cache) / f"pastiche_{tag}{size}_{steps}.npz"
    if path is not None and path.exists():
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    out = run(paths, size, steps, None if path is None else path.with_suffix(".pt"))
    if path is not None:
        np.savez(path, **out)
    return out
