"""Compute instances: a started instance is a kernelspec JupyterLab lists and can start."""

from __future__ import annotations

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from jupyter_mlws.core import ComputeTarget
from jupyter_mlws.core.compute import ComputeInstance
from jupyter_mlws.exceptions import ComputeTargetException

pytestmark = pytest.mark.timeout(120)


def _specs() -> dict:
    return KernelSpecManager().get_all_specs()


def _run_in_kernel(kernel_name: str, code: str) -> str:
    manager, client = start_new_kernel(kernel_name=kernel_name, startup_timeout=60)
    output: list[str] = []
    try:
        reply = client.execute_interactive(
            code, timeout=60,
            output_hook=lambda msg: output.append(msg["content"].get("text", ""))
            if msg["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return "".join(output)


def test_instance_lifecycle_is_a_kernelspec(ws, mlws_home):
    instance = ComputeTarget.create(ws, "dev-box",
                                    ComputeInstance.provisioning_configuration("Standard_DS2_v2"))
    assert isinstance(instance, ComputeInstance)
    name = "mlws-computews-dev-box"
    assert instance.kernel_name == name
    spec = _specs()[name]["spec"]
    assert spec["display_name"] == "dev-box (ML workspace computews)"
    status = instance.get_status()
    assert (status.provisioning_state, status.state) == ("Succeeded", "Running")

    out = _run_in_kernel(name, "import os, jupyter_mlws\n"
                               "print(os.environ['MLWS_COMPUTE_INSTANCE'], "
                               "os.environ['MLWS_HOME'])")
    assert out.split() == ["dev-box", str(mlws_home)]

    instance.stop()
    assert name not in _specs()
    assert ComputeTarget(ws, "dev-box").get_status().state == "Stopped"
    instance.restart()
    assert name in _specs() and instance.get_status().state == "Running"
    assert "dev-box" in ws.compute_targets
    instance.delete()
    assert name not in _specs()
    with pytest.raises(ComputeTargetException, match="ComputeTargetNotFound"):
        ComputeTarget(ws, "dev-box")


def test_instance_environment_must_be_registered(ws):
    with pytest.raises(Exception, match="Environment 'nope' was not found"):
        ComputeTarget.create(ws, "dev2", ComputeInstance.provisioning_configuration(
            "Standard_DS2_v2", environment="nope"))


def test_instance_with_registered_user_managed_environment(ws):
    import sys

    from jupyter_mlws.core import Environment

    env = Environment("mine")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    env.register(ws)
    instance = ComputeTarget.create(ws, "dev3", ComputeInstance.provisioning_configuration(
        "Standard_DS2_v2", environment="mine"))
    spec = _specs()[instance.kernel_name]["spec"]
    assert spec["argv"][0] == sys.executable
    assert instance.get_status().environment == "mine"
    instance.delete()
