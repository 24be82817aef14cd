"""What a video file declares is held to: frame sizes to the pixel limit before decoding,
its frame count (a truncated clip is an error unless allow_short); a damaged resume file
is named; save_video to a folder records the final paths."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from imgfusion.cli import main
from imgfusion.errors import ParameterError
from imgfusion.video import reader
from imgfusion.video.reader import load_video, probe_video
from imgfusion.video.store import STATE, FrameStore

_spec = importlib.util.spec_from_file_location(
    "hostile_files", Path(__file__).parents[1] / "core" / "hostile" / "files.py")
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)


# -- the pixel limit ----------------------------------------------------------------------
def test_declared_frame_sizes_are_held_to_the_still_image_limit(tmp_path, monkeypatch):
    for path, side in ((files.huge_frames_mp4(tmp_path), 16000),
                       (files.huge_screen_gif(tmp_path), 12000)):
        with pytest.raises(ParameterError, match=f"declares {side} x {side} pixels") as info:
            probe_video(path)
        assert info.value.field == "path" and str(path) in str(info.value)
    small = tmp_path / "small.mp4"
    files.encode(small, "libx264", 3, size=(16, 16))
    assert probe_video(small).size == (16, 16)
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "200")
    with pytest.raises(ParameterError,   # in pixels: "0.0 megapixels" read as nothing
                       match=r"16 x 16 pixels \(256 pixels\), above the limit of 200 pixels"):
        probe_video(small)


def test_a_frame_larger_than_the_limit_is_refused_while_decoding(tmp_path, monkeypatch):
    small = tmp_path / "small.mp4"
    files.encode(small, "libx264", 3, size=(16, 16))
    video = load_video(path=str(small))
    monkeypatch.setattr(reader, "_check_frame_size", lambda stream, p: None)
    monkeypatch.setenv("IMGFUSION_MAX_PIXELS", "200")
    with pytest.raises(ParameterError, match="decoded frame declares 16 x 16"):
        next(iter(video))


# -- truncated clips ------------------------------------------------------------------------
def test_a_truncated_clip_is_refused_at_validation_unless_allowed(tmp_path, capsys):
    files.truncated_mp4(tmp_path)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - id: clip\n    op: load_video\n"
                      "    path: truncated.mp4\n  - op: save_video\n    path: out.mp4\n")
    assert main(["run", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "step clip, field 'path'" in err and "declares 10 frames" in err
    assert "allow_short" in err and not (tmp_path / "out.mp4").exists()
    recipe.write_text(recipe.read_text().replace("truncated.mp4\n",
                                                 "truncated.mp4\n    allow_short: true\n"))
    assert main(["run", str(recipe)]) == 0
    assert probe_video(tmp_path / "out.mp4").frames == 6


def test_a_short_clip_that_allow_short_accepts_keeps_its_shape_known_at_validation(tmp_path):
    """Validation's output probe reads the clip as load_video will (it dropped allow_short,
    and the clip's size and frame count became unknown)."""
    path = files.truncated_mp4(tmp_path)
    shape = reader.probe_output({"path": str(path), "allow_short": True}, {})
    assert shape.frames == 6
    with pytest.raises(ParameterError, match="allow_short"):
        reader.probe_output({"path": str(path)}, {})


def test_a_clip_that_decodes_short_is_an_error_unless_allowed(tmp_path, monkeypatch):
    clip = tmp_path / "c.mp4"
    files.encode(clip, "libx264", 5, size=(16, 16))
    real = reader._container_frames
    monkeypatch.setattr(reader, "_container_frames",
                        lambda p: (f for _, f in zip(range(3), real(p))))
    with pytest.raises(ParameterError, match="declares 5 frames, the file decodes only 3"):
        list(load_video(path=str(clip)))
    assert len(list(load_video(path=str(clip), allow_short=True))) == 3
    assert len(list(load_video(path=str(clip), stop=3))) == 3


# -- the resume folder ------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["{\"key\": \"k\", \"pass\": 0, \"do", "[1, 2]",
                                     "{\"key\": \"k\", \"pass\": \"x\", \"done\": 1}",
                                     "[" * 5000 + "]" * 5000])
def test_a_damaged_state_file_is_named_not_the_folders_owner(tmp_path, content):
    (tmp_path / "frame_00001.png").write_bytes(b"frame")
    (tmp_path / STATE).write_text(content)
    with pytest.raises(ParameterError) as info:
        FrameStore(tmp_path, "k")
    message = str(info.value)
    assert info.value.field == "frames_dir" and str(tmp_path / STATE) in message
    assert "holds no frames of" not in message
    assert (tmp_path / "frame_00001.png").exists()
    store = FrameStore(tmp_path, "k", overwrite=True)
    assert store.state["done"] == 0 and not (tmp_path / "frame_00001.png").exists()


def test_a_damaged_report_file_is_named(tmp_path):
    (tmp_path / STATE).write_text(json.dumps({"key": "k", "pass": 0, "done": 1}))
    (tmp_path / "report.json").write_text("{\"not\": \"rows\"}")
    with pytest.raises(ParameterError, match="report.json cannot be read"):
        FrameStore(tmp_path, "k")


# -- save_video to a folder -------------------------------------------------------------------
def test_save_video_to_a_folder_prints_and_records_the_final_paths(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - op: load\n    path: sample:camera\n"
                      "  - op: synthetic_video\n    frames: 3\n    size: [16, 16]\n"
                      "  - op: save_video\n    path: frames\n")
    assert main(["run", str(recipe)]) == 0
    printed = capsys.readouterr().out
    expected = [str(tmp_path / "frames" / f"frame_{n:05d}.png") for n in (1, 2, 3)]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["written"] == expected
    assert record["steps"][2]["variants"][0]["files"] == expected
    assert all(p in printed for p in expected) and ".part" not in printed
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == \
        [Path(p).name for p in expected]
    assert np.array_equal(sorted(p.name for p in tmp_path.iterdir()),
                          ["frames", "r.yaml", "run.json"])
