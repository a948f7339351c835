"""A secret read in a submitted run and printed by its script appears nowhere the project
writes: the store's files, the database, run logs, the run's error, snapshots, outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig, Workspace
from jupyter_mlws.core.status import RunStatus

LEAKY = """
import sys
from jupyter_mlws.core import Run

run = Run.get_context()
value = run.get_secret("leak-me")
both = run.get_secrets(["leak-me", "pem", "nope"])
assert both["nope"] is None and both["leak-me"] == value
print("value:", value, flush=True)
sys.stdout.write("no newline yet " + value)
sys.stdout.flush()
print(" and the rest", flush=True)
print("pem:", both["pem"], flush=True)
print("to stderr", value, file=sys.stderr, flush=True)
with open("outputs/leak.txt", "w") as f:
    f.write("prefix " + value + " suffix")
with open("outputs/fine.txt", "w") as f:
    f.write("nothing secret")
run.log("note", "metric text is not a place for secrets")
raise RuntimeError("failing with " + value)
"""


def _value() -> str:
    return "LEAK-" + os.urandom(12).hex()


def _scan(root: Path, needle: bytes, skip_working_copies: bool = True) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        # A run's working copy is the compute target's scratch disk, the script's own; the
        # store (database, workspace storage, logs, snapshots) is what is checked.
        if skip_working_copies and "/runs/" in path.as_posix() and "/wd" in path.as_posix():
            continue
        if path.is_file() and needle in path.read_bytes():
            hits.append(path)
    return hits


@pytest.fixture
def secret(workspace: Workspace) -> str:
    value = _value()
    workspace.get_default_keyvault().set_secrets({
        "leak-me": value, "pem": "-----BEGIN KEY-----\nline-one-" + value[5:] + "\nEND\n"})
    return value


def test_secret_read_and_printed_in_a_submitted_run_leaks_nowhere(
        experiment: Experiment, make_source, secret: str, mlws_home: Path) -> None:
    src = make_source(files={"leaky.py": LEAKY})
    run = experiment.submit(ScriptRunConfig(src, "leaky.py"))
    run.wait_for_completion(raise_on_error=False, wait_post_processing=True)
    record = run._store.get_run(run.id)
    assert record.status == RunStatus.FAILED
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert "value: ***" in log and "no newline yet *** and the rest" in log
    assert "to stderr ***" in log and "line-one-" not in log
    assert secret not in log
    message = record.error["error"]["message"]
    assert "failing with ***" in message and secret not in str(record.error)
    names = run.get_file_names()
    assert "outputs/fine.txt" in names and "outputs/leak.txt" not in names
    assert "not uploading outputs/leak.txt" in log
    snapshot = run._store.get_snapshot(run.get_snapshot_id())
    assert list(snapshot.files) == ["leaky.py"]
    assert _scan(mlws_home, secret.encode()) == []
    assert _scan(src, secret.encode()) == []
    audit = experiment.workspace.get_audit_log()
    assert {(a["actor"], a["target"].split(" ")[0]) for a in audit} >= {
        (f"run:{run.id}", "leak-me"), (f"run:{run.id}", "pem")}


def test_run_token_ends_with_the_run(experiment: Experiment, make_source,
                                     secret: str) -> None:
    src = make_source(files={"t.py": "import os\nprint(os.environ['MLWS_RUN_TOKEN'][:8])\n"})
    run = experiment.submit(ScriptRunConfig(src, "t.py"))
    run.wait_for_completion()
    store = run._store
    import sqlalchemy as sa

    hashes = store.db.read(lambda c: [r[0] for r in c.execute(sa.text(
        "SELECT token_hash FROM run_token WHERE run_id = :r"), {"r": run.id})])
    assert len(hashes) == 1
    log = store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    assert log.startswith("mlwsrun_")
    # A finished run's credential is worthless: even a stolen token reads nothing.
    assert store.check_run_token("mlwsrun_not-a-token") is None
