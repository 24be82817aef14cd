"""Plugin loading: files, environment, blocking, isolation, failures, clashes."""
import os
import textwrap

import pytest

from imgfusion.errors import PluginError
from imgfusion.plugins import PluginLoadWarning, load_registry

GOOD = """
    import numpy as np
    from imgfusion import Image, hookimpl, operator

    @operator(name="{name}")
    def negate(image: Image) -> Image:
        '''Negate.'''
        return 1 - image

    @hookimpl
    def imgfusion_register_operators(register):
        register(negate)
"""


def plugin(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_plugin_file_adds_operators_and_registries_are_isolated(tmp_path):
    reg = load_registry([plugin(tmp_path, "neg", GOOD.format(name="negate"))],
                        entry_points=False)
    assert "negate" in reg and reg["negate"].source.endswith("neg.py")
    assert "negate" not in load_registry(entry_points=False)


def test_environment_plugin_list_and_deny_list(tmp_path, monkeypatch):
    a = plugin(tmp_path, "pa", GOOD.format(name="op_a"))
    b = plugin(tmp_path, "pb", GOOD.format(name="op_b"))
    monkeypatch.setenv("IMGFUSION_PLUGINS", f"{a}:{b}")
    monkeypatch.setenv("IMGFUSION_DISABLE_PLUGINS", "pb")
    reg = load_registry(entry_points=False)
    assert "op_a" in reg and "op_b" not in reg
    assert {p.name.rsplit("/", 1)[-1]: p.status for p in reg.plugins
            if p.kind == "file"} == {"pa.py": "loaded", "pb.py": "blocked"}


def test_broken_plugin_warns_and_the_others_keep_working(tmp_path, toy_plugin, monkeypatch):
    broken = plugin(tmp_path, "broken", "import no_such_module_anywhere\n")
    bad_hook = plugin(tmp_path, "badhook", """
        from imgfusion import hookimpl

        @hookimpl
        def imgfusion_register_operators(register):
            raise RuntimeError("hook exploded")
    """)
    ambient = os.pathsep.join(map(str, [broken, toy_plugin, bad_hook]))
    monkeypatch.setenv("IMGFUSION_PLUGINS", ambient)
    with pytest.warns(PluginLoadWarning) as caught:
        reg = load_registry(entry_points=False)  # ambient: IMGFUSION_PLUGINS
    assert len(caught) == 2
    assert "const" in reg
    status = {p.name.rsplit("/", 1)[-1]: (p.status, p.error) for p in reg.plugins}
    assert status["broken.py"][0] == "failed" and "no_such_module" in status["broken.py"][1]
    assert status["badhook.py"] == ("failed", "RuntimeError: hook exploded")


def test_strict_plugins_turns_a_failure_into_an_error(tmp_path):
    broken = plugin(tmp_path, "broken2", "raise ImportError('nope')\n")
    with pytest.raises(PluginError, match="broken2.py failed to load"):
        load_registry([broken], strict=True, entry_points=False)


def test_name_clash_names_both_sources(tmp_path):
    a = plugin(tmp_path, "one", GOOD.format(name="same"))
    b = plugin(tmp_path, "two", GOOD.format(name="same"))
    with pytest.raises(PluginError) as info:
        load_registry([a, b], entry_points=False)
    assert "one.py" in str(info.value) and "two.py" in str(info.value)


def test_clash_with_a_builtin_is_an_error_too(tmp_path):
    reg = load_registry(entry_points=False)
    name = reg.names()[0]
    clash = plugin(tmp_path, "clash", GOOD.format(name=name))
    with pytest.raises(PluginError, match="builtin plugin"):
        load_registry([clash], entry_points=False)


def test_an_operator_declaration_is_checked(tmp_path):
    wrong = plugin(tmp_path, "wrong", """
        from imgfusion import hookimpl

        @hookimpl
        def imgfusion_register_operators(register):
            register("not an operator")
    """)
    with pytest.raises(PluginError, match="not an @operator function"):
        load_registry([wrong], entry_points=False)


def test_a_named_plugin_registering_a_non_operator_is_warned_and_the_rest_works(
        tmp_path, monkeypatch):
    """It stopped every command (ops, plugins, run) with exit 2, where the README says a
    plugin that fails to register its operators is a warning and 'failed'."""
    from imgfusion.plugins import PluginLoadWarning

    wrong = plugin(tmp_path, "regfail", """
        from imgfusion import hookimpl

        @hookimpl
        def imgfusion_register_operators(register):
            register("no.such.module")
    """)
    monkeypatch.setenv("IMGFUSION_PLUGINS", str(wrong))
    with pytest.warns(PluginLoadWarning, match="regfail.py failed to load"):
        registry = load_registry(entry_points=False)
    [info] = [p for p in registry.plugins if p.name.endswith("regfail.py")]
    assert info.status == "failed" and "neural_style" in registry.operators


def test_a_plugin_the_recipe_names_that_fails_to_load_is_an_error(tmp_path, toy_plugin):
    broken = plugin(tmp_path, "named_broken", "raise ImportError('nope')\n")
    with pytest.raises(PluginError, match="named_broken.py failed to load: ImportError: nope"):
        load_registry([toy_plugin, broken], entry_points=False)   # strict not set


def test_a_recipe_naming_a_broken_plugin_exits_2_before_running(tmp_path, run_cli, cli_env):
    plugin(tmp_path, "exits", "import sys\nsys.exit(4)\n")
    ambient = plugin(tmp_path, "ambient", "raise RuntimeError('ambient broke')\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nplugins: [exits.py]\nsteps:\n  - op: shape_mask\n"
                      "    size: [4, 4]\n  - op: save\n    path: m.png\n")
    done = run_cli("run", str(recipe), env={**cli_env, "IMGFUSION_PLUGINS": str(ambient)})
    assert done.returncode == 2, done.stderr
    assert "exits.py failed to load: it called sys.exit(4)" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "m.png").exists()
    recipe.write_text(recipe.read_text().replace("plugins: [exits.py]\n", ""))
    done = run_cli("run", str(recipe), env={**cli_env, "IMGFUSION_PLUGINS": str(ambient)})
    assert done.returncode == 0 and "warning: plugin" in done.stderr and "ambient broke" in \
        done.stderr


def test_an_operator_of_a_blocked_plugin_says_the_plugin_is_not_loaded(monkeypatch):
    """'unknown operator' alone left the user to guess that IMGFUSION_DISABLE_PLUGINS
    had blocked it."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    monkeypatch.setenv("IMGFUSION_DISABLE_PLUGINS", "gradient")
    steps = [{"id": "m", "op": "shape_mask", "size": [8, 8]},
             {"id": "t", "op": "seamless_tile", "image": "$m"}]
    with pytest.raises(RecipeError, match=r"unknown operator 'seamless_tile' \(plugins not "
                                          r"loaded: imgfusion\.gradient\.plugin\)"):
        load_recipe({"imgfusion": 1, "steps": steps})
    steps[1]["op"] = "shap_mask"   # a typo: the suggestion, not the blocked plugins
    with pytest.raises(RecipeError) as info:
        load_recipe({"imgfusion": 1, "steps": steps})
    assert "not loaded" not in str(info.value) and "shape_mask" in str(info.value)


def test_a_recipe_plugin_that_is_a_folder_says_so(tmp_path):
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    (tmp_path / "plugdir").mkdir()
    (tmp_path / "r.yaml").write_text("imgfusion: 1\nplugins: [plugdir]\nsteps:\n"
                                     "  - {id: m, op: shape_mask, size: [4, 4]}\n")
    with pytest.raises(RecipeError, match="plugdir is a folder; a plugin is a Python file"):
        load_recipe(tmp_path / "r.yaml")


@pytest.mark.parametrize("kind, message", [("folder", "is a folder; a plugin is a Python file"),
                                           ("yaml", "is not a Python file")])
def test_a_plugin_path_that_is_no_python_file_says_so(tmp_path, monkeypatch, kind, message):
    """A .yaml gave "AttributeError: 'NoneType' object has no attribute 'loader'" and an
    existing folder "no plugin file"."""
    from imgfusion.plugins import PluginLoadWarning

    path = tmp_path if kind == "folder" else tmp_path / "vig.yaml"
    if kind == "yaml":
        path.write_text("x: 1\n")
    monkeypatch.setenv("IMGFUSION_PLUGINS", str(path))
    with pytest.warns(PluginLoadWarning, match=message):
        load_registry(entry_points=False)
