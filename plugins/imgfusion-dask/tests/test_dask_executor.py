"""The dask executor, installed as a distribution, on a real LocalCluster of 2 worker processes.

Needs ``pip install ./plugins/imgfusion-dask`` (the entry point is what is tested first).
One cluster serves the module; the executor connects to it through --address.
"""
import pytest

distributed = pytest.importorskip("distributed", reason="imgfusion-dask needs dask[distributed]")

from imgfusion.batch import testing  # noqa: E402
from imgfusion.batch.executor import ExecutorOptions, resolve_executor  # noqa: E402
from imgfusion.errors import UsageError  # noqa: E402
from imgfusion.plugins import load_registry  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", resources={"GPU": 1}) as c:
        yield c


def dask(**options):
    spec = resolve_executor(load_registry(), "dask")
    return lambda: spec.create(ExecutorOptions(**options))


def test_installed_plugin_registers_the_executor():
    registry = load_registry()
    info = next(p for p in registry.plugins if p.name == "dask")
    assert (info.kind, info.status, info.executors) == ("entrypoint", "loaded", ["dask"])
    assert registry.executors["dask"].source == "entrypoint plugin dask"


@pytest.mark.parametrize("check", testing.ALL_CHECKS, ids=lambda c: c.__name__)
def test_dask_executor(check, cluster, tmp_path):
    check(dask(address=cluster.scheduler_address), tmp_path)


def test_gpu_tasks_run_on_workers_that_offer_the_resource(cluster, tmp_path):
    make = dask(address=cluster.scheduler_address, gpus_per_task=1)
    testing.check_corrupt_input(make, tmp_path)


def test_more_gpu_than_any_worker_has_is_refused(cluster, tmp_path):
    testing.make_inputs(tmp_path / "in", n=2)
    with pytest.raises(UsageError, match="no Dask worker offers GPU=2"):
        testing.batch(tmp_path, dask(address=cluster.scheduler_address, gpus_per_task=2),
                      testing.write_recipe(tmp_path))
    assert not (tmp_path / "out").exists()


def test_unreachable_address_is_refused_at_once(tmp_path):
    testing.make_inputs(tmp_path / "in", n=2)
    with pytest.raises(UsageError, match="cannot reach a Dask scheduler"):
        testing.batch(tmp_path, dask(address="tcp://127.0.0.1:9", connect_timeout=2),
                      testing.write_recipe(tmp_path))
    assert not (tmp_path / "out").exists()


def test_without_address_the_executor_starts_its_own_local_cluster(tmp_path):
    testing.check_identical(dask(workers=2), tmp_path)
