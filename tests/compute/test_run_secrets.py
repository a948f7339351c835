"""Run.get_secret works on every compute target (an AmlCompute Dask cluster, an attached Dask
scheduler) through the run's own credential, and the value is masked in the run's log."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig
from jupyter_mlws.core.compute import ComputeTarget, DaskCompute

SCRIPT = """
import os
from jupyter_mlws.core import Run

run = Run.get_context()
print("credential", os.environ["MLWS_RUN_TOKEN"][:8], flush=True)
print("secret is", run.get_secret("cluster-secret"), flush=True)
"""

pytestmark = pytest.mark.timeout(240)


def _check(ws, make_source, target, value: str) -> None:
    src = make_source(files={"read.py": SCRIPT})
    run = Experiment(ws, "secrets").submit(ScriptRunConfig(src, "read.py",
                                                           compute_target=target))
    details = run.wait_for_completion(wait_post_processing=True)
    assert details["status"] == "Completed"
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert "credential mlwsrun_" in log and "secret is ***" in log and value not in log


def test_secret_on_a_cluster(ws, make_source, shared_target) -> None:
    value = "cluster-value-8f3a"
    ws.get_default_keyvault().set_secret("cluster-secret", value)
    _check(ws, make_source, shared_target, value)


def test_secret_on_an_attached_scheduler(ws, make_source, dask_scheduler) -> None:
    value = "attached-value-51c2"
    ws.get_default_keyvault().set_secret("cluster-secret", value)
    target = ComputeTarget.attach(ws, "my-dask",
                                  DaskCompute.attach_configuration(address=dask_scheduler))
    _check(ws, make_source, target, value)
