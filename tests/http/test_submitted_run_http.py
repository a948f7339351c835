"""A script run submitted from an SDK that talks to a server records through that server,
and the token it needs for that never lands in the run's logs, snapshot or outputs."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig, Workspace
from jupyter_mlws.core.metric_buffer import get_buffer
from jupyter_mlws.core.status import RunStatus
from tests.helpers import wait_until

SCRIPT = """
import os, stat
from jupyter_mlws.core import Run

run = Run.get_context()
run.log("accuracy", 0.93)
# The spec next to the working copy holds the token while the run lives: owner-only.
run.log("spec_mode", stat.S_IMODE(os.stat(os.path.join("..", "spec.json")).st_mode))
with open("outputs/result.txt", "w") as f:
    f.write("done")
print("finished training")
"""


@pytest.mark.timeout(120)
def test_submitted_run_records_through_the_server(http_store, server_env, sql_view,
                                                  mlws_home: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    workspace = Workspace.create("submitws", show_output=False)
    assert type(workspace._store).__name__ == "HttpStore"
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(textwrap.dedent(SCRIPT))
    # While submitting only the SDK's own store knows the server: the run cannot inherit it
    # from this process's environment, it must come through the executor spec.
    with monkeypatch.context() as scoped:
        for name in ("MLWS_TRACKING_URI", "MLWS_TOKEN"):
            scoped.delenv(name)
        try:
            run = Experiment(workspace, "remote-exp").submit(ScriptRunConfig(str(source),
                                                                             "train.py"))
            details = run.wait_for_completion(wait_post_processing=True)
        finally:
            get_buffer(workspace._store).close()
    assert details["status"] == RunStatus.COMPLETED, details

    # Recorded in the server's database, and no local database was ever opened.
    metrics = {m.name: m.last_value for m in sql_view.list_metrics(run.id)}
    assert metrics == {"accuracy": 0.93, "spec_mode": 0o600}
    assert sql_view.get_run(run.id).status == RunStatus.COMPLETED
    assert not (mlws_home / "mlws.db").exists()

    # The spec holding the token is gone once the run has ended.
    spec = mlws_home / "runs" / run.id / "spec.json"
    wait_until(lambda: not spec.exists(), what=f"{spec} removed (not left behind)")

    token = server_env.token
    record = sql_view.get_run(run.id)
    assert token not in json.dumps(record.to_dict(), default=str)
    for artifact in sql_view.list_artifacts(run.id):
        with sql_view.open_artifact(run.id, artifact.path) as stream:
            assert token.encode() not in stream.read(), artifact.path
    snapshot = sql_view.get_snapshot(record.snapshot_id)
    for rel in snapshot.files:
        with sql_view.open_snapshot_file(snapshot.id, rel) as stream:
            assert token.encode() not in stream.read(), rel
    for folder, _, names in os.walk(mlws_home / "runs" / run.id):
        for name in names:
            path = Path(folder) / name
            if stat.S_ISREG(path.stat().st_mode):
                assert token.encode() not in path.read_bytes(), path
