"""A run submitted through a server reads secrets with its own run token (never the user's),
and the value is masked in its logs, absent from its error, outputs and the server's log."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig, Workspace
from jupyter_mlws.core.metric_buffer import get_buffer
from jupyter_mlws.core.status import RunStatus

SCRIPT = """
import os
from jupyter_mlws.core import Run

run = Run.get_context()
value = run.get_secret("api-key")
print("token kind", os.environ["MLWS_TOKEN"][:8], flush=True)
print("user token seen", os.environ["MLWS_TOKEN"] == os.environ.get("USER_TOKEN"), flush=True)
print("the key is", value, flush=True)
raise SystemExit("stopping with " + value)
"""


@pytest.mark.timeout(120)
def test_run_reads_secret_with_its_own_token(http_store, server_env, sql_view, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    value = "KEY-" + os.urandom(10).hex()
    workspace = Workspace.create("secretws", show_output=False)
    workspace.get_default_keyvault().set_secret("api-key", value)
    assert workspace.get_default_keyvault().list_secrets() == [{"name": "api-key"}]
    source = tmp_path / "src"
    source.mkdir()
    (source / "read.py").write_text(textwrap.dedent(SCRIPT))
    monkeypatch.setenv("USER_TOKEN", server_env.token)
    try:
        run = Experiment(workspace, "secrets").submit(ScriptRunConfig(str(source), "read.py"))
        details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
    finally:
        get_buffer(workspace._store).close()
    assert details["status"] == RunStatus.FAILED
    with sql_view.open_artifact(run.id, "user_logs/std_log.txt") as stream:
        log = stream.read().decode()
    assert "token kind mlwsrun_" in log and "user token seen False" in log
    assert "the key is ***" in log and value not in log
    record = sql_view.get_run(run.id)
    assert value not in str(record.error) and "***" in str(record.error)
    assert value.encode() not in Path(server_env.log).read_bytes()
    events = sql_view.list_audit(record.workspace_id)
    assert any(e.actor == f"run:{run.id}" and e.outcome == "read" for e in events)
    assert record.properties["mlws.submittedBy"]
    # The run's credential ended with it.
    assert sql_view.check_run_token("mlwsrun_unknown") is None
