"""Hostile recipes: each case is (name, recipe bytes, text its error must contain).

Every one must end quickly with exit status 2 and a message naming the field or
the line, in ``validate`` and in ``run`` alike, and must write nothing.
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
]
