"""``vae_style``: move an image's or a video's codes toward the paintings and decode them.

Each frame is resized to the model's size, encoded to its posterior mean μ (no
sampling: the same frame always gives the same code, so a still scene does not
flicker), shifted by ``z' = μ + strength · (m_paintings − m_frames)``, decoded and
refined; a video is then smoothed over time with an exponential moving average
(``smoothing``: the weight of the previous output, the seed's 0.2).  ``mode:
legacy`` is the seed's own formula, ``z − 0.25 m_frames + 0.5 m_paintings`` on a
sampled z.

A video streams: frames are encoded a chunk at a time and each styled frame is
written (16-bit PNG) into ``frames_dir`` as it finishes, with the frame store of
``video_style``, which refuses a folder holding another run's frames unless
``overwrite``; a rerun with the same settings writes every frame again (a VAE frame
costs milliseconds, and the content may have changed under the same name).  The
result is the video read back from that folder.  Without ``frames_dir`` nothing
is written: the result is a lazy video that styles the clip again each time it is
iterated (by ``save_video``, say), one chunk in memory at a time.  The report gives the
measures of :mod:`imgfusion.trained.vae_measures`.
"""
from __future__ import annotations

import os
from typing import Annotated, Iterator, NamedTuple

import numpy as np
import torch

from ..errors import ParameterError
from ..operators import (Data, Device, Image, InputPath, OutputPath, Progress, Range, Seed,
                         Value, WorkDir, operator)
from ..operators import Video as VideoKind
from ..paths import in_output_folder
from ..values import Video
from . import vae_measures as vm
from .checks import ONE_MODEL, VAE_MODEL, VAE_TRAINER, check_vae_model_file
from .vae_latent import Smoother, VaeMode, shifted
from .vae_model import VaeStyleModel, decode, encode, images_to_tensor, tensor_to_images

CHUNK = 8  # frames encoded and decoded together


class VaeStyleResult(NamedTuple):
    """The styled image (or video, read back from ``frames_dir``) and the measures.

    Attributes
    ----------
    image : the styled image (a video for a video)
    report : shift distance, probe, Gram, content and temporal measures
    """

    image: Image
    report: Data


class _Settings(NamedTuple):
    strength: float
    mode: str
    refine: bool
    smoothing: float
    seed: int


def style_tensor(model: VaeStyleModel, x: torch.Tensor, s: _Settings,
                 generator: torch.Generator | None = None):
    """(styled images, shifted codes, μ) of a batch of model-size images (``generator``:
    the noise of the sampled modes)."""
    mu, log_sigma = encode(model, x)
    z = shifted(mu, log_sigma, model.m_paintings, model.m_frames, s.strength, s.mode,
                generator)
    return decode(model, z, refine=s.refine), z, mu


class _Tally:
    """Sums over the frames of a run, for the report's means."""

    def __init__(self, model: VaeStyleModel, encoder):
        self.model, self.encoder = model, encoder
        self.z_sum, self.n = None, 0
        self.sums = {"probe_input": 0.0, "probe_output": 0.0, "gram_input": 0.0,
                     "gram_output": 0.0, "content": 0.0}

    def add(self, inputs: torch.Tensor, outputs: torch.Tensor, z: torch.Tensor,
            mu: torch.Tensor) -> list[float]:
        m = self.model
        self.z_sum = z.double().sum(0) if self.z_sum is None else self.z_sum + z.double().sum(0)
        self.n += len(z)
        p_out = m.probe.probability(encode(m, outputs)[0])
        self.sums["probe_input"] += float(m.probe.probability(mu).sum())
        self.sums["probe_output"] += float(p_out.sum())
        if self.encoder is not None:
            ins, outs = tensor_to_images(inputs), tensor_to_images(outputs)
            f_in, f_out = vm.features(self.encoder, ins), vm.features(self.encoder, outs)
            k = len(ins)
            self.sums["gram_input"] += k * vm.gram_distance_of(f_in, m.grams)
            self.sums["gram_output"] += k * vm.gram_distance_of(f_out, m.grams)
            self.sums["content"] += k * vm.content_distance_of(f_out, f_in)
        return [float(p) for p in p_out]

    def report(self) -> dict:
        m = self.model
        out = {"frames": self.n,
               "shift_distance": vm.shift_distance((self.z_sum / self.n)[None],
                                                   m.m_paintings, m.m_frames)}
        keys = [k for k in self.sums if self.encoder is not None or not
                k.startswith(("gram", "content"))]
        out.update({f"{k}_mean" if k.startswith("probe") else k: self.sums[k] / self.n
                    for k in keys})
        return out


def _measure_encoder(model: VaeStyleModel, measures: bool):
    """The VGG the model's Gram matrices were computed with (None: no VGG measures)."""
    if not measures or model.grams is None:
        return None
    return vm.vgg_encoder(model.gram_weights or "original", 0, model.device)


def _style_image(model, image: np.ndarray, s: _Settings, tally: _Tally):
    x = images_to_tensor([image], model.arch.size, model.device)
    out, z, mu = style_tensor(model, x, s, torch.Generator(model.device).manual_seed(s.seed))
    tally.add(x, out, z, mu)
    return VaeStyleResult(tensor_to_images(out)[0], tally.report())


def _chunks(video: Video, size, device) -> Iterator[torch.Tensor]:
    buf = []
    for frame in video:
        buf.append(frame)
        if len(buf) == CHUNK:
            yield images_to_tensor(buf, size, device)
            buf = []
    if buf:
        yield images_to_tensor(buf, size, device)


def _styled_frames(model, video: Video, s: _Settings,
                   tally: _Tally | None) -> Iterator[tuple[np.ndarray, float | None]]:
    """(styled frame, probe of its re-encoding or None) per frame, in order: the noise of
    the sampled modes seeded afresh, so every pass gives the same frames."""
    from ..video.store import quantised

    gen, smoother = torch.Generator(model.device).manual_seed(s.seed), Smoother(s.smoothing)
    for x in _chunks(video, model.arch.size, model.device):
        out, z, mu = style_tensor(model, x, s, gen)
        probes = tally.add(x, out, z, mu) if tally is not None else [None] * len(out)
        for frame, p in zip(out, probes):
            image = quantised(tensor_to_images(smoother(frame)[None])[0])
            smoother.previous = torch.from_numpy(image).permute(2, 0, 1).to(frame.device)
            yield image, p


def _style_video(model, video: Video, s: _Settings, tally: _Tally, store, progress):
    """Style every frame once (the report's pass), writing each to ``store`` as it
    finishes; the result reads the store back, or without one re-styles the clip
    lazily whenever it is iterated (streaming, nothing on disk)."""
    from ..video.reader import load_video

    rows = []
    for t, (image, p) in enumerate(_styled_frames(model, video, s, tally)):
        if store is not None:
            store.write(t, image, {"frame": t, "probe_output": p}, 0, t)
        rows.append({"frame": t, "probe_output": p})
        if progress is not None:
            progress(t + 1, video.frames, probe=p)
    report = {**tally.report(), "per_frame": rows}
    if store is not None:
        return VaeStyleResult(load_video(path=str(store.folder), fps=video.fps), report)
    styled = Video(lambda: (im for im, _ in _styled_frames(model, video, s, None)),
                   fps=video.fps, frames=len(rows), size=tuple(model.arch.size),
                   audio=video.audio, source=f"vae_style over {video.source}")
    return VaeStyleResult(styled, report)


def _temporal(report: dict, styled: Video, content: Video) -> None:
    from ..video.measures import temporal_errors

    errors = temporal_errors(styled, content, device="cpu")
    report["temporal_error"] = float(np.nanmean(errors)) if errors else float("nan")


def _store(frames_dir, workdir, settings: dict, model: VaeStyleModel, overwrite: bool):
    from ..video.store import FrameStore, fingerprint

    if frames_dir is None:
        return None
    folder = in_output_folder(frames_dir, workdir)
    key = fingerprint({**settings, "model": repr(model), "m_p": model.m_paintings.tolist()})
    store = FrameStore(folder, key, overwrite=overwrite)
    store.report, store.state = [], {"key": key, "pass": 0, "done": 0}  # every frame rewritten
    return store


def resolve_model(model, model_file, device: str) -> VaeStyleModel:
    """The model handed in by an earlier step, or read from ``model_file``."""
    from ..devices import resolve_device

    if isinstance(model, (str, os.PathLike)):
        raise ParameterError("model", f"got the path {str(model)!r}: a model file goes in "
                                      "model_file (model is a train_style_vae step's output)")
    if (model is None) == (model_file is None):
        raise ParameterError("model", "give exactly one of model (an earlier "
                                      "train_style_vae step's output) and model_file")
    if model is None:
        from .vae_io import load_vae_model

        model = load_vae_model(model_file)
    if not isinstance(model, VaeStyleModel):
        raise ParameterError("model", f"expected a VAE style model (train_style_vae's "
                                      f"output), got {type(model).__name__}")
    return model.to(resolve_device(device))


@operator(check=check_vae_model_file, needs_one=VAE_MODEL, not_both=ONE_MODEL,
          made_by=VAE_TRAINER,
          folder_checks={"frames_dir": "imgfusion.video.store:store_folder_problem"})
def vae_style(content: VideoKind, model: Value | None = None, *, model_file: InputPath = None,
              strength: Annotated[float, Range(0, 1)] = 0.5, mode: VaeMode = "mean",
              refine: bool = True, smoothing: Annotated[float, Range(0, 0.99)] = 0.2,
              frames_dir: OutputPath = None, overwrite: bool = False, measures: bool = True,
              device: Device = "auto", seed: Seed = 0, progress: Progress = None,
              workdir: WorkDir = None) -> VaeStyleResult:
    """Shift an image's or a video's VAE codes toward the paintings: z' = mu + strength (m_paintings - m_frames), decoded and refined.

    Style an image or a video with a VAE trained by ``train_style_vae``; the content
    is resized to the model's size (the output has that size).  ``mode: legacy`` is
    the seed's ``z − 0.25 m_frames + 0.5 m_paintings`` on a sampled z (``strength``
    unused; the noise comes from ``seed``); ``sampled`` the mean shift on a sampled z
    (the ablation: what sampling costs).  The report gives ``shift_distance`` (of the
    mean shifted code), the probe's mean painting probability of the inputs' μ and of
    the re-encoded outputs, and with ``measures`` the mean Gram distance of inputs and
    outputs to the paintings and the content distance (all on the decoded frames,
    before smoothing), and for a video ``per_frame`` rows and the ``temporal_error`` of
    the frames as written.

    Parameters
    ----------
    content
        an image, or a video (streamed)
    model
        train_style_vae's model output
    model_file
        a style_vae model file (instead of model)
    strength
        alpha: 0 the frame's own code, 1 moved by the whole class difference
    mode
        mean: shift mu; legacy: the seed's z - 0.25 m_frames + 0.5 m_paintings on a
        sampled z; sampled: the mean shift on a sampled z
    refine
        run the refiner (when the model has one)
    smoothing
        video: weight of the previous output in the moving average
    frames_dir
        video: folder of the styled frames, written as they finish (null: none, styled
        as it is read)
    overwrite
        replace another run's frames in frames_dir
    measures
        report VGG Gram and content distances and the temporal error
    """
    m = resolve_model(model, model_file, device)
    s = _Settings(float(strength), mode, bool(refine), float(smoothing), int(seed))
    Smoother(s.smoothing)  # checks the range before any work
    tally = _Tally(m, _measure_encoder(m, measures))
    if not isinstance(content, Video):
        from ..style.checks import as_rgb

        if frames_dir is not None:
            raise ParameterError("frames_dir", "an image has no frames to keep; frames_dir "
                                               "is for a video (leave it out)")
        return _style_image(m, as_rgb(content, "content")[0], s, tally)
    settings = {"strength": strength, "mode": mode, "refine": s.refine, "smoothing":
                s.smoothing, "seed": int(seed), "source": content.source}
    store = _store(frames_dir, workdir, settings, m, overwrite)
    result = _style_video(m, content, s, tally, store, progress)
    if measures:
        _temporal(result.report, result.image, content)
    return result
