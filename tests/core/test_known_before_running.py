"""What can be known before anything runs is refused then (exit 2, nothing written), and
the errors name what the user wrote: fields that must agree, data sent to save, a device
this machine lacks, --out naming a file; placements given by ``at`` are reported as ``at``."""
import numpy as np
import pytest

from imgfusion.cli import main
from imgfusion.errors import ParameterError, RecipeError
from imgfusion.gradient.blending import poisson_blend
from imgfusion.recipe import load_recipe

BLEND = """
    imgfusion: 1
    steps:
      - {id: bg, op: load, path: "sample:rocket"}
      - {id: logo, op: load, path: "sample:logo"}
      - {id: m, op: load_mask, path: "sample:logo", channel: alpha}
      - {id: b, op: poisson_blend, source: $logo, mask: $m, target: $bg, at: [0.5, 0.5],
         units: fraction, PLACE}
      - {op: save, image: $b, path: b.png}
"""


def test_scale_and_fit_together_are_refused_at_validation(write_recipe):
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(BLEND.replace("PLACE", "scale: 0.5, fit: [0.2, 0.2]")))
    assert [(p.step, p.field) for p in info.value.problems] == [("b", "fit")]
    with pytest.raises(RecipeError) as info:   # one swept value of two disagrees
        load_recipe(write_recipe(BLEND.replace("PLACE", "fit: [0.2, 0.2], "
                                                        "sweep: {scale: [1.0, 0.5]}")))
    assert "scale or fit" in info.value.problems[0].message
    assert load_recipe(write_recipe(BLEND.replace("PLACE", "fit: [0.2, 0.2]")))


def coffee_and(*steps: str) -> str:
    """A recipe that loads the coffee photo as ``c``, then ``steps`` (flow mappings)."""
    return "\n".join(["imgfusion: 1", "steps:", '  - {id: c, op: load, path: "sample:coffee"}',
                      *(f"  - {step}" for step in steps)]) + "\n"


def refused(write_recipe, text: str) -> list:
    """The problems validation finds in ``text`` (it must find some)."""
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text))
    return info.value.problems


def test_data_sent_to_save_is_refused_at_validation(write_recipe):
    [problem] = refused(write_recipe, coffee_and("{id: g, op: gradient_reconstruct, image: $c}",
                                                 "{op: save, image: $g.info, path: info.png}"))
    assert problem.field == "image" and "data, not an image or a mask" in problem.message


def test_an_unavailable_device_is_refused_before_anything_runs(tmp_path, write_recipe,
                                                               capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    path = write_recipe("""
        imgfusion: 1
        steps:
          - {op: load, path: "sample:coffee"}
          - {op: save, path: c.png}
    """)
    for command in ("run", "validate"):
        assert main([command, str(path), "--device", "cuda", "--out",
                     str(tmp_path / "out")]) == 2
        assert "CUDA is not available" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    blend = write_recipe(coffee_and("{id: m, op: shape_mask, like: $c}",   # a solver's field
                                    "{id: g, op: poisson_blend, source: $c, target: $c, "
                                    "mask: $m, device: cuda}",
                                    "{op: save, image: $g, path: g.png}"))
    assert main(["run", str(blend), "--out", str(tmp_path / "out")]) == 2
    assert "step g, field 'device'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_out_naming_a_file_is_a_usage_error(tmp_path, write_recipe, capsys):
    path = write_recipe("""
        imgfusion: 1
        steps:
          - {op: load, path: "sample:coffee"}
          - {op: save, path: c.png}
    """)
    assert main(["run", str(path), "--out", str(path)]) == 2
    assert "--out names a folder" in capsys.readouterr().err


def test_validate_marks_what_overwrite_set(write_recipe, capsys):
    path = write_recipe("""
        imgfusion: 1
        steps:
          - {op: load, path: "sample:coffee"}
          - {op: save, path: c.png}
    """)
    assert main(["validate", str(path), "--overwrite"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "      overwrite = True" in lines


def test_a_blend_placed_by_at_names_at():
    target = np.zeros((40, 40, 3), np.float32)
    source = np.ones((10, 10, 3), np.float32)
    with pytest.raises(ParameterError) as info:
        poisson_blend(source, target, np.ones((10, 10), bool), at=(2.0, 2.0),
                      units="fraction")
    assert info.value.field == "at" and "(2.0, 2.0)" in str(info.value)


def test_a_contact_sheet_label_no_image_carries_is_refused_at_validation(write_recipe):
    text = """
        imgfusion: 1
        steps:
          - {id: c, op: load, path: "sample:coffee"}
          - {id: small, op: resize, image: $c, sweep: {longest: [16, 24]}}
          - {id: grey, op: to_gray, image: $small}
          - {id: sheet, op: contact_sheet, images: [$small, $grey], rows: ROWS, cols: step}
    """
    assert load_recipe(write_recipe(text.replace("ROWS", "longest")))
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text.replace("ROWS", "longst")))
    [problem] = info.value.problems
    assert (problem.step, problem.field, problem.suggestion) == ("sheet", "rows", "longest")


def test_a_layer_vgg19_lacks_is_refused_at_validation(write_recipe):
    text = """
        imgfusion: 1
        steps:
          - {id: c, op: load, path: "sample:coffee"}
          - {id: clip, op: synthetic_video, background: $c, frames: 2, size: [16, 16]}
          - {id: n, op: OP, LAYERS: [relu1_1, relu9_9], weights: random}
    """
    for op, field, inputs in (("neural_style", "style_layers", "content: $c, style: $c"),
                              ("texture_synthesis", "style_layers", "style: $c"),
                              ("content_reconstruction", "content_layers", "content: $c"),
                              ("video_style", "style_layers", "video: $clip, style: $c"),
                              ("train_fast_style", "content_layers",
                               "content: [$c], style: $c, path: m.safetensors")):
        recipe = text.replace("OP", f"{op}, {inputs}").replace("LAYERS", field)
        with pytest.raises(RecipeError) as info:
            load_recipe(write_recipe(recipe))
        [problem] = info.value.problems
        assert (problem.step, problem.field) == ("n", field), op
        assert "relu9_9" in problem.message


def test_a_missing_input_another_step_writes_points_to_that_step(write_recipe):
    text = """
        imgfusion: 1
        steps:
          - {id: c, op: load, path: "sample:coffee"}
          - {id: s, op: save, image: $c, path: made.png}
          - {id: again, op: load, path: made.png}
    """
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text))
    [problem] = info.value.problems
    assert problem.field == "path" and "step s writes it" in problem.message
    assert problem.message.endswith("take $c instead")


def test_a_crop_window_outside_the_known_image_is_refused_at_validation(write_recipe):
    """The loaded image's size is known from its header: a window outside it is refused
    before the steps ahead of it run (on a video too, for each frame)."""
    text = """
        imgfusion: 1
        steps:
          - {id: c, op: load, path: "sample:coffee"}
          - {op: save, image: $c, path: first.png}
          - {id: cr, op: crop, image: $c, origin: ORIGIN, size: [40, 40]}
          - {id: clip, op: synthetic_video, background: $c, frames: 2, size: [32, 32]}
          - {id: vc, op: crop, image: $clip, origin: [0, 0], size: [40, 40]}
    """
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text.replace("ORIGIN", "[500, 0]")))
    found = [(p.step, p.field) for p in info.value.problems]
    assert found == [("cr", "origin"), ("vc", "size")]
    assert "each frame" in info.value.problems[1].message
    with pytest.raises(RecipeError) as info:   # the crop is fine; the clip's is not
        load_recipe(write_recipe(text.replace("ORIGIN", "[360, 560]")))
    assert [(p.step, p.field) for p in info.value.problems] == [("vc", "size")]


def test_a_stylised_cutouts_piece_is_not_taken_for_the_photos_size(write_recipe):
    """stylize_and_blend's image has the target's size, its piece the cutout's: a crop of
    the piece larger than the target is fine."""
    text = """
        imgfusion: 1
        steps:
          - {id: c, op: load, path: "sample:coffee"}
          - {id: src, op: resize, image: $c, size: [60, 80]}
          - {id: tgt, op: resize, image: $c, size: [40, 40]}
          - {id: m, op: shape_mask, like: $src, shape: rectangle, extent: [0.5, 0.5]}
          - {id: sb, op: stylize_and_blend, source: $src, target: $tgt, mask: $m, style: $c,
             margin: 16, weights: random}
          - {id: pc, op: crop, image: $sb.piece, origin: [0, 0], size: [50, 50]}
          - {id: whole, op: crop, image: $sb, origin: [0, 0], size: [SIDE, SIDE]}
    """
    assert load_recipe(write_recipe(text.replace("SIDE", "40")))
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text.replace("SIDE", "50")))
    assert [(p.step, p.field) for p in info.value.problems] == [("whole", "size")]


@pytest.mark.parametrize("step,field", [
    ("{op: color_change, image: $c, mask: $m, solver: fft}", "solver"),
    ("{op: color_change, image: $c, mask: $m, color: [0, 0, 0]}", "color"),
    ("{op: texture_flatten, image: $c, mask: $m, low_threshold: 0.5, high_threshold: 0.2}",
     "low_threshold"),
    ("{op: poisson_blend, source: $c, target: $c, mask: $m, solver: direct, device: cuda}",
     "solver"),
    ("{op: stylize_and_blend, source: $c, target: $c, mask: $m, style: $c, solver: fft}",
     "solver"),
    ("{op: stylize_and_blend, source: $c, target: $c, mask: $m, style: $c, "
     "pyramid: [[16, 2]]}", "pyramid"),
])
def test_parameters_that_disagree_are_refused_before_the_steps_ahead_run(write_recipe, step,
                                                                         field):
    text = f"""
        imgfusion: 1
        steps:
          - {{id: c, op: load, path: "sample:coffee"}}
          - {{op: save, image: $c, path: first.png}}
          - {{id: m, op: shape_mask, like: $c}}
          - {{id: x, {step[1:]}
    """
    with pytest.raises(RecipeError) as info:
        load_recipe(write_recipe(text))
    assert [(p.step, p.field) for p in info.value.problems] == [("x", field)]


def test_a_masked_style_mask_of_another_size_is_refused_at_validation(write_recipe):
    """Its masks are a list: each listed reference is held to the content's size."""
    text = coffee_and("{id: a, op: shape_mask, like: $c}",
                      "{id: b, op: shape_mask, size: [SIDE, 600]}",
                      "{id: ms, op: masked_style, content: $c, style: [$c, $c], "
                      "mask: [$a, $b], method: regions, weights: random}")
    assert load_recipe(write_recipe(text.replace("SIDE", "400")))
    problems = refused(write_recipe, text.replace("SIDE", "300"))
    assert [(p.step, p.field) for p in problems] == [("ms", "mask")]
    assert "300 x 600" in problems[0].message


def test_a_step_nobody_uses_is_named_before_the_run(write_recipe, capsys, tmp_path):
    # a lazily computed video step whose frames nothing reads never runs: say so
    text = coffee_and("{id: clip, op: synthetic_video, background: $c, frames: 2}",
                      "{id: dim, op: to_gray, image: $c}",
                      "{id: kept, op: save, image: $c, path: c.png}")
    assert main(["validate", str(write_recipe(text))]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if "warning: step " in x]
    assert len(lines) == 2 and "step clip (synthetic_video): no step uses" in lines[0]
    assert "step dim (" in lines[1] and "save it, or remove" in lines[1]
    assert main(["run", str(write_recipe(text)), "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err.count("imgfusion: warning: step ") == 2


def test_a_step_without_its_model_or_its_training_data_is_refused(write_recipe):
    # before, each failed at run time, after the steps ahead of it had written their files
    text = coffee_and("{id: f, op: fast_style, image: $c}",
                      "{id: fv, op: fast_video_style, video: $c}",
                      "{id: t, op: train_fast_style, style: $c, path: m.safetensors}",
                      "{id: v, op: train_style_vae, frames_dir: ., path: v.safetensors}",
                      "{op: save, image: $f, path: f.png}")
    problems = refused(write_recipe, text)
    assert [(p.step, p.field) for p in problems] == [
        ("f", "model"), ("fv", "model"), ("t", "content"), ("v", "paintings")]
    assert "model (a train_fast_style step's model, $STEP.model) or model_file" \
        in problems[0].message
    swept = coffee_and("{id: f, op: fast_style, image: $c, sweep: {model_file: [a, b]}}")
    assert all(p.field != "model" for p in refused(write_recipe, swept))


def test_clips_of_other_lengths_are_refused_where_they_run_in_lockstep(write_recipe):
    text = coffee_and("{id: a, op: synthetic_video, background: $c, frames: 6, size: [16, 16]}",
                      "{id: b, op: synthetic_video, background: $c, frames: 4, size: [16, 16]}",
                      "{id: sheet, op: contact_sheet, images: [$a, $b]}",
                      "{op: save_video, video: $sheet, path: s.gif}",
                      "{id: te, op: temporal_error, videos: [$b], content: $a}",
                      "{op: save_json, data: $te, path: te.json}")
    problems = refused(write_recipe, text)   # temporal_error scores a shorter clip: allowed
    assert [(p.step, p.field) for p in problems] == [("sheet", "images[1]")]
    assert "images[0]: 6, images[1]: 4" in problems[0].message
    [sent] = refused(write_recipe, coffee_and(   # once, not again as "one file per call"
        "{id: a, op: synthetic_video, background: $c, frames: 2}",
        "{op: save_json, data: $a, path: a.json}"))
    assert "output, a video, not data" in sent.message


def test_a_zoom_the_clip_cannot_hold_is_refused_naming_zoom(write_recipe):
    # 1.01 over 100,000 frames overflowed mid-run (OverflowError, no field named)
    [problem] = refused(write_recipe, coffee_and(
        "{id: a, op: synthetic_video, background: $c, frames: 100000, size: [16, 16]}",
        "{op: save_video, video: $a, path: a}"))
    assert (problem.step, problem.field) == ("a", "zoom") and "e^995.0" in problem.message
    assert load_recipe(write_recipe(coffee_and(
        "{id: a, op: synthetic_video, background: $c, frames: 3000, zoom: 1.01}",
        "{op: save_video, video: $a, path: a}")))


def test_optical_flow_of_one_frame_is_refused(write_recipe, tmp_path):
    from imgfusion.video.flow_op import optical_flow
    from imgfusion.video.frames import from_frames

    with pytest.raises(ParameterError, match="video: the video has 1 frame"):
        optical_flow(from_frames(np.zeros((1, 8, 8, 3), np.float32)))
    from imgfusion.video.writer import save_video

    two = np.stack([np.zeros((8, 8, 3), np.float32), np.ones((8, 8, 3), np.float32)])
    save_video(from_frames(two), path="a.gif", workdir=tmp_path)
    [problem] = refused(write_recipe, coffee_and(
        "{id: one, op: load_video, path: a.gif, start: 1}",
        "{id: f, op: optical_flow, video: $one}",
        "{op: save_video, video: $f, path: f.gif}"))
    assert (problem.step, problem.field) == ("f", "video")


@pytest.mark.parametrize("given, field", [("anchor: top_left", "anchor"),
                                          ("units: fraction", "units")])
def test_placement_keys_that_do_nothing_without_at_are_refused(write_recipe, given, field):
    # before, anchor and units were silently ignored: offset places the top-left corner
    text = coffee_and("{id: l, op: load, path: \"sample:logo\"}",
                      f"{{id: p, op: place, image: $l, onto: $c, offset: [10, 10], {given}}}",
                      "{op: save, image: $p, path: p.png}")
    [problem] = refused(write_recipe, text)
    assert (problem.step, problem.field) == ("p", field) and "give at" in problem.message
    assert load_recipe(write_recipe(text.replace("offset: [10, 10]", "at: [0.5, 0.5]")))
    if field == "units":   # units are fit's too
        assert load_recipe(write_recipe(text.replace("offset: [10, 10]", "fit: [0.5, 0.5]")))


def test_a_missing_folder_is_called_a_folder(write_recipe):
    [problem] = refused(write_recipe, coffee_and(
        "{id: t, op: train_fast_style, content_dir: nowhere, style: $c, path: m.safetensors}"))
    assert problem.field == "content_dir" and problem.message.startswith("input folder '")


@pytest.mark.parametrize("box, units, says", [
    ("[0.8, 0.2, 0.2, 0.8]", "fraction", "bottom below top"),
    ("[10, 20, 100, 200]", "fraction", "for pixels set units: px"),
    ("[50, 60, 40, 90]", "px", "bottom below top")])
def test_a_cut_out_box_that_cannot_hold_an_object_is_refused(write_recipe, box, units, says):
    [problem] = refused(write_recipe, coffee_and(
        f"{{id: k, op: cut_out, image: $c, box: {box}, units: {units}}}",
        "{op: save, image: $k, path: k.png}"))
    assert (problem.step, problem.field) == ("k", "box") and says in problem.message


@pytest.mark.parametrize("shape", ["ellipse", "rectangle"])
def test_a_shape_that_covers_no_pixel_of_its_size_is_refused(write_recipe, shape):
    text = coffee_and(f"{{id: m, op: shape_mask, size: [40, 40], shape: {shape}, "
                      "extent: [0.01, 0.5], center: [0.5, 0.5]}",
                      "{op: save, image: $m, path: m.png}")
    [problem] = refused(write_recipe, text)   # 0.4 px tall, between two rows' centres
    assert (problem.step, problem.field) == ("m", "extent")
    assert load_recipe(write_recipe(text.replace("0.01, 0.5", "0.05, 0.5")))   # 2 px


def test_a_composite_of_two_sizes_without_a_placement_is_refused(write_recipe):
    text = coffee_and("{id: r, op: resize, image: $c, size: [50, 60]}",
                      "{id: m, op: shape_mask, like: $r}",
                      "{id: k, op: composite, foreground: $r, background: $c, mask: $m}",
                      "{op: save, image: $k, path: k.png}")
    [problem] = refused(write_recipe, text)
    assert (problem.step, problem.field) == ("k", "foreground") and "give at" in problem.message
    assert load_recipe(write_recipe(text.replace("mask: $m}", "mask: $m, at: [10, 10]}")))


@pytest.mark.parametrize("op, names", [("place", "image: $r, onto: $c"),
                                       ("poisson_blend", "source: $r, target: $c"),
                                       ("keep_colors_blend", "source: $r, target: $c")])
def test_an_offset_that_lands_wholly_outside_is_refused(write_recipe, op, names):
    text = coffee_and("{id: r, op: resize, image: $c, size: [20, 20]}",
                      "{id: m, op: shape_mask, like: $r}",
                      f"{{id: p, op: {op}, {names}, mask: $m, offset: [400, 0]}}",
                      "{op: save, image: $p, path: p.png}")
    [problem] = refused(write_recipe, text)
    assert (problem.step, problem.field) == ("p", "offset") and "entirely outside" in \
        problem.message
    assert load_recipe(write_recipe(text.replace("[400, 0]", "[390, 0]")))   # coffee: 400 rows


def test_a_quality_preset_never_replaces_a_value_the_recipe_gives(write_recipe):
    # iterations: 300 given with quality: draft used to run 100 and record 300
    text = coffee_and("{id: ns, op: neural_style, content: $c, style: $c, size: 24, "
                      "weights: random, quality: draft, iterations: 300, tolerance: 0}",
                      "{op: save, image: $ns, path: ns.png}")
    [problem] = refused(write_recipe, text)
    assert (problem.step, problem.field) == ("ns", "iterations")
    assert "quality draft replaces with 100" in problem.message
    # left out, the preset's values are written into the plan (run.json records them)
    step = load_recipe(write_recipe(text.replace(" iterations: 300,", ""))).step("ns")
    assert (step.params["iterations"], step.params["window"]) == (100, 20)
    assert step.params["tolerance"] == 0   # given: kept
    kept = load_recipe(write_recipe(text.replace("iterations: 300", "iterations: 250")))
    assert kept.step("ns").params["iterations"] == 250
