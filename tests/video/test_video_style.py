"""video_style: the temporal loss holds frames together; resume, determinism, variants.

Tiny frames (48 px), shallow layers and `weights: random`: these tests check the code
paths and the temporal properties, not the look.
"""
import json
import warnings

import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.style.weights import RandomWeightsWarning
from imgfusion.video.measures import temporal_errors
from imgfusion.video.stylize import video_style
from imgfusion.video.synthetic import camera_clip

from video_helpers import FAST


@pytest.fixture(scope="module")
def clip(astronaut, coffee):
    return camera_clip(astronaut, coffee, frames=4, size=(48, 48), pan=(1.0, 2.0), zoom=1.02,
                       velocity=(0.0, 2.0)).video()


@pytest.fixture(scope="module")
def style(hubble):
    return hubble[:160, :160]


@pytest.fixture(scope="module")
def temporal(clip, style, tmp_path_factory):
    folder = tmp_path_factory.mktemp("temporal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        return video_style(clip, style, frames_dir=folder, **FAST), folder


def test_temporal_loss_quarters_the_temporal_error(clip, style, temporal, tmp_path):
    """With Ruder's carry (the warped result as it is); the default carry keeps the
    detail the bilinear warp blurs away, which the measure (a bilinear warp too) counts
    as error: tests/video/test_video_drift.py bounds it."""
    independent = video_style(clip, style, frames_dir=tmp_path, temporal_weight=0,
                              frame_init="init", **FAST)
    ruder = video_style(clip, style, frames_dir=tmp_path / "ruder", carry="image", **FAST)
    held = np.mean(temporal_errors(ruder.video, clip, preset="fast"))
    free = np.mean(temporal_errors(independent.video, clip, preset="fast"))
    print(f"temporal error: {held:.2e} with the temporal loss, {free:.2e} without "
          f"(ratio {held / free:.3f})")
    assert held <= free / 4, (held, free)
    rows = temporal[0].report
    assert [r["frame"] for r in rows] == [0, 1, 2, 3]
    assert rows[0]["iterations"] == 12 and rows[1]["iterations"] == 6
    assert all(0 < r["occluded_fraction"] < 0.5 and r["temporal"] > 0 for r in rows[1:])
    assert all(r["temporal_error"] < 0.01 for r in rows[1:])


def test_interrupted_run_keeps_frames_and_resumes_to_the_same_pixels(clip, style, temporal,
                                                                     tmp_path):
    def stop_after_two(done, total, **info):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        video_style(clip, style, frames_dir=tmp_path, progress=stop_after_two, **FAST)
    assert sorted(p.name for p in tmp_path.glob("frame_*.png")) == ["frame_00001.png",
                                                                   "frame_00002.png"]
    ticks = []
    resumed = video_style(clip, style, frames_dir=tmp_path,
                          progress=lambda d, t, **i: ticks.append(d), **FAST)
    assert ticks == [3, 4]
    assert [r["frame"] for r in json.loads((tmp_path / "report.json").read_text())] == \
        [0, 1, 2, 3]
    for a, b in zip(resumed.video, temporal[0].video):   # deterministic for a seed
        assert np.array_equal(a, b)


def test_other_settings_do_not_resume_silently(clip, style, temporal):
    folder = temporal[1]
    with pytest.raises(ParameterError, match="frames_dir: .*other settings"):
        video_style(clip, style, frames_dir=folder, **{**FAST, "seed": 4})


def test_long_term_and_multi_pass_variants(clip, style, tmp_path):
    long = video_style(clip, style, frames_dir=tmp_path / "long", neighbours=[1, 2],
                       **{**FAST, "iterations": 3})
    assert len(long.report) == 4 and long.report[3]["temporal"] > 0
    three = camera_clip(np.asarray(list(clip)[0]), frames=3, size=(48, 48), radius=0).video()
    multi = video_style(three, style, frames_dir=tmp_path / "multi", passes=2,
                        temporal_from_pass=1, **{**FAST, "iterations": 3, "first_iterations": 3})
    order = [(r["pass"], r["frame"]) for r in multi.report]
    assert order == [(0, 0), (0, 1), (0, 2), (1, 2), (1, 1), (1, 0)]
    # the first frame of each sweep has no neighbour behind it in that direction
    assert [r["temporal"] > 0 for r in multi.report] == [False] * 4 + [True] * 2
    assert len(list(multi.video)) == 3


def test_bad_settings_name_the_field(clip, style, tmp_path):
    for kwargs, field in (({"neighbours": [0]}, "neighbours"),
                          ({"passes": 2, "neighbours": [1, 2]}, "neighbours"),
                          ({"passes": 2, "temporal_from_pass": 2}, "temporal_from_pass"),
                          ({"frame_init": "warp"}, "frame_init"),
                          ({"flow_method": "raft_large"}, "method")):
        with pytest.raises(ParameterError, match=f"^{field}:"):
            video_style(clip, style, frames_dir=tmp_path, **{**FAST, **kwargs})


@pytest.mark.parametrize("args, field", [("passes: 2, neighbours: [1, 2]", "neighbours"),
                                         ("passes: 2, temporal_from_pass: 5",
                                          "temporal_from_pass")])
def test_neighbours_and_passes_that_disagree_are_refused_at_validation(tmp_path, args, field):
    """Refused at run time only, after the recipe's earlier steps had written files."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    (tmp_path / "r.yaml").write_text(
        "imgfusion: 1\nsteps:\n  - {id: p, op: load, path: 'sample:astronaut'}\n"
        "  - {id: c, op: synthetic_video, background: $p, frames: 3, size: [32, 32]}\n"
        f"  - {{id: vs, op: video_style, video: $c, style: $p, frames_dir: f, {args}}}\n"
        "  - {op: save_video, video: $vs, path: vs.gif}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(tmp_path / "r.yaml")
    assert [(p.step, p.field) for p in err.value.problems] == [("vs", field)]


@pytest.fixture(scope="module")
def three(clip):
    return camera_clip(np.asarray(list(clip)[0]), frames=3, size=(48, 48), radius=0).video()


MULTI = {**FAST, "iterations": 3, "first_iterations": 3, "passes": 3, "temporal_from_pass": 1}


def test_multi_pass_resumes_to_the_same_pixels_whenever_it_is_stopped(three, style, tmp_path,
                                                                      monkeypatch):
    """Stopped mid-pass, or between writing a frame and counting it, or between counting
    it and moving it into place: the rerun ends with the uninterrupted run's pixels
    (each multi-pass frame starts from its own result of the pass before)."""
    from imgfusion.video import store

    whole = video_style(three, style, frames_dir=tmp_path / "whole", **MULTI)
    assert [(r["pass"], r["frame"]) for r in whole.report][3:6] == [(1, 2), (1, 1), (1, 0)]

    def stop_at(done, total, **info):     # stops after frame 4 of 9 (pass 1, frame 2)
        if done == 4:
            raise KeyboardInterrupt

    write_json = store.FrameStore._write_json

    def stop_at_state(when, after):
        def patched(self, name, value):
            hit = name == store.STATE and (value.get("pass"), value.get("done")) == when
            if hit and not after:
                raise KeyboardInterrupt      # the frame written, not yet counted
            write_json(self, name, value)
            if hit:
                raise KeyboardInterrupt      # counted, not yet moved into place
        return patched

    folder = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        video_style(three, style, frames_dir=folder, progress=stop_at, **MULTI)
    for when, after in (((1, 2), False), ((2, 1), True)):
        with monkeypatch.context() as m:
            m.setattr(store.FrameStore, "_write_json", stop_at_state(when, after))
            with pytest.raises(KeyboardInterrupt):
                video_style(three, style, frames_dir=folder, **MULTI)
    assert (folder / "pending").is_dir()          # the last stop left a frame to move
    resumed = video_style(three, style, frames_dir=folder, **MULTI)
    assert not any((folder / "pending").iterdir())
    assert [(r["pass"], r["frame"]) for r in resumed.report] == \
        [(r["pass"], r["frame"]) for r in whole.report]
    for a, b in zip(resumed.video, whole.video):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("op", ["video_style", "vae_style"])
def test_a_frames_dir_not_a_stores_is_refused_at_validation(tmp_path, op):
    """A folder of the user's own files, or a damaged state.json, was refused only at run
    time, after the recipe's earlier steps had written theirs; overwrite lets it go."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    styled = ("{id: vs, op: video_style, video: $c, style: $p, frames_dir: fr}"
              if op == "video_style" else
              "{id: vs, op: vae_style, content: $c, model_file: m.safetensors, frames_dir: fr}")
    (tmp_path / "m.safetensors").write_bytes(b"")   # the model file is checked elsewhere
    (tmp_path / "r.yaml").write_text(
        "imgfusion: 1\nsteps:\n  - {id: p, op: load, path: 'sample:astronaut'}\n"
        "  - {id: c, op: synthetic_video, background: $p, frames: 3, size: [32, 32]}\n"
        f"  - {styled}\n  - {{op: save_video, video: $vs, path: vs.gif}}\n")
    (tmp_path / "fr").mkdir()

    def problems(**kwargs) -> list:
        try:
            load_recipe(tmp_path / "r.yaml", **kwargs)
        except RecipeError as exc:
            return [p.message for p in exc.problems if p.field == "frames_dir"]
        return []

    assert problems() == []                                   # an empty folder is fine
    (tmp_path / "fr" / "frame_00001.png").write_bytes(b"mine")
    assert "holds no frames of a video_style or vae_style run" in problems()[0]
    (tmp_path / "fr" / "state.json").write_text("{bad")
    assert "state.json cannot be read" in problems()[0]
    assert problems(overwrite=True) == []
