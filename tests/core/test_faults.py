"""Faults: signals, plugins that raise or exit, closed pipes, one prefix per message."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from imgfusion.plugins import PluginLoadWarning, load_registry

# A plugin whose operator writes through the atomic writer and then waits inside
# it, so that a signal lands while a temporary .part file exists.
SLOW_PLUGIN = """
    import time
    from pathlib import Path
    from imgfusion import Input, Operator, Output, OutputPath, Param, hookimpl
    from imgfusion.io.write import atomic_write

    def slow_save(image, *, path, workdir):
        def write(fh):
            fh.write(b"half of it")
            fh.flush()
            time.sleep(120)
        dest = Path(workdir) / path
        atomic_write(dest, write)
        return str(dest)

    @hookimpl
    def imgfusion_register_operators(register):
        register(Operator("slow_save", slow_save, "Write slowly.", inputs=[Input("image")],
                          params=[Param("path", OutputPath, help="where")],
                          outputs=[Output("path", "data")], context=("workdir",)))
"""

SLOW_RECIPE = """
    imgfusion: 1
    plugins: [slow.py]
    steps:
      - id: grey
        op: shape_mask
        size: [12, 16]
      - op: save
        path: first.png
      - op: slow_save
        image: $grey
        path: second.bin
"""


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig, code, times", [(signal.SIGTERM, 143, 1), (signal.SIGTERM, 143, 4),
                                              (signal.SIGINT, 130, 1)])
def test_a_signal_mid_write_removes_the_part_file_keeps_outputs_and_writes_run_json(
        sig, code, times, tmp_path, cli_command, cli_env):
    """A second SIGTERM (a process manager insisting) must not cut the clean-up short."""
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW_PLUGIN))
    (tmp_path / "recipe.yaml").write_text(textwrap.dedent(SLOW_RECIPE))
    proc = subprocess.Popen([*cli_command, "run", "recipe.yaml"], cwd=tmp_path, env=cli_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: list(tmp_path.glob(".second.bin*.part"))), \
            proc.communicate(timeout=1) if proc.poll() is not None else "no .part file"
        for delay in [0.0, 0.0, 0.05, 0.2][:times]:  # the second during and after clean-up
            time.sleep(delay)
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("*.part")) and not (tmp_path / "second.bin").exists()
    assert (tmp_path / "first.png").stat().st_size > 0
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == "interrupted"
    assert report["written"] == [str(tmp_path / "first.png")]


EXITS_ON_IMPORT = "import sys\nsys.exit(3)\n"
EXITS_IN_HOOK = """
    import sys
    from imgfusion import hookimpl

    @hookimpl
    def imgfusion_register_operators(register):
        sys.exit("registration gave up")
"""


def test_a_plugin_that_calls_sys_exit_is_reported_broken_and_the_others_load(
        tmp_path, toy_plugin, monkeypatch):
    on_import = tmp_path / "exits_on_import.py"
    on_import.write_text(EXITS_ON_IMPORT)
    in_hook = tmp_path / "exits_in_hook.py"
    in_hook.write_text(textwrap.dedent(EXITS_IN_HOOK))
    ambient = os.pathsep.join(map(str, [on_import, toy_plugin, in_hook]))
    monkeypatch.setenv("IMGFUSION_PLUGINS", ambient)
    with pytest.warns(PluginLoadWarning) as caught:
        reg = load_registry(entry_points=False)  # ambient: IMGFUSION_PLUGINS
    assert "const" in reg and "load" in reg
    status = {p.name.rsplit(os.sep, 1)[-1]: (p.status, p.error) for p in reg.plugins}
    assert status["exits_on_import.py"] == ("failed", "it called sys.exit(3)")
    assert status["exits_in_hook.py"] == ("failed", "it called sys.exit('registration gave up')")
    assert status["toy_plugin.py"][0] == "loaded"
    assert ["exits_on_import.py" in str(w.message) for w in caught] == [True, False]


def test_the_cli_lists_operators_past_an_exiting_plugin_with_one_prefix(tmp_path, run_cli,
                                                                        cli_env):
    plugin = tmp_path / "quitter.py"
    plugin.write_text(EXITS_ON_IMPORT)
    done = run_cli("ops", env={**cli_env, "IMGFUSION_PLUGINS": str(plugin)})
    assert done.returncode == 0, done.stderr
    assert "poisson_blend" in done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("imgfusion: warning: plugin ") and "quitter.py" in lines[0]
    assert lines[0].count("imgfusion:") == 1


def test_every_warning_line_has_exactly_one_prefix(tmp_path, run_cli, cli_env):
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_anywhere\n")
    done = run_cli("plugins", env={**cli_env, "IMGFUSION_PLUGINS": str(broken)})
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if "broken.py" in line]
    assert warning and all(line.count("imgfusion") == 1 for line in warning), done.stderr
    assert "failed" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
@pytest.mark.parametrize("args", [["ops"], ["ops", "--json"], ["info", "poisson_blend"]])
def test_a_closed_pipe_ends_quietly(args, cli_command, cli_env, tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: EPIPE, every time
    try:
        done = subprocess.run([*cli_command, *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env=cli_env, timeout=120)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141
