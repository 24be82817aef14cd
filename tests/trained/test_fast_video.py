"""fast_video_style: the network per frame, held to the warped previous output where the
flow is reliable.  Tiny random networks and short synthetic pans (48 px, 8 frames)."""
import numpy as np
import pytest
import torch

from imgfusion.cli import main
from imgfusion.io.read import read_image
from imgfusion.io.samples import sample_path
from imgfusion.trained import fast_video as fv
from imgfusion.trained.fast_style import FastStyleModel, fast_style
from imgfusion.trained.modelfile import save_model
from imgfusion.trained.transform_net import build
from imgfusion.video.drift import dimmed, drift, steady_pan
from imgfusion.video.flow import trusted_flow
from imgfusion.video.frames import from_frames
from imgfusion.video.measures import temporal_errors
from imgfusion.video.synthetic import camera_clip

ARCH = {"width": 4, "residual_blocks": 1, "output": "residual", "pad": 16}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return FastStyleModel(build(ARCH).eval(), {"kind": "fast_style", "arch": ARCH})


@pytest.fixture(scope="module")
def chelsea():
    return read_image(sample_path("sample:chelsea"))[..., :3]


@pytest.fixture(scope="module")
def pan(chelsea):
    """A sub-pixel pan with a zoom: the warps resample, the flow is estimated."""
    return camera_clip(chelsea, frames=8, size=(48, 48), radius=0, pan=(0.7, 1.6),
                       zoom=1.01).video()


def flickering(seed: int = 0):
    """A stand-in network that flickers: the frame plus fresh fine noise at every call."""
    rng = np.random.default_rng(seed)

    def style_frame(frame):
        noise = rng.normal(0, 0.08, frame.shape).astype(np.float32)
        return np.clip(frame + noise, 0, 1).astype(np.float32)
    return style_frame


def error(frames, clip) -> float:
    return float(np.mean(temporal_errors(from_frames(frames, clip.fps), clip)))


def test_weight_0_gives_exactly_fast_style_on_every_frame(model, pan):
    out = list(fv.fast_video_style(pan, model, temporal_weight=0))
    expected = [fast_style(f, model) for f in pan]
    assert len(out) == 8 and all(np.array_equal(a, b) for a, b in zip(out, expected))


def test_strength_reaches_every_frame(model, pan):
    out = list(fv.fast_video_style(pan, model, temporal_weight=0, strength=0.5))
    assert all(np.allclose(a, fast_style(f, model, strength=0.5), atol=1e-6)
               for a, f in zip(out, pan))


def test_the_weight_lowers_the_warped_difference_error(model, pan):
    per_frame = error(list(fv.fast_video_style(pan, model, temporal_weight=0)), pan)
    held = error(list(fv.fast_video_style(pan, model, temporal_weight=0.8)), pan)
    assert held < 0.7 * per_frame
    noisy = error(list(fv.consistent_frames(iter(pan), flickering(), weight=0)), pan)
    steady = error(list(fv.consistent_frames(iter(pan), flickering(), weight=0.8)), pan)
    assert steady < 0.3 * noisy


def test_a_static_clip_stays_frame_0s_output(model, chelsea):
    frame = np.ascontiguousarray(chelsea[100:148, 150:198])
    clip = from_frames([frame] * 5)
    out = list(fv.fast_video_style(clip, model, temporal_weight=0.9))
    first = fast_style(frame, model)
    assert all(np.array_equal(o, first) for o in out)   # the flow is 0, the warp exact


def test_pixels_without_a_reliable_flow_take_the_fresh_output(pan):
    frames = list(pan)
    fresh, previous_out = flickering(1)(frames[1]), flickering(2)(frames[0])
    flow = {"method": "dis", "preset": "medium", "device": "cpu"}
    _, c = trusted_flow(frames[1], frames[0], **flow)
    assert 0.01 < (c == 0).mean() < 0.6    # the pan brings new pixels in at two sides
    for keep in (True, False):
        out = fv.steadied(fresh, frames[1], (frames[0], previous_out, frames[0]),
                          weight=0.9, keep_sharpness=keep, flow=flow)
        assert np.array_equal(out[c == 0], fresh[c == 0])
        assert not np.allclose(out[c == 1], fresh[c == 1], atol=0.01)


def test_no_brightness_or_sharpness_drift_over_a_clip(chelsea):
    clip = steady_pan(chelsea, frames=8, size=48, pan=(0.5, 1.5)).video()
    base = drift(list(fv.consistent_frames(iter(clip), flickering(), weight=0)))
    kept = drift(list(fv.consistent_frames(iter(clip), flickering(), weight=0.8)))
    soft = drift(list(fv.consistent_frames(iter(clip), flickering(), weight=0.8,
                                           keep_sharpness=False)))
    assert abs(kept.luminance_ratio / base.luminance_ratio - 1) < 0.05
    assert abs(kept.sharpness_ratio / base.sharpness_ratio - 1) < 0.15
    assert soft.sharpness_ratio < 0.8 * base.sharpness_ratio   # what keep_sharpness is for


def test_a_fade_reaches_the_output_at_once_and_flicker_stays_held(chelsea):
    fade = dimmed(steady_pan(chelsea, frames=8, size=48, pan=(0.5, 1.5)).video(), 0.5)
    per_frame = list(fv.consistent_frames(iter(fade), flickering(), weight=0))
    held = list(fv.consistent_frames(iter(fade), flickering(), weight=0.9))
    lag = [h.mean() / p.mean() - 1 for h, p in zip(held, per_frame)]
    assert max(abs(v) for v in lag) < 0.03      # carrying the old output alone: 0.5 and more
    assert error(held, from_frames(fade)) < 0.5 * error(per_frame, from_frames(fade))


def test_the_broad_change_is_averaged_over_reliable_pixels_only():
    values = np.zeros((40, 40, 1), np.float32)
    values[:, :20] = 0.3                      # a change on the left...
    values[:, 20:] = 9.0                      # ...and garbage where the flow fails
    where = np.zeros((40, 40), bool)
    where[:, :20] = True
    (means,), trust = fv.broad_means([values], where)
    cols = np.linspace(0, 39, means.shape[1]) < 20
    assert np.allclose(means[:, cols], 0.3, atol=1e-5)   # the garbage never leaks in
    assert (trust[:, cols] > 0.3).all() and trust[:, ~cols].max() < trust[:, cols].min()


def test_no_reliable_pixel_lights_nothing(pan):
    frames = list(pan)
    gain = fv.lit((frames[1], frames[1]), (frames[0], frames[0]),
                  np.zeros((48, 48, 2), np.float32), np.zeros((48, 48), bool))
    assert np.array_equal(gain, np.ones((48, 48, 3), np.float32))


def test_alpha_and_grey_frames(model, pan):
    frames = [np.dstack([f, np.full(f.shape[:2], 0.5, np.float32)]) for f in pan]
    out = list(fv.fast_video_style(from_frames(frames), model, temporal_weight=0.8))
    assert all(o.shape == (48, 48, 4) and np.all(o[..., 3] == 0.5) for o in out)
    grey = list(fv.fast_video_style(from_frames([f[..., 0] for f in pan]), model))
    assert grey[0].shape == (48, 48, 3) and all(0 <= g.min() and g.max() <= 1 for g in grey)


def test_bad_inputs_name_the_field(model, pan):
    from imgfusion.errors import ParameterError

    with pytest.raises(ParameterError, match="temporal_weight"):
        fv.fast_video_style(pan, model, temporal_weight=1.5)
    with pytest.raises(ParameterError, match="sides of at least 16") as info:
        fv.fast_video_style(from_frames([np.zeros((8, 40, 3), np.float32)] * 2), model)
    assert info.value.field == "video"
    with pytest.raises(ParameterError, match="expected a video") as info:
        fv.fast_video_style(np.zeros((32, 32, 3), np.float32), model)
    assert info.value.field == "video"


RECIPE = """imgfusion: 1
steps:
  - id: photo
    op: load
    path: sample:chelsea
  - id: clip
    op: synthetic_video
    background: $photo
    frames: 3
    size: [32, 32]
    radius: 0
  - id: styled
    op: fast_video_style
    video: $clip.video
    model_file: {model}
    temporal_weight: {weight}
    flow_method: {method}
  - op: save_video
    path: frames
"""


def test_in_a_recipe_and_bad_values_exit_2_naming_step_and_field(model, tmp_path, capsys):
    path = save_model(tmp_path / "m.safetensors", model.net.state_dict(),
                      {"kind": "fast_style", "arch": ARCH})
    recipe = tmp_path / "r.yaml"
    for weight, method, needle in ((1.5, "dis", "field 'temporal_weight'"),
                                   (-0.1, "dis", "field 'temporal_weight'"),
                                   ("high", "dis", "field 'temporal_weight'"),
                                   (0.8, "lucas", "field 'flow_method'")):
        recipe.write_text(RECIPE.format(model=path, weight=weight, method=method))
        for command in ("validate", "run"):
            assert main([command, str(recipe)]) == 2
            err = capsys.readouterr().err
            assert f"step styled, {needle}" in err, err
    assert not (tmp_path / "frames").exists()
    recipe.write_text(RECIPE.format(model=path, weight=0.8, method="dis"))
    assert main(["run", str(recipe)]) == 0
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 3


def test_missing_raft_weights_name_the_flow_method_field(monkeypatch, tmp_path):
    import imgfusion.video.flow as flow
    from imgfusion.errors import ParameterError
    from imgfusion.trained.checks import check_fast_video
    from imgfusion.video.style_checks import check_video_style

    monkeypatch.setattr(flow, "raft_weights_path", lambda method: str(tmp_path / "no.pth"))
    for check in (check_fast_video, check_video_style):
        with pytest.raises(ParameterError, match="no.pth") as info:
            check({"flow_method": "raft_small"})
        assert info.value.field == "flow_method"


def test_the_clips_audio_goes_through(model, pan, tmp_path):
    from dataclasses import replace

    out = fv.fast_video_style(replace(pan, audio=tmp_path / "clip.mp4"), model)
    assert out.audio == tmp_path / "clip.mp4"
