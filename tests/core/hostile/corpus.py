"""Hostile recipes: each case is (name, recipe bytes, text its error must contain).

``OPTIONS`` are wrong types and values out of range for options of the style, video and
fast-style families.  Every one must end quickly with exit status 2 and a message naming
the field or the line, in ``validate`` and in ``run`` alike, and must write nothing.
"""
LOAD = "imgfusion: 1\nsteps:\n  - id: photo\n    op: load\n    path: sample:astronaut\n"


def _laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]")
    return "imgfusion: 1\ndescription:\n" + "".join(f"  {x}\n" for x in lines) + LOAD[13:]


def _sweep(n: int, key: str = "feather") -> str:
    values = ", ".join(str(i) for i in range(n))
    return f"  - op: shape_mask\n    size: [4, 4]\n    sweep:\n      {key}: [{values}]\n"


def _option(op: str, field: str, value: str) -> str:
    """A recipe whose step ``x`` (``op`` on the photo) sets ``field: value``."""
    inputs = {"neural_style": "content: $photo, style: $photo",
              "video_style": "video: $clip.video, style: $photo, frames_dir: frames",
              "train_fast_style": "content: [$photo], style: $photo, path: m.safetensors",
              "fast_video_style": "video: $clip.video, model_file: m.safetensors"}[op]
    clip = "  - {id: clip, op: synthetic_video, background: $photo, frames: 2}\n"
    return (LOAD + (clip if "video" in op else "")
            + f"  - {{id: x, op: {op}, {inputs}, {field}: {value}}}\n")


# last session's options: a wrong type or a value out of range, refused before anything runs
OPTIONS = [
    ("video_style", "anchor", "sharp", "'sharp' is not one of 'mean_sharpness', 'mean', 'off'"),
    ("video_style", "anchor", "[mean]", "expected str"),
    ("video_style", "style_grid", "0", "0 is below the minimum 1"),
    ("neural_style", "style_grid", "9", "9 is above the maximum 8"),
    ("neural_style", "style_grid", "2.5", "expected int"),
    ("neural_style", "tile_levels", "5", "5 is above the maximum 4"),
    ("neural_style", "tile_levels", "two", "expected int"),
    ("neural_style", "tile_depth", "0", "0 is below the minimum 1"),
    ("neural_style", "tile_joint", "2", "expected bool"),
    ("neural_style", "tile_overlap", "0.5", "0.5 is above the maximum 0.45"),
    ("neural_style", "tile_overlap", "true", "expected float, got a boolean"),
    ("neural_style", "coarse_to_fine", "-1", "-1 is below the minimum 0"),
    ("neural_style", "coarse_to_fine", "[128]", "expected int"),
    ("neural_style", "content_detail", "2", "expected bool"),
    ("neural_style", "content_detail", "[true]", "expected bool"),
    ("train_fast_style", "stability_weight", "-1", "-1.0 is below the minimum 0"),
    ("train_fast_style", "stability_weight", "high", "expected float"),
    ("train_fast_style", "content_budget", "1.5", "1.5 is above the maximum 1"),
    ("train_fast_style", "content_budget", "most", "expected float"),
    ("fast_video_style", "temporal_weight", "1.5", "1.5 is above the maximum 1"),
    ("fast_video_style", "keep_sharpness", "2", "expected bool"),
]

CASES = [
    ("billion_laughs", _laughs(), "alias *a0 is not allowed"),
    ("merge_key", LOAD + "    <<: {path: x.png}\n", "merge keys"),
    ("duplicate_steps", LOAD + "steps:\n  - op: load\n    path: sample:camera\n",
     "duplicate key 'steps' (first given at line 2)"),
    ("duplicate_step_key", LOAD + "    path: sample:camera\n", "duplicate key 'path'"),
    ("latin1", ("imgfusion: 1\ndescription: caf\xe9\n" + LOAD[13:]).encode("latin-1"),
     "not UTF-8"),
    ("utf16", LOAD.encode("utf-16"), "not UTF-8"),
    ("op_is_a_list", "imgfusion: 1\nsteps:\n  - op: [load]\n    path: sample:camera\n",
     "field 'op': expected an operator name"),
    ("id_is_a_mapping", "imgfusion: 1\nsteps:\n  - id: {a: 1}\n    op: load\n"
                        "    path: sample:camera\n", "field 'id'"),
    ("path_is_a_number", "imgfusion: 1\nsteps:\n  - op: load\n    path: 5\n", "field 'path'"),
    ("path_is_a_list", "imgfusion: 1\nsteps:\n  - op: load\n    path: [a, b]\n", "field 'path'"),
    ("integer_key", LOAD + "    3: x\n", "the key '3' is read as int"),
    ("bool_key", LOAD + "on: 1\n", "the key 'on' is read as bool"),
    ("nested_deep", "imgfusion: 1\ndescription: " + "[" * 5000 + "]" * 5000 + "\n" + LOAD[13:],
     "nested more than"),
    ("too_many_values", "imgfusion: 1\ndescription: [" + "1," * 300_000 + "]\n" + LOAD[13:],
     "more than 20000 values"),
    ("input_path_nul", 'imgfusion: 1\nsteps:\n  - op: load\n    path: "a\\0b.png"\n',
     "field 'path'"),
    ("input_path_too_long", f"imgfusion: 1\nsteps:\n  - op: load\n    path: {'a' * 300}.png\n",
     "field 'path'"),
    ("sweep_values_of_wrong_type", "imgfusion: 1\nsteps:\n" + _sweep(1).replace("[0]", "[a, {}]"),
     "field 'sweep.feather'"),
    ("sweep_one_list_too_long", "imgfusion: 1\nsteps:\n" + _sweep(15_000),
     "field 'sweep.feather': the sweep makes 15,000 variants"),
    ("sweep_million_by_propagation",
     "imgfusion: 1\nsteps:\n" + _sweep(1000) + _sweep(1000).replace("size: [4, 4]", "like: $shape_mask1"),
     "above the limit of 10,000"),
    ("op_is_a_huge_string", "imgfusion: 1\nsteps:\n  - op: " + "x" * 500_000 + "\n",
     "more characters)"),
    ("recipe_over_a_mebibyte", LOAD + "#" + "x" * (1 << 20) + "\n", "limited to 1 MiB"),
] + [(f"{op}_{field}_{value}", _option(op, field, value),
       f"step x, field '{field}': {needle}") for op, field, value, needle in OPTIONS]
