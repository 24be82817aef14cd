"""load_video / save_video: round trips, ranges, bad input, atomic writes, audio."""
from pathlib import Path

import numpy as np
import pytest

from imgfusion.errors import ParameterError, RecipeError
from imgfusion.io.write import write_image
from imgfusion.recipe import load_recipe
from imgfusion.values import Video
from imgfusion.video.frames import from_frames
from imgfusion.video.reader import load_video, probe_video
from imgfusion.video.writer import save_video

from video_helpers import noise_frames


def smooth_frames(n, hw=(24, 32)):
    ys, xs = np.mgrid[0:hw[0], 0:hw[1]] / max(hw)
    return [np.stack([0.5 + 0.4 * np.sin(6 * xs + t), 0.5 + 0.4 * np.cos(5 * ys - t),
                      np.full(hw, t / n)], -1).astype(np.float32) for t in range(n)]


def test_folder_round_trip_is_exact_to_8_bits(tmp_path):
    frames = noise_frames(5)
    out = save_video(from_frames(frames, 10), path="clip", workdir=tmp_path)
    back = list(load_video(path=str(out)))
    assert len(back) == 5
    assert max(np.abs(a - b).max() for a, b in zip(frames, back)) <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize("ext", [".mp4", ".webm", ".gif"])
def test_container_round_trip_keeps_frames_rate_and_pixels(tmp_path, ext):
    frames = smooth_frames(6)
    out = save_video(from_frames(frames, 12), path="clip" + ext, workdir=tmp_path)
    info = probe_video(out)
    assert info.frames == 6 and info.size == (24, 32)
    assert abs(info.fps - 12) < 0.6          # GIF stores centiseconds: 12.5
    back = list(load_video(path=str(out)))
    err = np.mean([np.abs(a - b).mean() for a, b in zip(frames, back)])
    assert err < (0.04 if ext == ".gif" else 0.02)
    assert np.abs(back[5] - frames[5]).mean() < np.abs(back[5] - frames[0]).mean() / 2


def test_odd_sizes_are_padded_for_h264(tmp_path):
    with pytest.warns(UserWarning, match="21 x 33 frames are written 22 x 34"):
        out = save_video(from_frames(noise_frames(2, (21, 33)), 5), path="odd.mp4",
                         workdir=tmp_path)
    assert probe_video(out).size == (22, 34)


def test_range_step_and_resize(tmp_path):
    frames = noise_frames(10, (20, 40))
    folder = save_video(from_frames(frames, 20), path="f", workdir=tmp_path)
    video = load_video(path=str(folder), start=2, stop=9, step=3, size=20, fps=20)
    got = list(video)
    assert video.frames == len(got) == 3 and video.size == (10, 20)
    assert video.fps == 20
    full = list(load_video(path=str(folder), start=2, stop=9, step=3))
    assert np.allclose(full[1], frames[5], atol=0.5 / 255 + 1e-6)
    assert load_video(path=str(folder), step=2).fps == 12.5   # folders: 25 fps, divided by step


def test_frames_are_streamed_not_stored(tmp_path):
    opened = []

    def frames():
        opened.append(1)
        yield from noise_frames(3)

    video = Video(frames, fps=5, frames=3, size=(20, 30))
    assert opened == []
    save_video(video, path="v.mp4", workdir=tmp_path)
    assert opened == [1]


def test_bad_inputs_name_the_field(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x01garbage" * 100)
    (tmp_path / "empty.mp4").write_bytes(b"")
    gaps = tmp_path / "gaps"
    for i in (1, 2, 4):
        write_image(gaps / f"f_{i:03d}.png", np.zeros((4, 4, 3), np.float32))
    mixed = tmp_path / "mixed"
    write_image(mixed / "f_1.png", np.zeros((4, 4, 3), np.float32))
    write_image(mixed / "f_2.png", np.zeros((4, 5, 3), np.float32))
    (tmp_path / "none").mkdir()
    cases = {"missing.mp4": "no such", "bad.mp4": "cannot read", "empty.mp4": "empty",
             "gaps": "gaps (first missing: 3)", "mixed": "mixed sizes", "none": "no numbered"}
    for name, words in cases.items():
        with pytest.raises(ParameterError, match="path") as err:
            probe_video(tmp_path / name)
        assert words in str(err.value), name
    two = save_video(from_frames(noise_frames(2), 5), path="two", workdir=tmp_path)
    with pytest.raises(ParameterError, match="start: .*selects no frame"):
        load_video(path=str(two), start=5)


def test_recipe_validation_fails_before_running(tmp_path):
    (tmp_path / "bad.webm").write_bytes(b"not a video at all" * 50)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - id: clip\n    op: load_video\n"
                      "    path: bad.webm\n  - op: save_video\n    path: out.avi\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    text = str(err.value)
    assert "step clip, field 'path'" in text and "cannot read" in text
    assert "field 'path'" in text.split("\n")[-1] and ".avi" in text
    assert not (tmp_path / "out.avi").exists()


def test_failure_mid_write_leaves_nothing(tmp_path):
    def frames():
        yield from noise_frames(2)
        raise RuntimeError("decoder died")

    for name in ("v.mp4", "v.gif", "folder"):
        with pytest.raises(RuntimeError):
            save_video(Video(frames, fps=5), path=name, workdir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_and_inputs_are_not_overwritten(tmp_path):
    video = from_frames(noise_frames(2), 5)
    out = save_video(video, path="v.mp4", workdir=tmp_path)
    with pytest.raises(ParameterError, match="already exists"):
        save_video(video, path="v.mp4", workdir=tmp_path)
    with pytest.raises(ParameterError, match="input of this run"):
        save_video(video, path="v.mp4", workdir=tmp_path, overwrite=True, protect=[out])
    save_video(video, path="v.mp4", workdir=tmp_path, overwrite=True)


def test_a_gif_that_merges_repeated_frames_says_so(tmp_path):
    from imgfusion.video.writer import GifFramesWarning

    frames = np.zeros((4, 8, 8, 3), np.float32)
    frames[2] = 0.5   # frames 0 and 1 repeat: a GIF keeps them as one frame shown twice
    with pytest.warns(GifFramesWarning, match="1 frame.s. repeat .* 1 frame.s. fewer"):
        out = save_video(from_frames(frames, 10), path="a.gif", workdir=tmp_path)
    assert probe_video(out).frames == 3


def test_a_frame_folder_replaces_only_a_folder_of_frames(tmp_path):
    # overwrite replaces the frames of an earlier save_video, never the user's files
    clip = from_frames(smooth_frames(2))
    save_video(clip, path="shots", workdir=tmp_path)
    assert save_video(clip, path="shots", overwrite=True, workdir=tmp_path)
    write_image(tmp_path / "pics" / "cat.png", smooth_frames(1)[0])
    (tmp_path / "pics" / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="path.*not save_video's frames .cat.png, notes"):
        save_video(clip, path="pics", overwrite=True, workdir=tmp_path)
    assert sorted(p.name for p in (tmp_path / "pics").iterdir()) == ["cat.png", "notes.txt"]
    assert not list(tmp_path.glob(".pics*"))   # nothing half-written left


def _with_audio(path: Path, frames: int = 10, fps: int = 10):
    import av

    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 32, 24, "yuv420p"
        aus = out.add_stream("aac", rate=16000)
        for f in noise_frames(frames, (24, 32)):
            frame = av.VideoFrame.from_ndarray((f * 255).astype(np.uint8), format="rgb24")
            for p in vs.encode(frame):
                out.mux(p)
        tone = np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000).astype(np.float32)[None]
        aframe = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        aframe.sample_rate = 16000
        for p in [*aus.encode(aframe), *aus.encode(None)]:
            out.mux(p)
        for p in vs.encode(None):
            out.mux(p)


def test_audio_is_copied_from_the_source(tmp_path):
    import av

    src = tmp_path / "talk.mp4"
    _with_audio(src)
    video = load_video(path=str(src))
    assert probe_video(src).audio and video.audio == src
    out = save_video(video, path="copy.mp4", workdir=tmp_path, audio=True)
    with av.open(out) as c:
        assert len(c.streams.audio) == 1
        assert sum(1 for p in c.demux(c.streams.audio[0]) if p.size) > 5
    with pytest.raises(ParameterError, match="audio"):
        save_video(load_video(path=str(src), start=1), path="x.mp4", workdir=tmp_path, audio=True)
    # another rate changes the picture's length, not the sound's: refused, never drifting
    assert load_video(path=str(src), fps=5).audio is None
    with pytest.raises(ParameterError, match="fps: fps 20 changes the video's length"):
        save_video(video, path="y.mp4", workdir=tmp_path, audio=True, fps=20)
    assert not (tmp_path / "y.mp4").exists()


def test_frames_in_memory_where_a_video_belongs_point_to_from_frames():
    from imgfusion.video.flow_op import optical_flow

    frames = np.random.default_rng(0).random((3, 16, 20, 3)).astype(np.float32)
    for value in (frames, list(frames), "clip.mp4"):
        with pytest.raises(ParameterError) as err:
            optical_flow(value)
        assert err.value.field == "video" and "from_frames(frames, fps)" in str(err.value)
    video = from_frames(frames, fps=10)
    assert video.frames == 3 and np.array_equal(np.stack(list(video)), frames)
