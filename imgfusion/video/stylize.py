"""``video_style``: Gatys style on every frame, held together by Ruder et al.'s temporal loss.

Single pass: frame 0 is stylised from ``init`` with ``first_iterations``; frame t starts
from the carried earlier result (``carry``, warped by the flow t -> t-1) and is optimised
with the content, style and temporal losses (``neighbours``: 1 short-term, 1, 2, 4
long-term), then its colours are re-anchored to the first frame's (``anchor``); without
the temporal loss every frame is a single-image run.  Multi-pass (``passes`` > 1):
sweeps alternating in direction, each frame starting from ``(x + c · warped neighbour)
/ (1 + c)``, with the temporal loss from pass ``temporal_from_pass`` on (no anchor).

Every frame is written (16-bit PNG) to ``frames_dir`` as it finishes; a rerun with the
same settings resumes after the last finished frame, and Ctrl-C keeps every finished
frame.  The style part is :func:`imgfusion.style.transfer.neural_style` itself, called
once per frame with the temporal loss as its ``extra_loss``.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, replace
from typing import Annotated, Any, Callable, Iterator, NamedTuple, Sequence

import numpy as np

from ..errors import ParameterError
from ..layout.compose import composite
from ..style import checks
from ..limits import FEATHER_MAX, ITERATIONS_MAX, WEIGHT_MAX
from ..operators import (Data, Device, Fields, Images, Masks, OutputPath, Progress, Range, Seed,
                         WorkDir, operator)
from ..operators import Video as VideoKind
from ..style.options import (OutputSize, Speed, StyleColor, StyleFiles, StyleGuides, StyleInit,
                             StyleLosses, StyleSchedule)
from ..style.pipeline import StyleContext, StyleInputs, StyleSettings
from ..style.transfer import stylise
from .frames import as_video
from .limits import FRAMES_MAX, Anchor, Carry, FlowMethod, FlowPreset, FrameInit, MaskMethod
from .masks import guide_arrays, mask_plan, with_masks
from .reader import load_video, output_size
from .store import FrameStore, quantised
from .style_checks import check_video_style, checked_neighbours, refuse_image_init
from .style_setup import (frame_store, frames_at, frames_folder, progress_bar,
                          resolved_frame_init, style_key)
from .anchor import reference, style_mean
from .temporal import Target, TemporalLoss, blended_init, neighbour_targets

PER_FRAME_SCHEDULE = Fields("optimizer", "learning_rate", "iterations", "tolerance", "window")


class VideoStyleResult(NamedTuple):
    """The stylised clip (read from ``frames_dir``) and one report row per frame (and pass).

    Attributes
    ----------
    video
        the stylised frames, read from frames_dir
    report
        per frame: losses, iterations, seconds, fraction with c = 0, temporal error, mask
        fraction
    """

    video: VideoKind
    report: Data


class _Run(NamedTuple):
    style: Any
    settings: StyleSettings     # neural_style's options per frame (its iterations: per call)
    context: StyleContext
    first_iterations: int
    temporal_weight: float
    frame_init: str
    flow: dict
    progress: Callable | None
    total: int | None
    style_guides: Any = None    # with a mask and mask_method guided: the style's guide
    guided: bool = False
    carry: str = "image"        # what a stylised neighbour carries forward (temporal.carried)
    anchor: str = "off"         # single pass: colours held to the first frame's (anchor.py)

    def iterations(self, from_init: bool) -> int:
        """A frame started like a single image (from ``init``) gets ``first_iterations``."""
        return self.first_iterations if from_init else int(self.settings.schedule.iterations)

    def needs_flow(self) -> bool:
        """Independent frames (no temporal loss, each started from ``init``) need no flow."""
        return self.temporal_weight > 0 or self.frame_init != "init"


def _frame_settings(run: _Run, iterations: int, start: np.ndarray | None) -> StyleSettings:
    s = run.settings
    init = replace(s.init, init="image") if start is not None else s.init
    return replace(s, schedule=replace(s.schedule, iterations=iterations), init=init)


def _stylise(run: _Run, content: np.ndarray, targets: Sequence[Target], iterations: int,
             start: np.ndarray | None, temporal: bool,
             mask: np.ndarray | None = None,
             adjust: Callable | None = None) -> tuple[np.ndarray, dict]:
    """One frame: neural_style with the temporal loss, its colours re-anchored
    (``adjust``), then (with a mask) the result over the content frame through the
    mask, so that outside it the frame is the content's; a frame whose mask is empty
    is the content frame, not optimised."""
    if mask is not None and not (mask > 0).any():
        return quantised(content), dict.fromkeys(("content", "style", "tv", "total", "temporal",
                                                  "iterations", "seconds", "mask_fraction"), 0)
    loss = TemporalLoss(targets, run.temporal_weight) if temporal and targets and \
        run.temporal_weight > 0 else None
    guided = mask is not None and run.guided
    inputs = StyleInputs(content, run.style, start, mask[None] if guided else None,
                         run.style_guides if guided else None)
    t0 = time.perf_counter()
    result = stylise(inputs, _frame_settings(run, iterations, start),
                     run.context._replace(extra_loss=loss))
    image = result.image[..., :3] if adjust is None else adjust(result.image[..., :3])
    image = quantised(image if mask is None else composite(image, content, mask))
    last = result.loss_history[-1]
    row = {k: last[k] for k in ("content", "style", "tv", "total")}
    row["temporal"] = loss.value(image) if loss is not None else 0.0
    row.update(iterations=len(result.loss_history), seconds=round(time.perf_counter() - t0, 3))
    if mask is not None:
        row["mask_fraction"] = float(mask.mean())
    if targets:
        row.update(_consistency_row(image, targets[0], mask))
    return image, row


def _consistency_row(image: np.ndarray, target: Target, mask: np.ndarray | None) -> dict:
    """The fraction of (in-mask) pixels the temporal loss does not hold, and the
    temporal error over those it holds."""
    c = target.c
    inside = np.ones(c.shape, bool) if mask is None else mask > 0.5
    row = {"occluded_fraction": float((c[inside] < 0.5).mean()) if inside.any() else 0.0}
    diff = ((image - target.warped) ** 2)[c > 0.5]
    row["temporal_error"] = float(diff.mean()) if diff.size else float("nan")
    return row


def _targets(run: _Run, content: np.ndarray, near: list, mask) -> list[Target]:
    """The neighbours ``near`` carried into ``content`` (none when there are none)."""
    return neighbour_targets(content, near, **run.flow, region=mask, carry=run.carry) \
        if near else []


def _start(run: _Run, targets: Sequence[Target], current: np.ndarray | None):
    if current is not None:  # multi-pass: the frame's own result, blended with its neighbour
        return blended_init(current, targets[0]) if targets else current
    if not targets or run.frame_init == "init":
        return None
    return targets[0].warped if run.frame_init == "prev_warped" else None


def _single_pass(run: _Run, frames: Iterator[tuple], store: FrameStore,
                 neighbours: Sequence[int]) -> None:
    past: deque = deque(maxlen=max(neighbours))   # (content, stylised, mask), newest last
    ref, sigma = None, style_mean(run.style)   # the first stylised frame's colours
    for t, (content, mask) in enumerate(frames):
        if store.finished(0, t):
            past.append((content, store.read(t), mask))
            ref = ref or reference(run.anchor, sigma, *past[-1])
            continue
        near = [(j, *past[-j]) for j in sorted(neighbours) if j <= len(past)] \
            if run.needs_flow() else []
        targets = _targets(run, content, near, mask)
        start = _start(run, targets, None)
        if run.frame_init == "prev" and past:
            start = past[-1][1]
        iters = run.iterations(start is None)
        adjust = ref.adjuster(content, mask) if ref is not None and start is not None else None
        image, row = _stylise(run, content, targets, iters, start, True, mask, adjust)
        store.write(t, image, {"frame": t, "pass": 0, **row}, 0, t)
        past.append((content, image, mask))
        ref = ref or reference(run.anchor, sigma, *past[-1])
        _tick(run, t + 1, row)


def _multi_pass(run: _Run, frames: Iterator[tuple], store: FrameStore, passes: int,
                temporal_from: int) -> None:
    n, masked = 0, False
    for n, (content, mask) in enumerate(frames, 1):
        store.put_content(n - 1, content)
        if mask is not None:
            masked = True
            store.put_content(n - 1, mask, "mask")
    mask_at = (lambda i: store.content(i, "mask")) if masked else (lambda i: None)
    done = 0
    for p in range(passes):
        order = list(range(n)) if p % 2 == 0 else list(range(n - 1, -1, -1))
        step = 1 if p % 2 == 0 else -1
        if p and store.state["pass"] < p:
            store.next_pass(p)
        for k, i in enumerate(order):
            done += 1
            if store.finished(p, k):
                continue
            content = store.content(i)
            have = k > 0 or p > 0
            near = [(step, store.content(i - step), store.read(i - step), mask_at(i - step))] \
                if have and 0 <= i - step < n else []
            mask = mask_at(i)
            targets = _targets(run, content, near, mask)
            current = store.read(i) if p > 0 else None
            start = _start(run, targets, current)
            iters = run.iterations(start is None)
            image, row = _stylise(run, content, targets, iters, start, p >= temporal_from, mask)
            store.write(i, image, {"frame": i, "pass": p, **row}, p, k)
            _tick(run, done, row)


def _tick(run: _Run, done: int, row: dict) -> None:
    if run.progress is not None:
        info = {"loss": row["total"]}
        if "occluded_fraction" in row:
            info["c0"] = row["occluded_fraction"]
        run.progress(done, run.total, **info)



@operator(check=check_video_style, lockstep=("video", "mask"), same_size=("video", "mask"),
          folder_checks={"frames_dir": "imgfusion.video.store:store_folder_problem"})
def video_style(video: VideoKind, style: Images, mask: VideoKind | None = None,
                style_guides: Masks | None = None, *,
                frames_dir: OutputPath = "video_style_frames",
                first_iterations: Annotated[int | None, Range(1, ITERATIONS_MAX)] = None,
                temporal_weight: Annotated[float, Range(0, WEIGHT_MAX)] = 1e3,
                neighbours: Annotated[list[int], Range(1, FRAMES_MAX)] = (1,),
                frame_init: FrameInit = "auto", carry: Carry = "sharpened",
                anchor: Anchor = "mean_sharpness", passes: Annotated[int, Range(1, 1000)] = 1,
                temporal_from_pass: Annotated[int | None, Range(0, 1000)] = None,
                flow_method: FlowMethod = "dis", flow_preset: FlowPreset = "medium",
                mask_method: MaskMethod = "composite",
                mask_threshold: Annotated[float | None, Range(0, 1)] = None,
                feather: Annotated[float, Range(0, FEATHER_MAX)] = 0.0,
                guides: StyleGuides = StyleGuides(), overwrite: bool = False,
                size: OutputSize = None,
                init: Annotated[StyleInit, Fields("init")] = StyleInit(),
                losses: StyleLosses = StyleLosses(style_grid=2, style_grid_power=1.0),
                schedule: Annotated[StyleSchedule, PER_FRAME_SCHEDULE] = StyleSchedule(
                    iterations=200),
                color: StyleColor = StyleColor(),
                speed: Annotated[Speed, Fields("precision")] = Speed(),
                device: Device = "auto", seed: Seed = 0, progress: Progress = None,
                workdir: WorkDir = None) -> VideoStyleResult:
    """Neural style on every frame with Ruder et al.'s temporal loss (optical flow), resumable.

    Stylises every frame of ``video`` with temporal consistency (Ruder et al. 2016):
    :func:`~imgfusion.style.transfer.neural_style`'s options per frame (no ``pyramid``;
    ``init`` starts the first frame, never ``image``), ``iterations`` per frame and
    pass, ``first_iterations`` (default 2 x ``iterations``) for the first frame.  The
    temporal loss is a mean squared pixel error like the content loss is a mean squared
    feature error, held where c = 1.  A mask (a still mask or a mask video in lockstep,
    bool or float in [0, 1]; luminance of pictures) limits the style: outside it each
    frame is the content frame (exactly where the mask is 0, as a 16-bit PNG stores it);
    the temporal loss holds a pixel only inside the mask and where its warped earlier
    result was inside that frame's mask; a frame whose mask is empty is its content
    frame.  ``mask_method: guided`` is Gatys et al. 2017 spatial control (one style
    image, optionally limited to ``style_guides``, carried to each layer as
    ``guide_mode`` says, as in ``masked_style``), then the same composite.

    Parameters
    ----------
    video
        a video (load_video, or an operator run over one)
    style
        one style image or a list
    mask
        where to stylise: a still mask (every frame) or a mask video in lockstep with the
        clip; outside it the frames stay the content's
    style_guides
        mask_method guided: the part of the style image to take the style from
    frames_dir
        folder of the finished frames, report and resume state
    first_iterations
        for the first frame (default: 2 x iterations)
    temporal_weight
        weight of the temporal loss, a mean squared pixel error masked by c (0:
        independent frames)
    neighbours
        earlier frames held: [1] short-term, [1, 2, 4] long-term
    frame_init
        start of later frames: previous result warped, unwarped, or as frame 1 (with
        first_iterations); auto: init without the temporal loss (independent frames, each
        a single-image run on that frame, no flow computed), else prev_warped
    carry
        what an earlier result carries forward (temporal target, warped start): warped
        with a Lanczos kernel and the detail the warp lost put back (sharpened: the warp's
        blur does not compound), the Lanczos warp alone (sharp), warped bilinearly (image:
        Ruder et al.'s; blur compounds frame after frame), or its stylisation (result
        minus content) warped onto this frame's content
    anchor
        single pass: a frame started from an earlier result is moved back to the first
        frame's channel means, plus the share of the content's change that the first
        frame's stylisation kept, and (mean_sharpness, without a mask) to its
        sharpness times the content's change: an unconverged optimisation carried on
        frame after frame otherwise drifts darker or lighter, softer or sharper
        (:mod:`imgfusion.video.anchor`); off leaves them as optimised
    passes
        multi-pass: sweeps alternating in direction
    temporal_from_pass
        multi-pass: first pass with the temporal loss (default: the middle one)
    flow_method
        optical flow method
    flow_preset
        DIS preset
    mask_method
        composite: stylise all, keep it inside the mask; guided: Gatys 2017 guided Gram
        matrices (style loss inside the mask), then the same
    mask_threshold
        binarise each mask at this level (a mask clip from H.264 is never exactly 0 or
        1); null keeps it soft
    feather
        soften the mask over this many pixels inside its outline
    overwrite
        start again when frames_dir holds another run's frames
    size
        longest side of the output, or [rows, cols]; null (default) keeps the content's
        size
    init, losses, schedule, color, speed, guides
        neural_style's options, per frame (:mod:`imgfusion.style.options`)
    device, seed, progress, workdir
        engine context, as for neural_style
    """
    video = as_video(video, "video")
    passes = int(passes)
    temporal_from = passes // 2 if temporal_from_pass is None else int(temporal_from_pass)
    js = checked_neighbours(neighbours, passes, temporal_from)
    refuse_image_init(init.init)
    frame_init = resolved_frame_init(frame_init, temporal_weight)
    if schedule.pyramid is not None:
        raise ParameterError("pyramid", "video_style stylises every frame at the output size")
    clip_hw = video.size or video.first().shape[:2]
    hw = output_size(clip_hw, size)
    styles = [checks.as_rgb(s, "style")[0] for s in checks.style_list(style)]
    masks, guided = mask_plan(mask, video, hw, clip_hw, styles, method=mask_method,
                               threshold=mask_threshold, feather=feather,
                               style_guides=style_guides)
    mask_key, mask_arrays = masks.key() if masks is not None else (None, [])
    settings = StyleSettings(None, losses, replace(schedule, coarse_to_fine=0), StyleFiles(),
                             color, init, speed, guides)     # (every frame at the output size)
    first = int(first_iterations) if first_iterations is not None \
        else 2 * int(schedule.iterations)
    flow = {"method": flow_method, "preset": flow_preset,
            "device": "cpu" if device == "auto" else device}
    key = {"source": video.source, "frames": video.frames, "hw": hw,
           "options": style_key(settings, device, seed),
           "iterations": int(schedule.iterations), "first": first, "tw": temporal_weight,
           "neighbours": js, "frame_init": frame_init, "init": init.init, "passes": passes,
           "temporal_from": temporal_from, "flow": flow}
    if masks is not None:   # (a run without a mask keeps the fingerprint it always had)
        key.update(mask=mask_key, guides=asdict(guides) if guided else None)
    if carry != "image":    # (the carry every run had before it could be chosen)
        key["carry"] = carry
    if anchor != "off" and passes == 1:     # (no anchor before it could be chosen)
        key["anchor"] = anchor
    folder = frames_folder(frames_dir, workdir)
    store = frame_store(folder, key, [*styles, *mask_arrays,
                                 *(guide_arrays(style_guides) if guided else [])], overwrite)
    total = None if video.frames is None else video.frames * passes
    bar = progress_bar(total) if progress is None else None
    run = _Run(styles if len(styles) > 1 else styles[0], settings,
               StyleContext(device, int(seed)), first, float(temporal_weight), frame_init, flow,
               progress or bar, total, style_guides, guided, carry, anchor)
    frames = with_masks(frames_at(video, hw), masks, video.frames)
    try:
        if passes == 1:
            _single_pass(run, frames, store, js)
        else:
            _multi_pass(run, frames, store, passes, temporal_from)
    finally:
        if bar is not None:
            bar.close()
    return VideoStyleResult(load_video(path=str(folder), fps=video.fps), store.report)
