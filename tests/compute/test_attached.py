"""An attached Dask scheduler: ``dask scheduler`` + ``dask worker`` subprocesses on 127.0.0.1."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import ComputeTarget, Experiment, ScriptRunConfig
from jupyter_mlws.core.compute import DaskCompute

pytestmark = pytest.mark.timeout(240)

TRAIN = """
import sys
from jupyter_mlws.core import Run
run = Run.get_context()
for i in range(3):
    run.log("loss", 1.0 / (i + 1))
run.log("arg", sys.argv[1])
with open("outputs/model.txt", "w") as f:
    f.write("weights")
print("trained on dask")
"""


def test_script_run_on_attached_scheduler_completes_with_metrics(ws, make_source,
                                                                  dask_scheduler):
    target = ComputeTarget.attach(ws, "my-dask",
                                  DaskCompute.attach_configuration(address=dask_scheduler))
    status = target.get_status()
    assert status["provisioningState"] == "Succeeded" and status["currentNodeCount"] == 1
    src = make_source(files={"train.py": TRAIN})
    run = Experiment(ws, "attached").submit(
        ScriptRunConfig(src, "train.py", arguments=["x1"], compute_target=target))
    details = run.wait_for_completion(wait_post_processing=True)
    assert details["status"] == "Completed" and details["target"] == "my-dask"
    assert run.get_metrics() == {"loss": [1.0, 0.5, 1 / 3], "arg": "x1"}
    assert "outputs/model.txt" in run.get_file_names()
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert "trained on dask" in log


def test_unreachable_scheduler_fails_the_run_clearly(ws, make_source, monkeypatch):
    monkeypatch.setenv("MLWS_DASK_CONNECT_TIMEOUT", "1s")  # inherited by the run's supervisor
    ComputeTarget.attach(ws, "gone", DaskCompute.attach_configuration("tcp://127.0.0.1:9"))
    assert ComputeTarget(ws, "gone").get_status()["provisioningState"] == "Failed"
    src = make_source(files={"train.py": "print(1)"})
    run = Experiment(ws, "attached").submit(ScriptRunConfig(src, "train.py",
                                                            compute_target="gone"))
    details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
    assert details["status"] == "Failed"
    assert details["error"]["error"]["code"] == "ComputeUnreachable"
