"""``train_style_vae``: fit the conv VAE to paintings and frames, then the refiner.

Phase 1 trains the VAE (reconstruction + β KL, the seed's objective) on batches
drawn half from the paintings and half from the frames, so that neither class
dominates the latent space however many frames a video gives.  Phase 2 (optional)
trains the residual refiner on (decode(μ(x)), x) with the VAE frozen.  Both run in
the shared loop (:func:`imgfusion.trained.training.train`: progress, checkpoints,
resume, Ctrl-C, validation, loss plot).  Then the class means of μ, the linear probe
and (with ``vgg_weights``) the paintings' mean Gram matrices are computed and stored
with the model, and the report is made: reconstruction PSNR of the held-out frames
after the first epoch, at every validation and at the end, the probe's held-out
accuracy, the distance between the class means.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

import numpy as np
import torch

from ..errors import ParameterError
from ..limits import SIDE_MAX
from ..operators import (Data, Device, Images, InputPath, OutputPath, Progress, Protect,
                         Range, Seed, WorkDir, operator)
from ..operators import Video as VideoKind
from ..paths import in_output_folder
from .data import ImageSet, image_set
from .checks import check_train_vae
from .limits import STEPS_MAX
from .options import Training
from .training import train
from .vae_latent import Probe, fit_probe
from .vae_measures import psnr
from .vae_model import VaeStyleModel, decode, encode
from .vae_net import ConvVAE, Refiner, build_arch, refiner_losses, vae_losses

LOG = logging.getLogger(__name__)


class TrainVaeResult(NamedTuple):
    """The model (for later steps), the model file written, and the training report.

    Attributes
    ----------
    model : the trained model, for vae_style
    path : the model file written
    report : held-out PSNR (first epoch, end), probe accuracy, class-mean distance, losses
    """

    model: Data
    path: Data
    report: Data


class _Data(NamedTuple):
    paintings: ImageSet
    frames: ImageSet
    device: torch.device

    def draw(self, g: torch.Generator, batch: int) -> torch.Tensor:
        """Half paintings, half frames (with replacement), on the device."""
        half = max(1, batch // 2)
        ip = torch.randint(len(self.paintings.train), (half,), generator=g).tolist()
        jf = torch.randint(len(self.frames.train), (batch - half or 1,), generator=g).tolist()
        x = torch.cat([self.paintings.batch(ip), self.frames.batch(jf)])
        return x.to(self.device)

    def epoch_steps(self, batch: int) -> int:
        """Steps of one epoch: every training image seen once, on average."""
        n = len(self.paintings.train) + len(self.frames.train)
        return max(1, -(-n // int(batch)))

    def held_out(self, split: str = "validation") -> tuple[torch.Tensor, torch.Tensor]:
        p, f = self.paintings, self.frames
        return (p.batch(range(len(getattr(p, split))), split).to(self.device),
                f.batch(range(len(getattr(f, split))), split).to(self.device))


class VaeSpec:
    """Phase 1 for :func:`~imgfusion.trained.training.train`."""

    def __init__(self, net: ConvVAE, data: _Data, beta: float, lr: float, batch: int,
                 seed: int, signature: dict):
        self.net, self.data, self.beta, self.batch = net, data, float(beta), int(batch)
        self.modules = {"vae": net}
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        self.generators = {"data": torch.Generator().manual_seed(int(seed) + 11)}
        self.seed, self.signature = int(seed), signature

    def step(self, index: int) -> dict[str, float]:
        x = self.data.draw(self.generators["data"], self.batch)
        self.optimizer.zero_grad()
        losses = vae_losses(self.net, x, self.beta)
        losses["loss"].backward()
        self.optimizer.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        if index + 1 == self.data.epoch_steps(self.batch):
            out.update(self.first_epoch())
        return out

    def first_epoch(self) -> dict[str, float]:
        """The held-out frames' error after one epoch, the figure the end must beat
        (recorded in the history, so a resumed run keeps it)."""
        _, f = self.data.held_out()
        if not len(f):
            return {}
        self.net.eval()
        with torch.no_grad():
            mse = float((self.net.decode(self.net.encode(f)[0]) - f).pow(2).mean())
        self.net.train()
        return {"first_epoch_frames_mse": mse}

    def validate(self) -> dict[str, float]:
        p, f = self.data.held_out()
        if not len(p) + len(f):
            return {}
        g = torch.Generator(self.data.device).manual_seed(self.seed + 12)
        losses = vae_losses(self.net, torch.cat([p, f]), self.beta, g)
        out = {"loss": float(losses["loss"]), "mse": float(losses["mse"])}
        if len(f):
            out["frames_mse"] = float((self.net.decode(self.net.encode(f)[0]) - f).pow(2).mean())
        return out


class RefinerSpec:
    """Phase 2: the refiner on (decode(μ(x)), x), the VAE frozen."""

    def __init__(self, refiner: Refiner, net: ConvVAE, data: _Data, lr: float, batch: int,
                 seed: int, signature: dict):
        self.refiner, self.net, self.data, self.batch = refiner, net.eval(), data, int(batch)
        self.modules = {"refiner": refiner}
        self.optimizer = torch.optim.Adam(refiner.parameters(), lr=lr)
        self.generators = {"data": torch.Generator().manual_seed(int(seed) + 21)}
        self.signature = signature

    def _decoded(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.net.decode(self.net.encode(x)[0])

    def step(self, index: int) -> dict[str, float]:
        x = self.data.draw(self.generators["data"], self.batch)
        self.optimizer.zero_grad()
        losses = refiner_losses(self.refiner, self._decoded(x), x)
        losses["loss"].backward()
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    def validate(self) -> dict[str, float]:
        _, f = self.data.held_out()
        if not len(f):
            return {}
        return {"frames_mse": float((self.refiner(self._decoded(f)) - f).pow(2).mean())}


def _sets(paintings, paintings_dir, frames, frames_dir, size, validation, seed,
          frame_step, max_frames) -> tuple[ImageSet, ImageSet]:
    p_in = [*(paintings or []), *([paintings_dir] if paintings_dir else [])]
    f_in = [*([frames] if frames is not None else []), *([frames_dir] if frames_dir
                                                          else [])]
    if not p_in:
        raise ParameterError("paintings", "give the paintings (images) or paintings_dir")
    if not f_in:
        raise ParameterError("frames", "give the frames (a video) or frames_dir")
    p = image_set(p_in, field="paintings", size=size, validation=validation, minimum=2,
                  seed=seed)
    f = image_set(f_in, field="frames", size=size, validation=validation, minimum=2,
                  seed=seed + 1, every=frame_step, limit=max_frames)
    return p, f


def _sibling(path: Path | None, tag: str) -> Path | None:
    return None if path is None else path.with_name(f"{path.stem}_{tag}{path.suffix}")


def _psnr_rows(rows: list[dict]) -> list[dict]:
    return [{"step": r["step"], "psnr": round(10 * float(np.log10(1 / r["frames_mse"])), 3)}
            for r in rows if r.get("frames_mse")]


def _summary(model: VaeStyleModel, data: _Data, vgg_weights) -> dict:
    """Class means, probe and Gram matrices into ``model``; their figures returned."""
    split = "validation" if len(data.frames.validation) and len(data.paintings.validation) \
        else "train"
    tp, tf = data.held_out("train")
    mu_p, mu_f = encode(model, tp)[0], encode(model, tf)[0]
    model.m_paintings, model.m_frames = mu_p.mean(0), mu_f.mean(0)
    model.probe = fit_probe(mu_p, mu_f)
    hp, hf = data.held_out(split)
    right = (model.probe.probability(encode(model, hp)[0]) > 0.5).sum() + \
        (model.probe.probability(encode(model, hf)[0]) <= 0.5).sum()
    out = {"probe_accuracy": float(right) / (len(hp) + len(hf)), "probe_on": split,
           "class_mean_distance": float((model.m_paintings - model.m_frames).norm())}
    _, f = data.held_out()
    if len(f):
        mu = encode(model, f)[0]
        out["psnr_heldout_frames"] = psnr(decode(model, mu, refine=False), f)
        if model.refiner is not None:
            out["psnr_heldout_frames_refined"] = psnr(decode(model, mu), f)
    if vgg_weights is not None:
        from .vae_measures import mean_grams, vgg_encoder

        enc = vgg_encoder(vgg_weights, 0, data.device)   # the one vae_style measures with
        model.grams = mean_grams(enc, data.paintings.train + data.paintings.validation)
        model.gram_weights = vgg_weights
    return out


def _phases(net, data, arch, o: dict, seed: int, progress, workdir) -> tuple[Refiner | None,
                                                                             dict]:
    """Train the VAE, then the refiner; their loop results as report rows."""
    sig = {"arch": arch.as_dict(), "beta": o["beta"], "lr": o["learning_rate"],
           "batch": o["batch_size"], "seed": seed, "images": [len(data.paintings.train),
                                                               len(data.frames.train)]}
    ckpt, plot = in_output_folder(o["checkpoint"], workdir), in_output_folder(o["loss_plot"], workdir)
    loop = {"checkpoint_every": o["checkpoint_every"], "resume": o["resume"],
            "overwrite": o["overwrite"], "validate_every": o["validate_every"],
            "progress": progress}
    spec = VaeSpec(net, data, o["beta"], o["learning_rate"], o["batch_size"], seed, sig)
    first = train(spec, steps=o["steps"], checkpoint=ckpt, plot=plot, desc="vae", **loop)
    epoch = [r for r in first.history if "first_epoch_frames_mse" in r]
    rows = {"vae": {"steps": first.steps, "seconds": round(first.seconds, 2),
                    "last": first.history[-1] if first.history else None,
                    "psnr_heldout_frames_by_step": _psnr_rows(first.validation)}}
    if epoch:
        rows["psnr_heldout_frames_first_epoch"] = _psnr_rows(
            [{"step": epoch[0]["step"], "frames_mse": epoch[0]["first_epoch_frames_mse"]}])[0]
    if not o["refiner"] or not o["refiner_steps"]:
        return None, rows
    refiner = Refiner(arch.refiner_width, arch.channels).to(data.device)
    rspec = RefinerSpec(refiner, net, data, o["learning_rate"], o["batch_size"], seed,
                        {**sig, "refiner_steps": o["refiner_steps"]})
    second = train(rspec, steps=o["refiner_steps"], checkpoint=_sibling(ckpt, "refiner"),
                   plot=_sibling(plot, "refiner"), desc="refiner", **_refiner_loop(loop, first))
    rows["refiner"] = {"steps": second.steps, "seconds": round(second.seconds, 2),
                       "psnr_heldout_frames_by_step": _psnr_rows(second.validation)}
    return refiner.eval(), rows


def _refiner_loop(loop: dict, vae) -> dict:
    """The refiner's loop settings: a resume whose VAE trained further (more ``steps``)
    starts the refiner again, since its checkpoint learnt the old VAE's decoder (this
    run's own file, so it is replaced)."""
    if vae.resumed_from is None or vae.steps == vae.resumed_from:
        return loop
    LOG.info("train_style_vae: the VAE trained further, so the refiner starts again")
    return {**loop, "resume": False, "overwrite": True}


@operator(check=check_train_vae,
          renamed={"paintings_folder": "paintings_dir", "frames_folder": "frames_dir"},
          needs_one=({"paintings": "images", "paintings_dir": "a folder of images"},
                     {"frames": "a video", "frames_dir": "a folder of frames"}))
def train_style_vae(
        paintings: Images | None = None, frames: VideoKind | None = None, *,
        paintings_dir: InputPath = None, frames_dir: InputPath = None,
        frame_step: Annotated[int, Range(1, STEPS_MAX)] = 1,
        max_frames: Annotated[int | None, Range(2, STEPS_MAX)] = None,
        preset: Literal["default", "seed"] = "default",
        size: Annotated[tuple[int, int] | None, Range(4, SIDE_MAX)] = None,
        filters: Annotated[list[int] | None, Range(1, 4096)] = None,
        kernels: Annotated[list[int] | None, Range(1, 31)] = None,
        latent: Annotated[int | None, Range(1, 65536)] = None,
        beta: Annotated[float, Range(0, 1e6)] = 1.0, refiner: bool = True,
        refiner_steps: Annotated[int, Range(0, STEPS_MAX)] = 300,
        refiner_width: Annotated[int | None, Range(1, 1024)] = None,
        vgg_weights: str | None = "original", path: OutputPath,
        training: Training = Training(steps=2000, batch_size=16),
        device: Device = "auto", seed: Seed = 0, progress: Progress = None,
        workdir: WorkDir = None, protect: Protect = ()) -> TrainVaeResult:
    """Train the conv-VAE latent-shift style on paintings and video frames (and its refiner); write the model file.

    The paintings (and/or ``paintings_dir``) and the frames (and/or
    ``frames_dir``; every ``frame_step``-th, at most ``max_frames``) are the two
    classes.  The network is the preset's, with any of size, filters, kernels, latent
    and refiner_width changed.  The training loop (steps ... overwrite) is the shared
    one of :func:`imgfusion.trained.training.train`.

    Parameters
    ----------
    paintings
        the paintings (images)
    frames
        a video whose frames are the "content" class
    paintings_dir
        folder of painting images
    frames_dir
        folder of frame images
    frame_step
        take every n-th frame
    max_frames
        at most this many frames (null: all)
    preset
        default: 128 px, 5 layers, 128 codes; seed: the original 180 x 320, 7 layers
        (64 ... 256 filters, kernels 7 ... 3), 512 codes
    size
        [rows, cols] the images are resized to (null: the preset's)
    filters
        channels per encoder layer, each halving the size (null: the preset's)
    kernels
        odd kernel size per layer (null: the preset's, or 3s)
    latent
        number of codes
    beta
        weight of the KL term
    refiner
        train the residual refiner after the VAE
    refiner_steps
        refiner training steps
    refiner_width
        refiner channels
    vgg_weights
        VGG19 of the Gram measure (paintings' Gram matrices stored with the model);
        null: none
    path
        the model file to write (.safetensors; a .json of its architecture and training
        is written next to it)
    training
        the shared training loop's options (:class:`~imgfusion.trained.options.Training`)
    """
    from ..devices import resolve_device
    from .vae_io import save_vae_model

    o = {"beta": beta, **asdict(training), "refiner": refiner, "refiner_steps": refiner_steps,
         "frame_step": frame_step, "max_frames": max_frames, "seed": seed}
    arch = build_arch(preset, size, filters, kernels, latent, refiner_width)
    dest = in_output_folder(path, workdir)
    from .modelfile import model_destination

    model_destination(dest, training.overwrite, protect, "path")   # refused before training
    dev = resolve_device(device)
    if vgg_weights is not None:   # a bad weights name fails now, not after the training
        from .vae_measures import vgg_encoder

        try:
            vgg_encoder(vgg_weights, 0, dev)
        except ParameterError as exc:
            raise ParameterError("vgg_weights", exc.message) from None
    torch.manual_seed(int(seed))
    sets = _sets(paintings, paintings_dir, frames, frames_dir, arch.size,
                 training.validation, int(seed), frame_step, max_frames)
    data = _Data(*sets, dev)
    t0 = time.perf_counter()
    net = ConvVAE(arch).to(dev)
    ref, rows = _phases(net, data, arch, o, int(seed), progress, workdir)
    zero = torch.zeros(arch.latent, device=dev)   # means and probe: set by _summary
    model = VaeStyleModel(net.eval(), ref, zero, zero, Probe(zero, zero.sum()))
    report = {**rows, **_summary(model, data, vgg_weights),
              "images": {"paintings": [len(sets[0].train), len(sets[0].validation)],
                         "frames": [len(sets[1].train), len(sets[1].validation)]},
              "device": str(dev), "seconds": round(time.perf_counter() - t0, 2)}
    settings = {k: o[k] for k in ("beta", "steps", "batch_size", "learning_rate", "validation",
                                  "refiner_steps", "frame_step", "max_frames", "seed")}
    written = save_vae_model(dest, model, {"settings": settings, "report": report},
                             overwrite=training.overwrite, protect=protect)
    model.info = {"training": {"settings": settings, "report": report}}
    return TrainVaeResult(model, str(written), report)
