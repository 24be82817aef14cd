"""``train_fast_style``: a transformation network trained for one style image on a set of
content images, with ``neural_style``'s content, style and tv losses and weights, through
the shared training loop (:mod:`imgfusion.trained.training`: progress, checkpoints,
resume, Ctrl-C, validation, loss plot)."""
from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np
import torch

from ..errors import ParameterError
from ..devices import resolve_device
from ..style.options import StyleLosses, flat_adapter
from ..paths import in_output_folder as resolve
from .data import image_set
from .fast_style import FORMAT, KIND, MIN_SIDE, FastStyleModel
from .measures import compare, mean_rows
from .modelfile import model_destination, save_model
from .perceptual import build_loss, loss_record
from .training import train
from .transform_net import build, check_arch

MIN_TRAIN = 2    # training images after the validation split


class FastStyleTraining(NamedTuple):
    """``train_fast_style``'s outputs: the model, the file written, and the report."""

    model: FastStyleModel
    path: str
    report: dict


class _Spec:
    """One training run, in the form :func:`imgfusion.trained.training.train` takes."""

    def __init__(self, data, loss, arch: dict, lr: float, batch: int, seed: int,
                 device: torch.device, signature: dict):
        with torch.random.fork_rng(devices=[]):   # seeded, leaving the caller's RNG alone
            torch.manual_seed(seed)
            self.net = build(arch).to(device)
        self.modules = {"net": self.net}
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.generators = {"batch": torch.Generator().manual_seed(seed)}
        self.data, self.loss, self.batch, self.device = data, loss, batch, device
        self.signature = signature
        self._targets: dict[int, dict] = {}

    def _content(self, indices: list[int], split: str = "train"):
        x = self.data.batch(indices, split).to(self.device)
        if split != "train":
            return x, self.loss.content_features(x)
        for i in indices:   # once per image, alone: the same values whatever the batch
            if i not in self._targets:
                self._targets[i] = self.loss.content_features(x[indices.index(i)][None])
        return x, {n: torch.cat([self._targets[i][n] for i in indices])
                   for n in self.loss.content_w}

    def step(self, index: int) -> dict[str, float]:
        n = len(self.data.train)
        indices = torch.randint(n, (self.batch,), generator=self.generators["batch"]).tolist()
        x, targets = self._content(indices)
        self.optimizer.zero_grad(set_to_none=True)
        parts = self.loss(self.net(x), targets)
        parts["total"].backward()
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in parts.items()}

    def validate(self) -> dict[str, float]:
        """Mean over the held-out images of each one's losses (as they are measured)."""
        rows = []
        for i in range(len(self.data.validation)):
            x, targets = self._content([i], "validation")
            rows.append({k: float(v) for k, v in self.loss(self.net(x), targets).items()})
        return mean_rows(rows)


def _side_pair(size) -> tuple[int, int]:
    rows, cols = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if min(rows, cols) < MIN_SIDE:
        raise ParameterError("train_size", f"training images of {rows} x {cols} are too "
                                           f"small: sides of at least {MIN_SIDE} px")
    return rows, cols


def _sources(content, content_dir) -> list:
    items = [] if content is None else (list(content) if isinstance(content, (list, tuple))
                                        else [content])
    if content_dir is not None:
        items.append(str(content_dir))
    if not items:
        raise ParameterError("content", "no content images: give content (images or "
                                        "videos) or content_dir")
    return items


def _digest(images) -> str:
    h = hashlib.sha256()
    for im in images:
        h.update(np.ascontiguousarray(im).tobytes())
    return h.hexdigest()[:16]


def _arch(width: int, residual_blocks: int) -> dict:
    try:
        return check_arch({"width": width, "residual_blocks": residual_blocks})
    except ValueError as exc:
        raise ParameterError("width", str(exc)) from None


def _report(result, data, measures: dict, spec: "_Spec") -> dict:
    return {"steps": result.steps, "resumed_from": result.resumed_from,
            "seconds": round(result.seconds, 3),
            "seconds_per_step": round(result.seconds / max(1, result.steps -
                                                           (result.resumed_from or 0)), 4),
            "train_images": len(data.train), "validation_images": len(data.validation),
            "size": list(data.size), "device": str(spec.device),
            "loss": result.history[-1] if result.history else None,
            "validation_loss": result.validation[-1] if result.validation else None,
            "held_out": measures,
            "checkpoint": None if result.checkpoint is None else str(result.checkpoint),
            "loss_plot": None if result.plot is None else str(result.plot),
            "loss_history": result.history, "validation_history": result.validation}


def train_fast_style(content=None, style=None, *, path, content_dir=None, train_size=128,
                     crops: int = 0,
                     every: int = 1, max_images: int = 1000, width: int = 16,
                     residual_blocks: int = 3, steps: int = 1000, batch_size: int = 4,
                     learning_rate: float = 1e-3, validation: float = 0.1,
                     validate_every: int = 100, checkpoint=None, checkpoint_every: int = 100,
                     resume: bool = False, loss_plot=None, overwrite: bool = False,
                     compare_iterations: int = 0, device: str = "auto", seed: int = 0,
                     progress=None, workdir=None, protect=(),
                     losses: StyleLosses = StyleLosses()) -> FastStyleTraining:
    """Train a feed-forward style network (Johnson et al. 2016, instance norm) for ``style``.

    The content images (``content``: images and videos, every ``every``-th frame; and/or
    the images of ``content_dir``; at most ``max_images``) are resized to ``train_size``
    (or, with ``crops`` > 0, that many seeded random crops of that size are cut from them);
    ``validation`` of them is held out.  Each of ``steps`` Adam steps styles
    ``batch_size`` random training images and descends ``neural_style``'s loss
    (``losses``: the same :class:`~imgfusion.style.options.StyleLosses`, but one style
    image, so no blend weights).  Writes the model to ``path`` (``.safetensors`` and a ``.json``) and
    returns it with the path and a report: losses, validation losses, and on the
    held-out images the losses and time per frame, next to ``neural_style`` run for
    ``compare_iterations`` (0: not run).
    """
    from ..style.checks import as_rgb

    o = loss_record(losses)
    arch = _arch(width, residual_blocks)
    dest = model_destination(resolve(path, workdir), overwrite, protect, "path")
    if style is None:
        raise ParameterError("style", "train_fast_style needs a style image")
    style_rgb, dev = as_rgb(style, "style")[0], resolve_device(device)
    data = image_set(_sources(content, content_dir), field="content",
                     size=_side_pair(train_size),
                     crops=int(crops), validation=float(validation), minimum=MIN_TRAIN,
                     seed=int(seed), every=int(every), limit=int(max_images))
    signature = {"kind": KIND, "arch": arch, "size": list(data.size), "losses": o,
                 "learning_rate": float(learning_rate), "batch_size": int(batch_size),
                 "seed": int(seed), "content": _digest(data.train), "style": _digest([style_rgb])}
    spec = _Spec(data, build_loss(style_rgb, data.size, losses, dev, int(seed)), arch,
                 float(learning_rate), int(batch_size), int(seed), dev, signature)
    result = train(spec, steps=int(steps), checkpoint=resolve(checkpoint, workdir),
                   checkpoint_every=int(checkpoint_every), resume=bool(resume),
                   overwrite=bool(overwrite), validate_every=int(validate_every),
                   progress=progress, plot=resolve(loss_plot, workdir), desc="train_fast_style")
    training = {k: signature[k] for k in ("size", "losses", "learning_rate", "batch_size", "seed")}
    meta = {"kind": KIND, "format": FORMAT, "arch": arch,
            "training": {**training, "steps": result.steps, "train_images": len(data.train),
                         "loss": result.history[-1] if result.history else None}}
    model = FastStyleModel(spec.net.to("cpu").eval(), meta)
    measures = compare(model, data.validation, style_rgb, spec.loss, losses=losses,
                       iterations=int(compare_iterations), device=dev, seed=int(seed))
    written = save_model(dest, model.net.state_dict(), meta, overwrite=overwrite,
                         protect=protect)
    model.path = str(written)
    return FastStyleTraining(model, str(written), _report(result, data, measures, spec))


def check_training(p) -> None:
    """What recipe validation can know of a train_fast_style step (exit 2 before running):
    the model file's name, a content folder holds images, random crops leave enough
    training images.  Existing outputs (model file, checkpoint, plot) are the plan's to
    refuse (it knows --overwrite); the sidecar JSON is checked before training starts."""
    from .data import check_count, count_folder

    model_destination(p["path"], True, field="path")
    if p.get("content_dir") is not None:
        check_count(count_folder(p["content_dir"], "content_dir"), 1, "content_dir",
                    "images in the folder")
    crops, share = int(p.get("crops", 0)), float(p.get("validation", 0.1))
    if crops:
        held = max(1, round(share * crops)) if share > 0 else 0
        check_count(crops - held, MIN_TRAIN, "crops", "training crops after the validation "
                                                      "split")


# The registration (plugin.py) names one Param per option and calls this with flat keys.
train_fast_style_flat = flat_adapter(train_fast_style)
