"""Any image operator on a video: per frame, lockstep, broadcast, streaming, errors."""
import numpy as np
import pytest

from imgfusion.engine import run_recipe
from imgfusion.errors import RecipeError, ParameterError
from imgfusion.gradient.blending import poisson_blend
from imgfusion.operators import Input, Operator, Output
from imgfusion.plugins import load_registry
from imgfusion.recipe import load_recipe
from imgfusion.values import Video
from imgfusion.video.frames import from_frames
from imgfusion.per_frame import call_operator
from imgfusion.video.reader import load_video

from video_helpers import noise_frames

BLEND = """
imgfusion: 1
steps:
  - id: bg
    op: load
    path: sample:astronaut
  - id: clip
    op: synthetic_video
    background: $bg
    frames: 3
    size: [40, 48]
  - id: logo
    op: load
    path: sample:logo
  - id: small
    op: resize
    image: $logo
    size: [16, 16]
  - id: disc
    op: shape_mask
    like: $small
  - id: blended
    op: poisson_blend
    source: $small
    target: $clip
    mask: $disc
    offset: [3, 5]
  - op: save_video
    video: $blended
    path: out/blended
"""


def test_poisson_blend_into_every_frame(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BLEND)
    result = run_recipe(load_recipe(recipe), progress=False)
    clip = list(result.output("clip"))
    logo, disc = result.output("small"), result.output("disc")
    saved = list(load_video(path=str(tmp_path / "out" / "blended")))
    assert len(saved) == 3
    for frame, got in zip(clip, saved):
        want = poisson_blend(logo, frame, disc, offset=(3, 5)).image
        assert np.abs(got - want[..., :3]).max() <= 0.5 / 255 + 1e-6
        assert np.abs(got[30:, 30:] - frame[30:, 30:]).max() <= 0.5 / 255 + 1e-6
    info = list(result.output("blended", "info"))
    assert len(info) == 3 and all("solver" in i for i in info)


def _op(func, inputs, outputs=(Output("image"),), params=()):
    return Operator(name="t", func=func, summary="t", inputs=inputs, outputs=outputs,
                    params=params)


def test_lockstep_videos_and_broadcast_still_image():
    a, b = noise_frames(4, seed=1), noise_frames(4, seed=2)
    still = np.full((20, 30, 3), 0.25, np.float32)
    op = _op(lambda x, y, z: x + y - z, [Input("x"), Input("y"), Input("z")])
    out = call_operator(op, {"x": from_frames(a), "y": from_frames(b), "z": still}, {}, {})
    video = out["image"]
    assert isinstance(video, Video) and video.frames == 4
    for k, frame in enumerate(video):
        assert np.allclose(frame, a[k] + b[k] - still)


def test_many_inputs_are_mapped_too():
    a, b = noise_frames(2, seed=1), noise_frames(2, seed=2)
    op = _op(lambda images: images[0] - images[1], [Input("images", many=True)])
    frames = list(call_operator(op, {"images": [from_frames(a), from_frames(b)]}, {}, {})["image"])
    assert np.allclose(frames[1], a[1] - b[1])


def test_mapping_is_lazy_and_per_frame():
    calls = []
    op = _op(lambda x: calls.append(1) or x * 2, [Input("x")])
    out = call_operator(op, {"x": from_frames(noise_frames(3))}, {}, {})
    assert calls == []
    it = iter(out["image"])
    next(it)
    assert calls == [1]
    assert len(list(it)) == 2 and len(calls) == 3


def test_mismatched_frame_counts_name_the_input():
    op = _op(lambda x, y: x + y, [Input("x"), Input("y")])
    with pytest.raises(ParameterError, match="y: videos advanced in lockstep .* x: 3, y: 2"):
        call_operator(op, {"x": from_frames(noise_frames(3)), "y": from_frames(noise_frames(2))},
                      {}, {})
    unknown = Video(lambda: iter(noise_frames(2)), fps=5)
    out = call_operator(op, {"x": from_frames(noise_frames(3)), "y": unknown}, {}, {})
    with pytest.raises(ParameterError, match="y: this video ended after 2 frames"):
        list(out["image"])


def test_a_frame_that_fails_names_the_step_that_maps_it(tmp_path):
    """Frames are computed as a later step reads them; the error names the step whose
    operator failed (poisson_blend), not the reader (save_video)."""
    from imgfusion.errors import StepFailed

    recipe = tmp_path / "r.yaml"
    # a placement by at: where it lands needs the mask, so only the frames tell
    recipe.write_text(BLEND.replace("offset: [3, 5]", "at: [300, 300]"))
    with pytest.raises(StepFailed, match=r"step blended \(poisson_blend\), field 'at'"):
        run_recipe(load_recipe(recipe), progress=False)


def test_a_video_into_save_is_refused_with_a_hint(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BLEND.replace("op: save_video\n    video: $blended\n    path: out/blended",
                                    "op: save\n    image: $blended\n    path: out/x.png"))
    with pytest.raises(RecipeError, match="field 'image'.*use save_video"):
        load_recipe(recipe)  # known from the recipe alone: refused before anything runs
    assert not (tmp_path / "out").exists()


def test_video_inputs_of_video_operators_are_not_mapped():
    seen = []
    op = _op(lambda video: seen.append(video) or 1, [Input("video", "video")],
             outputs=(Output("n", "data"),))
    v = from_frames(noise_frames(2))
    assert call_operator(op, {"video": v}, {}, {}) == {"n": 1} and seen == [v]


def test_ops_listing_imports_no_heavy_module():
    import subprocess
    import sys

    code = ("import sys; from imgfusion.plugins import load_registry; load_registry(); "
            "print(sorted(m for m in ('torch', 'cv2', 'av') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    assert "video_style" in load_registry(entry_points=False)


def test_gallery_video_recipes_validate(tmp_path):
    from pathlib import Path

    import imgfusion

    folder = Path(imgfusion.__file__).parent / "gallery_recipes"
    for name in ("video_style.yaml", "video_blend.yaml", "video_style_masked.yaml"):
        recipe = load_recipe(folder / name, out_dir=tmp_path)
        assert [s.op.name for s in recipe.steps if s.op.name == "save_video"]


def test_video_misuse_is_refused_at_validation(tmp_path):
    from imgfusion.errors import RecipeError

    recipe = tmp_path / "r.yaml"
    recipe.write_text(BLEND.replace("op: save_video\n    video: $blended\n    path: out/blended",
                                    "op: save\n    image: $blended\n    path: out/x.png")
                      + "  - id: other\n    op: synthetic_video\n    background: $bg\n"
                        "    frames: 5\n  - op: composite\n    foreground: $blended\n"
                        "    background: $other\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(recipe)
    problems = info.value.problems
    assert (problems[0].step, problems[0].field) == ("save7", "image")
    assert "use save_video" in problems[0].message
    assert problems[1].field == "background"
    assert "foreground: 3, background: 5" in problems[1].message
    assert problems[2].field == "foreground" and "but the background is" in problems[2].message
    assert len(problems) == 3
    assert not (tmp_path / "out").exists()
    good = tmp_path / "good.yaml"
    good.write_text(BLEND)
    load_recipe(good)


def test_a_long_clip_streams_through_an_operator_in_bounded_memory(tmp_path):
    """300 frames of 96 x 128 (42 MB as float32) through a mapped operator into an mp4:
    Python-side peak memory stays a few frames' worth."""
    import tracemalloc

    from imgfusion.video.writer import save_video

    frame_bytes = 96 * 128 * 3 * 4

    def frames():
        rng = np.random.default_rng(0)
        for _ in range(300):
            yield rng.random((96, 128, 3), dtype=np.float32)

    op = _op(lambda x: 1 - x, [Input("x")])
    mapped = call_operator(op, {"x": Video(frames, fps=25, frames=300)}, {}, {})["image"]
    tracemalloc.start()
    save_video(mapped, path="long.mp4", workdir=tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 12 * frame_bytes, peak / frame_bytes
    assert load_video(path=str(tmp_path / "long.mp4")).frames == 300


def test_a_video_given_as_a_style_says_a_still_image_is_wanted(tmp_path):
    """It said 'receives a video, and video_style writes one file per call', which left
    the user to guess that the style must be a still image."""
    from imgfusion.errors import RecipeError

    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - {id: p, op: load, path: 'sample:astronaut'}\n"
                      "  - {id: c, op: synthetic_video, background: $p, frames: 2}\n"
                      "  - {id: vs, op: video_style, video: $c, style: $c, frames_dir: f}\n"
                      "  - {op: save_video, video: $vs, path: vs.gif}\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(recipe)
    [problem] = info.value.problems
    assert problem.field == "style[0]" and "video_style takes a still image" in problem.message


def test_a_frame_that_fails_is_named():
    """A per-frame failure (an empty mask as the disc left the picture) named no frame."""
    from imgfusion.errors import ParameterError

    def pick(x):
        if x.mean() > 0.5:
            raise ParameterError("mask", "the mask is empty")
        return x

    frames = [np.full((4, 4, 3), v, np.float32) for v in (0.1, 0.2, 0.9, 0.3)]
    video = call_operator(_op(pick, [Input("x")]), {"x": from_frames(frames)}, {}, {})["image"]
    with pytest.raises(ParameterError, match=r"the mask is empty \(frame 3\)$") as info:
        list(video)
    assert info.value.field == "mask"
    after = call_operator(_op(lambda x: x, [Input("x")]), {"x": video}, {}, {})["image"]
    with pytest.raises(ParameterError, match=r"empty \(frame 3\)$"):   # named once, by
        list(after)                                                    # the step that failed
