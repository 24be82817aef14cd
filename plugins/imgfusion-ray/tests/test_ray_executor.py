"""The ray executor, installed as a distribution, on a real local Ray (2 CPUs).

Needs ``pip install ./plugins/imgfusion-ray``.  Ray starts once for the module
(a few seconds); the executor finds it initialised and uses it.
"""
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray", reason="imgfusion-ray needs ray")

from imgfusion.batch import testing  # noqa: E402
from imgfusion.batch.executor import ExecutorOptions, resolve_executor  # noqa: E402
from imgfusion.errors import UsageError  # noqa: E402
from imgfusion.plugins import load_registry  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def ray_executor(**options):
    spec = resolve_executor(load_registry(), "ray")
    return lambda: spec.create(ExecutorOptions(**options))


def test_installed_plugin_registers_the_executor():
    registry = load_registry()
    info = next(p for p in registry.plugins if p.name == "ray")
    assert (info.kind, info.status, info.executors) == ("entrypoint", "loaded", ["ray"])


@pytest.mark.parametrize("check", testing.ALL_CHECKS, ids=lambda c: c.__name__)
def test_ray_executor(check, local_ray, tmp_path):
    check(ray_executor(), tmp_path)


def test_gpu_request_on_a_cluster_without_gpu_is_refused(local_ray, tmp_path):
    testing.make_inputs(tmp_path / "in", n=2)
    with pytest.raises(UsageError, match="the Ray cluster has 0 GPU"):
        testing.batch(tmp_path, ray_executor(gpus_per_task=1), testing.write_recipe(tmp_path))
    assert not (tmp_path / "out").exists()


def test_unreachable_address_exits_2_at_once(tmp_path):
    testing.make_inputs(tmp_path / "in", n=2)
    recipe = testing.write_recipe(tmp_path)
    cmd = [sys.executable, "-m", "imgfusion.cli", "batch", str(recipe), "--bind",
           f"photo.path={tmp_path / 'in'}/**/*.png", "--out", str(tmp_path / "out"),
           "--executor", "ray", "--address", "127.0.0.1:9"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "cannot reach a Ray cluster" in done.stderr
    assert not (tmp_path / "out").exists()
