"""Every kind of recipe error is reported, all at once, naming step and field."""
import pytest

from imgfusion.errors import RecipeError
from imgfusion.recipe import load_recipe


def problems(path, **kw):
    with pytest.raises(RecipeError) as info:
        load_recipe(path, **kw)
    return info.value.problems


def test_three_typos_give_three_errors_with_suggestions(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - id: a
            op: cnost
          - id: b
            op: const
            valeu: 0.3
          - id: c
            op: add
            image: $b
            amuont: 0.2
    """)
    found = problems(path)
    assert [(p.step, p.field, p.suggestion) for p in found] == [
        ("a", "op", "const"), ("b", "valeu", "value"), ("c", "amuont", "amount")]


@pytest.mark.parametrize("step, field, needle", [
    ("value: 2.0", "value", "above the maximum 1"),
    ("value: high", "value", "expected float"),
    ("size: [3]", "size", "expected tuple[int, int]"),
    ("size: [0, 4]", "size", "below the minimum 1"),
    ("value: true", "value", "boolean"),
])
def test_wrong_types_and_ranges(write_recipe, step, field, needle):
    path = write_recipe(f"""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - id: a
            op: const
            {step}
    """)
    [p] = problems(path)
    assert (p.step, p.field) == ("a", field)
    assert needle in p.message


def test_references_missing_later_self_and_bad_output(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - id: a
            op: const
          - id: b
            op: add
            image: $bb
          - id: c
            op: add
            image: $d
          - id: d
            op: add
            image: $d
          - id: e
            op: add
            image: $a.mask
          - id: f
            op: add
            image: photo.png
    """)
    found = {p.step: p for p in problems(path)}
    assert "no step 'bb'" in found["b"].message and found["b"].suggestion == "b"
    assert "comes later" in found["c"].message
    assert "cycle" in found["d"].message
    assert "no output 'mask'" in found["e"].message
    assert "expected a reference" in found["f"].message
    assert all(p.field == "image" for p in found.values())


def test_duplicate_ids_and_non_mapping_steps(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - id: a
            op: const
          - id: a
            op: const
          - just a string
    """)
    found = problems(path)
    assert any(p.step == "a" and "duplicate id" in p.message for p in found)
    assert any(p.step == "#3" and "must be a mapping" in p.message for p in found)


def test_missing_input_file_and_unknown_top_level_key(write_recipe, tmp_path):
    path = write_recipe("""
        imgfusion: 1
        stpes: []
        plugins: [TOY]
        steps:
          - id: r
            op: read
            path: inputs/missing.npy
    """)
    found = problems(path)
    assert any(p.field == "stpes" and p.suggestion == "steps" for p in found)
    [missing] = [p for p in found if p.step == "r"]
    assert missing.field == "path" and "missing.npy" in missing.message


def test_data_output_cannot_feed_an_image_input(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - id: a
            op: const
          - id: w
            op: write
            path: x.npy
          - op: add
            image: $w
    """)
    [p] = problems(path)
    assert p.field == "image" and "data" in p.message


def test_missing_format_version_and_bad_device(write_recipe):
    path = write_recipe("""
        device: gpu
        plugins: [TOY]
        steps:
          - op: const
    """)
    fields = {p.field for p in problems(path)}
    assert fields == {"imgfusion", "device"}


def test_yaml_syntax_error_names_line_and_column(write_recipe):
    path = write_recipe("imgfusion: 1\nsteps:\n  - op: const\n    value: [1, 2\n")
    [p] = problems(path)
    assert "line" in p.message and "column" in p.message


def test_python_object_tags_are_refused(write_recipe, tmp_path):
    marker = tmp_path / "pwned"
    path = write_recipe(f"""
        imgfusion: 1
        steps:
          - op: !!python/object/apply:os.system ["touch {marker}"]
    """)
    [p] = problems(path)
    assert "safe loading" in p.message
    assert not marker.exists()


def test_recipe_must_be_a_mapping(write_recipe):
    [p] = problems(write_recipe("- op: const\n"))
    assert "mapping" in p.message


def test_existing_output_is_refused_unless_overwrite(write_recipe, tmp_path):
    (tmp_path / "x.npy").write_bytes(b"mine")
    text = """
        imgfusion: 1
        plugins: [TOY]
        steps:
          - op: const
          - op: write
            path: x.npy
    """
    [p] = problems(write_recipe(text))
    assert p.field == "path" and "exists" in p.message
    assert load_recipe(write_recipe(text), overwrite=True).steps[1].params["overwrite"] is True


def test_an_input_file_is_never_an_output(write_recipe, tmp_path):
    (tmp_path / "in.npy").write_bytes(b"x")
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - op: const
          - op: write
            path: recipe.yaml
            overwrite: true
    """)
    [p] = problems(path)
    assert "input of this recipe" in p.message


def test_two_steps_writing_one_file(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - op: const
          - op: write
            path: x.npy
          - op: write
            image: $const1
            path: x.npy
    """)
    [p] = problems(path)
    assert p.step == "write3" and "also written" in p.message


def test_sweep_errors(write_recipe):
    path = write_recipe("""
        imgfusion: 1
        plugins: [TOY]
        steps:
          - op: const
            sweep: {vale: [0.1], size: [[2, 2], [2]]}
    """)
    found = problems(path)
    assert {p.field for p in found} == {"sweep.vale", "sweep.size"}
    assert any(p.suggestion == "value" for p in found)


def test_corrupt_image_and_unbundled_sample_fail_before_anything_runs(write_recipe, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    path = write_recipe("""
        imgfusion: 1
        steps:
          - id: a
            op: load
            path: broken.png
          - id: b
            op: load_mask
            path: sample:eagle
          - op: save
            image: $a
            path: out.png
    """)
    found = {p.step: p for p in problems(path)}
    assert found["a"].field == "path" and "broken.png" in found["a"].message
    assert found["b"].field == "path" and "bundled samples" in found["b"].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.png", "recipe.yaml"]


def test_an_unquoted_off_is_the_word_where_the_choices_have_it(write_recipe):
    """YAML reads off as false; video_style's anchor: off was refused 'expected str, got
    False', and only 'off' in quotes worked (in a value, --set or a sweep)."""
    text = """
        imgfusion: 1
        steps:
          - {id: photo, op: load, path: "sample:astronaut"}
          - {id: clip, op: synthetic_video, background: $photo, frames: 2, size: [32, 32]}
          - {id: vs, op: video_style, video: $clip, style: $photo, frames_dir: fr, ANCHOR}
          - {op: save_video, video: $vs, path: vs.gif}
    """
    plain = load_recipe(write_recipe(text.replace("ANCHOR", "anchor: off")))
    assert plain.step("vs").params["anchor"] == "off"
    swept = load_recipe(write_recipe(text.replace("ANCHOR", "sweep: {anchor: [mean, off]}")))
    assert [v["anchor"] for v in swept.step("vs").variants] == ["mean", "off"]
    with pytest.raises(RecipeError, match="YAML reads on/yes unquoted as the boolean true"):
        load_recipe(write_recipe(text.replace("ANCHOR", "anchor: on")))


def test_a_malformed_set_is_reported_with_the_other_problems(write_recipe):
    """'--set bad' alone was reported; the other --set mistakes showed only after it was
    mended."""
    path = write_recipe("""
        imgfusion: 1
        steps:
          - {id: m, op: shape_mask, size: [4, 4]}
    """)
    with pytest.raises(RecipeError) as info:
        load_recipe(path, overrides=["m.nosuch=1", "nostep.x=1", "bad"])
    text = str(info.value)
    assert "3 problems" in text and "'bad': expected STEP.PARAM=VALUE" in text
    assert "no step with this id" in text and "unknown parameter of shape_mask" in text
