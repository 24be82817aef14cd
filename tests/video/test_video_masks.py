"""video_style with a mask: a still mask or a mask video; outside it the frames are the
content's, bit for bit; the temporal loss only holds what was stylised; bad masks are
refused before anything runs; a masked run resumes to the same pixels.

Tiny frames (48 px), shallow layers and `weights: random`, as in test_video_style.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.recipe import load_recipe
from imgfusion.video.flow import consistency, dense_flow, warp
from imgfusion.values import Video
from imgfusion.video.frames import from_frames
from imgfusion.video.masks import MaskSettings, frame_masks, with_masks
from imgfusion.video.stylize import video_style_flat as video_style
from imgfusion.video.synthetic import camera_clip
from imgfusion.video.temporal import neighbour_targets

from video_helpers import FAST


@pytest.fixture(scope="module")
def film(astronaut, coffee):
    """4 frames, 8-bit like any decoded clip (a 16-bit PNG holds them exactly), and the
    disc's masks."""
    clip = camera_clip(astronaut, coffee, frames=4, size=(48, 48), pan=(1.0, 2.0), zoom=1.02,
                       velocity=(0.0, 2.0))
    frames = [(np.round(f * 255) / 255).astype(np.float32) for f in clip.frames]
    return from_frames(frames, 12), clip.discs


@pytest.fixture(scope="module")
def style(hubble):
    return hubble[:160, :160]


@pytest.fixture(scope="module")
def still():
    m = np.zeros((48, 48), bool)
    m[8:40, 4:28] = True
    return m


@pytest.fixture(scope="module")
def disc_run(film, style, tmp_path_factory):
    video, discs = film
    folder = tmp_path_factory.mktemp("disc")
    return video_style(video, style, from_frames(discs, kind="mask"), frames_dir=folder,
                       mask_method="guided", **FAST)


def _outside_kept_inside_changed(result, video, masks):
    changes = []
    for t, (got, content, m) in enumerate(zip(result.video, video, masks)):
        assert np.array_equal(got[~m], content[~m]), t          # bit for bit
        changes.append(np.abs(got[m] - content[m]).mean())
    assert len(changes) == len(list(video))
    assert min(changes) > 0.005 and np.mean(changes) > 0.03, changes   # actually stylised


def test_still_mask_stylises_only_inside_on_every_frame(film, style, still, tmp_path):
    video, _ = film
    result = video_style(video, style, still, frames_dir=tmp_path, **FAST)
    _outside_kept_inside_changed(result, video, [still] * 4)
    assert all(abs(r["mask_fraction"] - still.mean()) < 1e-6 for r in result.report)
    assert all(r["temporal"] > 0 for r in result.report[1:])


def test_mask_video_follows_the_moving_disc(film, disc_run):
    video, discs = film
    _outside_kept_inside_changed(disc_run, video, discs)
    fractions = [r["mask_fraction"] for r in disc_run.report]
    assert fractions == pytest.approx([d.mean() for d in discs], abs=1e-6)


def test_the_temporal_loss_holds_only_pixels_stylised_before(film):
    """c is 0 outside this frame's mask and where the warped previous frame lay outside
    its mask (there the previous result is the unstylised content); elsewhere the
    plain consistency map."""
    video, discs = film
    f0, f1 = list(video)[:2]
    m0, m1 = discs[0].astype(np.float32), discs[1].astype(np.float32)
    target, = neighbour_targets(f1, [(1, f0, f0, m0)], method="dis", preset="fast", region=m1)
    to_prev = dense_flow(f1, f0, method="dis", preset="fast")
    plain = consistency(to_prev, dense_flow(f0, f1, method="dis", preset="fast"))
    was_inside = warp(m0, to_prev)
    assert not target.c[m1 == 0].any()
    assert not target.c[was_inside == 0].any()
    held = (m1 == 1) & (was_inside == 1)
    assert held.sum() > 50 and np.array_equal(target.c[held], plain[held])
    assert ((m1 == 1) & (was_inside == 0)).any()      # the disc moved: some pixels are new


def test_interrupted_masked_run_resumes_to_the_same_pixels(film, style, disc_run, tmp_path):
    video, discs = film

    def stop_after_two(done, total, **info):
        if done == 2:
            raise KeyboardInterrupt

    run = dict(frames_dir=tmp_path, mask_method="guided", **FAST)
    with pytest.raises(KeyboardInterrupt):
        video_style(video, style, from_frames(discs, kind="mask"), progress=stop_after_two, **run)
    resumed = video_style(video, style, from_frames(discs, kind="mask"), **run)
    for a, b in zip(resumed.video, disc_run.video):
        assert np.array_equal(a, b)
    other = [np.roll(d, 2, axis=1) for d in discs]   # another mask: not resumed silently
    with pytest.raises(ParameterError, match="^frames_dir: .*other settings"):
        video_style(video, style, from_frames(other, kind="mask"), **run)


def test_multi_pass_with_a_mask_video_keeps_the_outside(film, style, tmp_path):
    video, discs = film
    three = from_frames(list(video)[:3], 12)
    result = video_style(three, style, from_frames(discs[:3], kind="mask"), frames_dir=tmp_path,
                         passes=2, **{**FAST, "iterations": 3, "first_iterations": 3})
    _outside_kept_inside_changed(result, three, discs[:3])
    assert [r["temporal"] > 0 for r in result.report] == [False] * 4 + [True] * 2


def test_bad_masks_are_refused_before_anything_runs(film, style, still, tmp_path):
    video, discs = film
    folder = tmp_path / "frames"
    cases = [
        (from_frames(discs[:3], kind="mask"), "mask: the mask video has 3 frames but the clip "
                                              "has 4"),
        (from_frames([d[:40] for d in discs], kind="mask"), "mask: the mask is 40 x 48 but the "
                                                            "clip's frame .* is 48 x 48"),
        (still[:, :40], "mask: the mask is 48 x 40"),
        (still * 255.0, r"mask: .*values span \[0, 255\]"),
        (np.zeros((48, 48), bool), "mask: the mask is empty"),
    ]
    for mask, message in cases:
        with pytest.raises(ParameterError, match=f"^{message}"):
            video_style(video, style, mask, frames_dir=folder, **FAST)
    assert not folder.exists()
    for kwargs, field in (({"mask_method": "guided"}, "mask_method"),
                          ({"style_guides": [still]}, "style_guides"),
                          ({"mask_threshold": 2.0}, "mask_threshold")):
        with pytest.raises(ParameterError, match=f"^{field}:"):
            video_style(video, style, **({"mask": still} if field != "mask_method" else {}),
                        frames_dir=folder, **FAST, **kwargs)
    picture = np.stack([still] * 3, -1).astype(np.float32)   # a picture: its luminance
    assert np.array_equal(MaskSettings((48, 48), (48, 48)).prepare(picture), still)
    unknown = Video(lambda: iter(discs[:2]), fps=12, kind="mask")   # length not known
    with pytest.raises(ParameterError, match="^mask: the mask video ended after 2 frames"):
        video_style(video, style, unknown, frames_dir=folder,
                    **{**FAST, "iterations": 1, "first_iterations": 1})
    assert sorted(p.name for p in folder.glob("frame_*.png")) == ["frame_00001.png",
                                                                 "frame_00002.png"]


MASKED_RECIPE = """
imgfusion: 1
steps:
  - id: photo
    op: load
    path: sample:astronaut
  - id: clip
    op: synthetic_video
    background: $photo
    frames: 4
    size: [48, 48]
  - id: other
    op: synthetic_video
    background: $photo
    frames: {frames}
    size: {size}
  - id: styled
    op: video_style
    video: $clip
    style: $photo
    mask: $other.disc
    weights: random
"""


@pytest.mark.parametrize("frames, size, message", [
    (3, "[48, 48]", r"mask \(\$other.disc\) has 3 frames but video \(\$clip\) has 4; video "
                    "and mask run in lockstep"),
    (4, "[40, 48]", r"mask \(\$other.disc\) is 40 x 48 but video \(\$clip\) is 48 x 48"),
])
def test_a_recipe_with_a_mismatched_mask_video_is_refused_at_validation(tmp_path, frames, size,
                                                                         message):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MASKED_RECIPE.format(frames=frames, size=size))
    with pytest.raises(RecipeError, match=f"step styled, field 'mask'.*{message}"):
        load_recipe(recipe, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_recipe_stylises_the_disc_of_its_clip(tmp_path):
    """Through the engine: the synthetic clip's disc output, a mask video, reaches
    video_style whole (not mapped over), in lockstep with the clip; the default
    frames_dir is resolved inside the output folder like a given one."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MASKED_RECIPE.format(frames=4, size="[48, 48]").replace(
        "mask: $other.disc", "mask: $clip.disc\n    iterations: 2\n    "
                             "content_layers: [relu1_1]\n    style_layers: [relu1_1]"))
    result = run_recipe(load_recipe(recipe, out_dir=tmp_path / "out"), progress=False)
    clip, discs = result.output("clip"), result.output("clip", "disc")
    styled = list(result.output("styled"))
    assert len(styled) == 4
    frame4 = tmp_path / "out" / "video_style_frames" / "frame_00004.png"
    assert frame4.is_file()
    written = json.loads((tmp_path / "out" / "run.json").read_text())["written"]
    assert str(frame4) in written and all(Path(p).is_file() for p in written)  # not pending/
    for got, frame, disc in zip(styled, clip, discs):
        assert np.abs(got[~disc] - frame[~disc]).max() <= 0.5 / 65535 + 1e-7   # 16-bit PNG
        assert np.abs(got[disc] - frame[disc]).mean() > 0.005


@pytest.mark.parametrize("mask_frames, message", [
    (4, None), (5, "goes on after the clip's 4 frames"), (3, "ended after 3 frames")])
def test_a_mask_video_of_unknown_length_is_held_to_the_clip_as_it_plays(mask_frames, message):
    """A decoded mask clip may not know its length: lockstep is checked frame by frame,
    and the first mask frame is prepared once (the check's copy is the one yielded)."""
    disc = np.zeros((8, 8), np.float32)
    disc[2:6, 2:6] = 1
    known = from_frames([disc] * mask_frames)
    unknown = known.with_(frames=None)
    clip = [np.zeros((8, 8, 3), np.float32)] * 4
    masks = frame_masks(unknown, from_frames(clip), MaskSettings((8, 8), (8, 8)))
    if message is None:
        pairs = list(with_masks(iter(clip), masks, None))
        assert len(pairs) == 4 and pairs[0][1] is masks.first
        assert all(np.array_equal(m, disc) for _, m in pairs)
    else:
        with pytest.raises(ParameterError, match=message):
            list(with_masks(iter(clip), masks, None))
