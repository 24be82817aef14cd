"""``train_fast_style``: a transformation network trained for one style image on a set of
content images, with ``neural_style``'s content, style and tv losses and weights, through
the shared training loop (:mod:`imgfusion.trained.training`: progress, checkpoints,
resume, Ctrl-C, validation, loss plot)."""
from __future__ import annotations

import hashlib
import warnings
from typing import Annotated, Literal, NamedTuple

import numpy as np
import torch

from ..errors import ParameterError
from ..devices import resolve_device
from ..limits import ITERATIONS_MAX, SIDE_MAX, WEIGHT_MAX
from ..operators import (Data, Device, Fields, Image, InputPath, OutputPath, Progress, Protect,
                         Range, Seed, Videos, WorkDir, operator)
from ..style.options import StyleLosses
from ..paths import in_output_folder as resolve
from .data import image_set
from .fast_budget import ContentBudget
from .fast_report import at_step, balance_entry, training_report, within_budget
from .checks import MIN_SIDE
from .fast_style import FORMAT, KIND, FastStyleModel
from .limits import BLOCKS_MAX, FRAMES_MAX, IMAGES_MAX, PAD_MAX, WIDTH_MAX
from .options import Training
from .measures import compare, mean_rows
from .modelfile import model_destination, save_model
from .perceptual import build_loss, loss_record
from .stability import stability_loss
from .training import train
from .transform_net import ArchError, build, check_arch, parameter_groups

MIN_TRAIN = 2    # training images after the validation split
CROPS = 48       # random crops by default: a few photos resized overfit (bench/fast_style.py)
SPAN = 0.5       # crop_span with crops by default: details to half a photo (fast_style.md)
ONE_STYLE_LOSSES = Fields("content_layers", "style_layers", "content_weight", "style_weight",
                          "tv_weight", "style_scale", "weights", "pooling")


class FastStyleTraining(NamedTuple):
    """``train_fast_style``'s outputs: the model, the file written, and the report.

    Attributes
    ----------
    model
        the trained model, for fast_style
    path
        the model file written
    report
        losses, validation losses, time per step; on held-out images the losses and time
        per frame (and neural_style's with compare_iterations)
    """

    model: Data
    path: Data
    report: Data


class _Spec:
    """One training run, in the form :func:`imgfusion.trained.training.train` takes."""

    def __init__(self, data, loss, arch: dict, lr: float, batch: int, seed: int,
                 device: torch.device, signature: dict, stability: float = 0.0,
                 budget: ContentBudget | None = None):
        with torch.random.fork_rng(devices=[]):   # seeded, leaving the caller's RNG alone
            torch.manual_seed(seed)
            self.net = build(arch).to(device)
        self.modules = {"net": self.net}
        self.optimizer = torch.optim.Adam(parameter_groups(self.net, lr))
        self.generators = {"batch": torch.Generator().manual_seed(seed),
                           "stability": torch.Generator().manual_seed(seed + 1)}
        self.data, self.loss, self.batch, self.device = data, loss, batch, device
        self.stability, self.budget = float(stability), budget
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
        y = self.net(x)
        parts = self.loss(y, targets)
        if self.stability > 0:
            parts["stability"] = self.stability * stability_loss(
                self.net, x, y, self.generators["stability"])
            parts["total"] = parts["total"] + parts["stability"]
        self._held(parts).backward()
        self.optimizer.step()
        if self.budget is not None:
            self.budget.early(self.net, index + 1)
        return {k: float(v.detach()) for k, v in parts.items()}

    def _held(self, parts: dict) -> torch.Tensor:
        """What is descended: the loss, its content weighed up by the held budget's
        multiplier (the recorded losses stay the plain ones, comparable across steps)."""
        m = 1.0 if self.budget is None else self.budget.multiplier
        return parts["total"] if m == 1.0 else parts["total"] + (m - 1) * parts["content"]

    def validate(self) -> dict[str, float]:
        """Mean over the held-out images of each one's losses (as they are measured)."""
        rows = []
        for i in range(len(self.data.validation)):
            x, targets = self._content([i], "validation")
            rows.append({k: float(v) for k, v in self.loss(self.net(x), targets).items()})
        return mean_rows(rows)

    def stop(self, step: int) -> bool:
        """Past the content budget (asked by the loop after each validation)."""
        return self.budget is not None and self.budget.check(self.net, step)

    def extra_state(self) -> dict:
        """The content budget's kept network, in checkpoints (see ``load_extra_state``)."""
        return {} if self.budget is None else {"budget": self.budget.state()}

    def load_extra_state(self, state: dict) -> None:
        """A resumed run keeps the network the budget kept before the interruption (and,
        held, its multiplier)."""
        if self.budget is not None:
            self.budget.load(state.get("budget") or {})


def _side_pair(size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


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


def _arch(width: int, residual_blocks: int, pad: int, colour_stage: bool = False,
          resample: str = "smooth") -> dict:
    try:
        return check_arch({"width": width, "residual_blocks": residual_blocks, "pad": pad,
                           "output": "colour_residual" if colour_stage else "residual",
                           "resample": resample})
    except ArchError as exc:   # the setting's parameter (output: colour_stage's)
        field = {"output": "colour_stage", None: "width"}.get(exc.setting, exc.setting)
        raise ParameterError(field, str(exc)) from None


def check_training(p) -> None:
    """What recipe validation can know of a train_fast_style step (exit 2 before running):
    the model file's name, a content folder holds images, random crops leave enough
    training images.  Existing outputs (model file, checkpoint, plot) are the plan's to
    refuse (it knows --overwrite); the sidecar JSON is checked before training starts."""
    from .data import check_count, check_span, count_folder

    model_destination(p["path"], True, field="path")
    if p.get("content_dir") is not None:
        check_count(count_folder(p["content_dir"], "content_dir"), 1, "content_dir",
                    "images in the folder")
    crops, share = int(p.get("crops", CROPS)), float(p.get("validation", 0.1))
    check_span(crops, p.get("crop_span"))
    if crops:
        held = max(1, round(share * crops)) if share > 0 else 0
        check_count(crops - held, MIN_TRAIN, "crops", "training crops after the validation "
                                                      "split")


def check_train_fast(p) -> None:
    """Validation's check: the VGG19 weights load, its layers named, and
    :func:`check_training`."""
    from ..style.checks import check_layers, check_weights

    check_weights(p.get("weights", "original"))
    check_layers(p)
    check_training(p)


@operator(check=check_train_fast,
          needs_one={"content": "images or videos", "content_dir": "a folder of images"})
def train_fast_style(
        content: Videos | None = None, style: Image = None, *,
        content_dir: InputPath = None, every: Annotated[int, Range(1, FRAMES_MAX)] = 1,
        max_images: Annotated[int, Range(1, IMAGES_MAX)] = 1000,
        train_size: Annotated[int | tuple[int, int], Range(MIN_SIDE, SIDE_MAX)] = 128,
        crops: Annotated[int, Range(0, IMAGES_MAX)] = CROPS,
        crop_span: Annotated[float | None, Range(0, 1)] = None,
        width: Annotated[int, Range(1, WIDTH_MAX)] = 16,
        residual_blocks: Annotated[int, Range(0, BLOCKS_MAX)] = 3,
        pad: Annotated[int, Range(0, PAD_MAX)] = 16,
        resample: Literal["smooth", "nearest"] = "smooth",
        colour_stage: bool = True,
        stability_weight: Annotated[float, Range(0, WEIGHT_MAX)] = 30.0,
        content_budget: Annotated[float, Range(0, 1)] = 0.5,
        at_budget: Literal["stop", "hold"] = "hold",
        path: OutputPath,
        training: Training = Training(steps=1200, learning_rate=1e-3, validate_every=10),
        compare_iterations: Annotated[int, Range(0, ITERATIONS_MAX)] = 0,
        losses: Annotated[StyleLosses, ONE_STYLE_LOSSES] = StyleLosses(style_weight=30.0),
        device: Device = "auto", seed: Seed = 0, progress: Progress = None,
        workdir: WorkDir = None, protect: Protect = ()) -> FastStyleTraining:
    """Train a feed-forward style network (Johnson et al. 2016, instance norm) for one style image on content images, with neural_style's losses.

    The content images (``content``: images and videos, every ``every``-th frame; and/or
    the images of ``content_dir``; at most ``max_images``) are resized to ``train_size``
    (or, with ``crops`` > 0, that many seeded random crops are cut from them and scaled
    to that size, see ``crop_span``); ``validation`` of them is held out.  Each of
    ``steps`` Adam steps styles ``batch_size`` random training images and descends
    ``neural_style``'s loss
    (``losses``: the same :class:`~imgfusion.style.options.StyleLosses`, but one style
    image, so no blend weights).  Writes the model to ``path`` (``.safetensors`` and a
    ``.json``) and returns it with the path and a report: losses, validation losses, and
    on the held-out images the losses and time per frame, next to ``neural_style`` run
    for ``compare_iterations`` (0: not run).
    The report's ``balance`` says whether content or style dominated on the held-out
    images at the end and which weight to change, or that more ``steps`` would give more
    style (:mod:`~imgfusion.trained.fast_balance`); the same line is logged, and warned
    (``TrainingBalanceWarning``) when one loss dominates.

    Parameters
    ----------
    content
        content images and/or videos (every `every`-th frame); with content_dir or
        instead of it
    style
        the style image the network learns
    content_dir
        a folder of content images
    every
        take every every-th video frame
    max_images
        most content images (frames) taken
    train_size
        side of the training images (or [rows, cols]): the content images are resized to
        it, or cropped with crops
    crops
        train on this many seeded random crops of train_size from the content images (as
        many as there are images when there are more; 0: the images resized).  Crops by
        default: five photos resized to 128 px overfit (held-out content loss 1.7x the
        training one) and gave a rainbow-noise texture on photos the network never saw;
        48 crops of the same photos halved the style distance to the Hubble field and to
        gravel at the same content budget (bench/fast_style.py)
    crop_span
        crops cover between train_size px of a content image and this share of its
        shorter side (for a square train_size; drawn log-uniformly, scaled down to
        train_size; refused without crops), so the network also learns photos scaled
        down as it will meet them (0: train_size px of the image; default 0.5 with
        crops, 0 without).  0.5 beat both pixel blends on both held-out photos after the
        Hubble field at 128 and 256 px, where 0 beat them on one, and came nearer the
        blends on gravel, for a little more content lost, more stars on the 4 px grid
        and 1.6x the flicker per frame (fast_video_style holds a clip as steady as
        before); 1.0 did worse on gravel (bench/fast_style.md)
    width
        channels of the first layer (then 2x, 4x); Johnson et al.: 32
    residual_blocks
        Johnson et al.: 5
    pad
        px the input is padded by (reflection) and the output cropped back, so the
        border pixels see an interior-like neighbourhood (no streaks along the borders)
    resample
        smooth: a binomial blur before each stride-2 convolution and bilinear
        upsampling, so the picture moves with the photo; nearest (networks before
        smooth): plain strides and nearest upsampling, whose output is tied to a 4 px grid
        (on a sparse style, a lattice of dots)
    colour_stage
        learn a per-channel colour transform of the photo (scale and shift, at 30x the
        learning rate) before the residual, so the style's colours come within tens of
        steps (without it, 1,000 steps at 128 px after the Hubble deep field left the
        held-out photos with hardly more style than the photo itself: style distance 1.42
        against the photo's 1.54); left unchecked it darkens toward a dark style's mean
        colour until the photo is lost, which content_budget stops
    content_budget
        the share of their content the held-out photos may lose (0: the photo, 1: as
        far from it as the style image), checked at each validation (and at steps 1, 2,
        4 ... before the first); the network kept is one within it
        (:mod:`~imgfusion.trained.fast_budget`): the untrained one, the photo, with a
        ContentBudgetWarning, when no trained step stayed within it; 0: no budget,
        every step is trained and the last network kept.  The picture then no longer
        depends on where the step count happens to stop a run that is sliding toward
        the style image
    at_budget
        what training does once the held-out photos reach content_budget: stop (keep
        the last network within it) or hold (train every step, the content loss weighed
        up while the share is above the budget and back down below it, and keep the
        network with the least held-out style distance within it).  Holding (600 steps
        checked every 10) took the style distance on photos the network never saw from
        0.61 and 1.02 (stop) to 0.36 and 0.74 at about the same content
        (bench/fast_style.md); stop trains for about half as long
    stability_weight
        weight of the stability term: the output of the photo moved by up to 2 px, with
        a little noise, must be the output moved (Gupta et al. 2017; less flicker on
        video); 0: off
    path
        the model file to write (.safetensors; a .json of its architecture and training
        is written next to it)
    training
        the shared training loop's options (:class:`~imgfusion.trained.options.Training`);
        steps 1200, learning_rate 1e-3 and validate_every 10 here (each validation checks
        the content budget).  1,200 steps, not 600: a texture (gravel) became a clear
        grain over the whole photo where 600 left a grey wash, and at 256 px the network
        beat both pixel blends on three of four photo/style cells, not two, keeping more
        of the photos; the cost is twice the training (about 40 minutes on 2 cores) and
        2-2.7x the Hubble field's fine detail on the 4 px grid (1.3-2.7 %, the old
        lattice's 5-7 %); bench/fast_style.md has the settings measured
    compare_iterations
        also run neural_style for this many iterations on the held-out images and report
        both losses and times (0: not run)
    losses
        neural_style's losses, one style image (no style_blend_weights); style_weight
        30 (neural_style: 3): the network starts as the identity and has a few hundred
        steps to move away from the photo
    device, seed, progress, workdir, protect
        engine context
    """
    from ..style.checks import as_rgb

    o, t = loss_record(losses), training
    arch = _arch(width, residual_blocks, pad, colour_stage, resample)
    dest = model_destination(resolve(path, workdir), t.overwrite, protect, "path")
    if style is None:
        raise ParameterError("style", "train_fast_style needs a style image")
    style_rgb, dev = as_rgb(style, "style")[0], resolve_device(device)
    span = (SPAN if crops else 0.0) if crop_span is None else float(crop_span)
    data = image_set(_sources(content, content_dir), field="content",
                     size=_side_pair(train_size),
                     crops=int(crops), validation=float(t.validation), minimum=MIN_TRAIN,
                     seed=int(seed), every=int(every), limit=int(max_images),
                     span=span)
    signature = {"kind": KIND, "arch": arch, "size": list(data.size), "losses": o,
                 "learning_rate": float(t.learning_rate), "batch_size": int(t.batch_size),
                 "stability_weight": float(stability_weight), "seed": int(seed),
                 "content": _digest(data.train), "style": _digest([style_rgb]),
                 **({"crop_span": span} if span else {})}   # older: none
    loss = build_loss(style_rgb, data.size, losses, dev, int(seed))
    budget = ContentBudget(content_budget, loss, data.validation or data.train[:4],
                           style_rgb, dev, int(t.validate_every) or int(t.steps),
                           hold=at_budget == "hold")
    spec = _Spec(data, loss, arch, float(t.learning_rate), int(t.batch_size), int(seed),
                 dev, signature, float(stability_weight), budget)
    budget.start(spec.net)
    result = train(spec, steps=int(t.steps), checkpoint=resolve(t.checkpoint, workdir),
                   checkpoint_every=int(t.checkpoint_every), resume=bool(t.resume),
                   overwrite=bool(t.overwrite), validate_every=int(t.validate_every),
                   progress=progress, plot=resolve(t.loss_plot, workdir), desc="train_fast_style")
    if result.resumed_from is not None and result.resumed_from >= int(t.steps):
        warnings.warn(f"train_fast_style: resumed a checkpoint of {result.resumed_from} "
                      f"steps, at least the {int(t.steps)} asked: nothing more was trained "
                      "(raise steps to go on, or overwrite: true to start again)", stacklevel=2)
    within, step = within_budget(spec, result)
    kept = {k: signature[k] for k in ("size", "losses", "learning_rate", "batch_size",
                                      "stability_weight", "seed")}
    meta = {"kind": KIND, "format": FORMAT, "arch": arch,
            "training": {**kept, "steps": step, "train_images": len(data.train),
                         "crops": len(data.train) + len(data.validation) if crops else 0,
                         "crop_span": span,
                         "loss": at_step(result.history, step),
                         "content_budget": within}}
    model = FastStyleModel(spec.net.to("cpu").eval(), meta)
    measures = compare(model, data.validation, style_rgb, spec.loss, losses=losses,
                       iterations=int(compare_iterations), device=dev, seed=int(seed))
    verdict = balance_entry(result, data, model, style_rgb, spec, losses, step)
    written = save_model(dest, model.net.state_dict(), meta, overwrite=t.overwrite,
                         protect=protect)
    model.path = str(written)
    return FastStyleTraining(model, str(written),
                             {**training_report(result, data, measures, spec, verdict, step),
                              "content_budget": within})
