"""Script runs on local compute, through the SDK: results, logs, failures, validation."""

from __future__ import annotations

import json
import re

import pytest

from jupyter_mlws.core import Run, ScriptRun, ScriptRunConfig
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.exceptions import (
    ActivityFailedException,
    ExperimentExecutionException,
    SnapshotException,
    UserErrorException,
)

TRAIN = """
import os, sys
from jupyter_mlws.core import Run

run = Run.get_context()
print("run id", run.id)
print("cwd is copy", os.path.exists("train.py"), os.environ["AZUREML_OUTPUT_DIRECTORY"])
for i in range(3):
    run.log("loss", 1.0 / (i + 1))
    print("step", i, flush=True)
run.log("lr", float(sys.argv[2]))
with open("outputs/model.txt", "w") as f:
    f.write("weights")
print("args", sys.argv[1:])
"""

CRASH = """
print("about to fail")
def inner():
    raise ValueError("bad value 42")
inner()
"""


def test_submitted_script_completes_with_metrics_outputs_logs_snapshot(exp, make_source):
    src = make_source(files={"train.py": TRAIN, "data/extra.txt": "x"})
    run = exp.submit(ScriptRunConfig(src, "train.py", arguments=["--lr", 0.01]),
                     tags={"kind": "test"})
    assert isinstance(run, ScriptRun) and run.type == "azureml.scriptrun"
    assert re.match(r"^exec_\d{10}_[0-9a-f]{8}$", run.id)
    details = run.wait_for_completion(wait_post_processing=True)
    assert details["status"] == RunStatus.COMPLETED
    assert details["runDefinition"]["script"] == "train.py"
    assert details["runDefinition"]["arguments"] == ["--lr", "0.01"]
    assert "user_logs/std_log.txt" in details["logFiles"]
    assert run.get_metrics() == {"loss": [1.0, 0.5, 1 / 3], "lr": 0.01}
    assert run.get_tags() == {"kind": "test"}
    assert "outputs/model.txt" in run.get_file_names()
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert f"run id {run.id}" in log and "cwd is copy True ./outputs" in log
    assert "args ['--lr', '0.01']" in log
    snapshot = run._store.get_snapshot(run.get_snapshot_id())
    assert set(snapshot.files) == {"train.py", "data/extra.txt"}
    fetched = Run.get(exp.workspace, run.id)
    assert isinstance(fetched, ScriptRun) and fetched.get_status() == RunStatus.COMPLETED


def test_show_output_streams_log_and_summary(exp, make_source, capsys):
    src = make_source(files={"train.py": TRAIN})
    run = exp.submit(ScriptRunConfig(src, "train.py", arguments=["--lr", 1]))
    details = run.wait_for_completion(show_output=True)
    out = capsys.readouterr().out
    assert details["status"] == RunStatus.COMPLETED
    assert out.startswith(f"RunId: {run.id}\nWeb View: ")
    assert "Streaming user_logs/std_log.txt\n===============================\n" in out
    streamed = out.index("Streaming user_logs/std_log.txt")
    assert out.index("step 0") > streamed and out.index("step 2") > out.index("step 1")
    summary = out.index("Execution Summary\n=================")
    assert summary > out.index("args ['--lr', '1']")
    assert f"RunId: {run.id}" in out[summary:]


def test_crashing_script_fails_with_exit_code_and_traceback(exp, make_source, capsys):
    src = make_source(files={"crash.py": CRASH})
    run = exp.submit(ScriptRunConfig(src, "crash.py"))
    with pytest.raises(ActivityFailedException) as info:
        run.wait_for_completion(show_output=True)
    error = json.loads(info.value.error_details)["error"]
    assert error["exitCode"] == 1
    assert "exited with status code 1" in error["message"]
    assert "ValueError: bad value 42" in error["message"]
    assert "Traceback (most recent call last):" in error["message"]
    assert run.get_status() == RunStatus.FAILED
    assert "about to fail" in capsys.readouterr().out
    # raise_on_error=False prints the error instead
    run.wait_for_completion(show_output=True, raise_on_error=False)
    assert "Error:" in capsys.readouterr().out


def test_command_runs_through_a_shell(exp, make_source):
    src = make_source(files={"a.txt": "A"})
    run = exp.submit(ScriptRunConfig(src, command="cat a.txt && echo $MLWS_RUN_ID"))
    assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert log == f"A{run.id}\n"


def test_missing_script_or_source_fails_before_any_run(exp, make_source, tmp_path):
    src = make_source(files={"train.py": "print(1)"})
    with pytest.raises(UserErrorException, match=r"nothere\.py.*not found"):
        exp.submit(ScriptRunConfig(src, "nothere.py"))
    with pytest.raises(UserErrorException, match="does not exist"):
        exp.submit(ScriptRunConfig(tmp_path / "missing", "train.py"))
    with pytest.raises(UserErrorException, match="script or a command"):
        exp.submit(ScriptRunConfig(src))
    assert list(exp.get_runs()) == []


def test_source_over_the_local_limit_is_rejected(exp, make_source):
    src = make_source(files={"train.py": "print(1)"})
    (src / "big.bin").write_bytes(b"\0" * (26 * 1024 * 1024))
    with pytest.raises(ExperimentExecutionException, match=r"25\.0 MB") as info:
        exp.submit(ScriptRunConfig(src, "train.py"))
    assert isinstance(info.value, SnapshotException)
    (src / ".amlignore").write_text("big.bin\n")
    run = exp.submit(ScriptRunConfig(src, "train.py"))
    assert run.wait_for_completion()["status"] in (RunStatus.COMPLETED, RunStatus.FINALIZING)


CHILDREN = """
from jupyter_mlws.core import Run

run = Run.get_context()
with run.child_run("fold-1") as child:
    child.log("accuracy", 0.9)
extra = run.child_run("fold-2")
extra.log("accuracy", 0.8)
extra.complete()
"""


def test_child_runs_of_a_submitted_run_complete(exp, make_source):
    src = make_source(files={"train.py": CHILDREN})
    run = exp.submit(ScriptRunConfig(src, "train.py"))
    # Like v1, waiting without post-processing may return at Finalizing.
    assert run.wait_for_completion(wait_post_processing=True)["status"] == RunStatus.COMPLETED
    children = {child.name: child for child in run.get_children()}
    assert {c.get_status() for c in children.values()} == {RunStatus.COMPLETED}
    assert len(children) == 2
    assert sorted(run.get_metrics(recursive=True)[c.id]["accuracy"]
                  for c in children.values()) == [0.8, 0.9]
