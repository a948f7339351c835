"""Compute targets without Dask processes: local, lookup errors, sizes, configurations."""

from __future__ import annotations

import sys
import warnings

import pytest

from jupyter_mlws.core import ComputeTarget, Experiment, ScriptRunConfig
from jupyter_mlws.core.compute import AmlCompute, ComputeInstance, DaskCompute, LocalTarget
from jupyter_mlws.core.compute.vm_sizes import check_vm_size, memory_limit_bytes
from jupyter_mlws.core.compute_target import ComputeTargetException as FromV1Path
from jupyter_mlws.exceptions import ComputeTargetException


def test_local_always_exists_and_is_listed(ws):
    local = ComputeTarget(ws, "local")
    assert isinstance(local, LocalTarget) and local.type == "local"
    assert local.get_status() == "Succeeded"
    assert [t.name for t in ComputeTarget.list(ws)] == ["local"]
    assert list(ws.compute_targets) == ["local"]
    with pytest.raises(ComputeTargetException, match="cannot be deleted"):
        local.delete()
    assert FromV1Path is ComputeTargetException


def test_unknown_target_has_the_v1_message(ws, make_source):
    with pytest.raises(ComputeTargetException,
                       match="ComputeTargetNotFound: Compute Target with name gpu-cluster not "
                             "found in provided workspace"):
        ComputeTarget(ws, "gpu-cluster")
    src = make_source(files={"t.py": "print(1)"})
    with pytest.raises(ComputeTargetException, match="ComputeTargetNotFound"):
        Experiment(ws, "e").submit(ScriptRunConfig(src, "t.py", compute_target="gpu-cluster"))


def test_gpu_sizes_are_refused_without_a_gpu(ws):
    for size in ("Standard_NC6", "Standard_ND40rs_v2", "my_GPU_box"):
        with pytest.raises(ComputeTargetException, match=r"GPU size.*no NVIDIA GPU"):
            ComputeTarget.create(ws, "gpu", AmlCompute.provisioning_configuration(
                vm_size=size, max_nodes=1))
        with pytest.raises(ComputeTargetException, match="GPU size"):
            ComputeTarget.create(ws, "gpu-ci", ComputeInstance.provisioning_configuration(size))
    assert ComputeTarget.list(ws)[1:] == []  # nothing half-created


def test_cpu_sizes_warn_when_larger_than_the_machine(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    with pytest.warns(UserWarning, match="Standard_D14_v2 has 16 cores"):
        assert check_vm_size("Standard_D14_v2").memory_gb == 112
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_vm_size("standard_ds1_v2").cores == 1
        assert check_vm_size("Custom_Size") is None
    assert memory_limit_bytes("Standard_DS3_v2") <= 14 * 1024 ** 3
    assert memory_limit_bytes("Custom_Size") is None


def test_configurations_are_validated(ws):
    with pytest.raises(ComputeTargetException, match="min_nodes <= max_nodes"):
        AmlCompute.provisioning_configuration(min_nodes=3, max_nodes=2)
    with pytest.raises(ComputeTargetException, match="non-negative"):
        AmlCompute.provisioning_configuration(min_nodes=-1, max_nodes=2)
    with pytest.raises(ComputeTargetException, match="Invalid Dask scheduler address"):
        DaskCompute.attach_configuration(address="localhost:8786")
    with pytest.raises(ComputeTargetException, match="Invalid compute name"):
        ComputeTarget.attach(ws, "bad name!", DaskCompute.attach_configuration())
    with pytest.raises(ComputeTargetException, match="not a provisioning configuration"):
        ComputeTarget.create(ws, "x1", object())


def test_clusters_without_dask_name_the_extra(ws, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ComputeTargetException, match=r"pip install 'jupyter_mlws\[dask\]'"):
        ComputeTarget.create(ws, "cpu", AmlCompute.provisioning_configuration(max_nodes=1))
    with pytest.raises(ComputeTargetException, match=r"jupyter_mlws\[dask\]"):
        ComputeTarget.attach(ws, "sched", DaskCompute.attach_configuration())


def test_attached_target_is_listed_and_detached(ws):
    target = ComputeTarget.attach(ws, "sched", DaskCompute.attach_configuration(
        "tcp://127.0.0.1:9"))  # nothing listens on the discard port
    assert isinstance(ComputeTarget(ws, "sched"), DaskCompute)
    assert ws.compute_targets["sched"].address == "tcp://127.0.0.1:9"
    with pytest.raises(ComputeTargetException, match="already exists"):
        ComputeTarget.attach(ws, "sched", DaskCompute.attach_configuration())
    with pytest.raises(ComputeTargetException, match="not AmlCompute"):
        AmlCompute(ws, "sched")
    target.detach()
    with pytest.raises(ComputeTargetException, match="ComputeTargetNotFound"):
        ComputeTarget(ws, "sched")
