"""plugins/imgfusion-dask and plugins/imgfusion-ray build, install, and register their executor.

Each is pip-installed (offline, no dependencies) into a --target folder put on
sys.path, as after ``pip install ./plugins/imgfusion-NAME``.  Registering needs
only imgfusion: Dask and Ray are imported when the executor starts, so this
runs whether or not they are installed.  Their real runs are in each plugin's
own tests (plugins/imgfusion-*/tests).
"""
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgfusion.batch.executor import resolve_executor
from imgfusion.cli import main
from imgfusion.plugins import load_registry

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("executors")
    sources = [shutil.copytree(PLUGINS / f"imgfusion-{n}", work / n) for n in ("dask", "ray")]
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "--no-build-isolation", "--disable-pip-version-check", "--quiet",
                           "--target", str(target), *map(str, sources)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    for module in ("imgfusion_dask", "imgfusion_ray"):
        sys.modules.pop(module, None)


@pytest.mark.parametrize("name", ["dask", "ray"])
def test_installed_executor_is_registered_and_listed(site, name, capsys):
    registry = load_registry()
    spec = resolve_executor(registry, name)
    assert spec.source == f"entrypoint plugin {name}"
    info = next(p for p in registry.plugins if p.name == name)
    assert (info.status, info.version, info.operators) == ("loaded", "0.1.0", [])
    assert main(["plugins"]) == 0
    assert f"executors: {name}" in capsys.readouterr().out


def test_two_executors_with_one_name_are_an_error_naming_both(tmp_path):
    from imgfusion.errors import PluginError

    clash = tmp_path / "second_local.py"
    clash.write_text("from imgfusion import hookimpl\n"
                     "from imgfusion.batch import ExecutorSpec\n"
                     "from imgfusion.batch.local import LocalExecutor\n\n"
                     "@hookimpl\n"
                     "def imgfusion_register_executors(register):\n"
                     "    register(ExecutorSpec('local', LocalExecutor))\n")
    with pytest.raises(PluginError, match="executor 'local' is registered twice: by builtin "
                                          "plugin imgfusion.batch.plugin and by file plugin"):
        load_registry([clash], entry_points=False)
