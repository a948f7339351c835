"""Snapshots of folders that change while they are read (a training log being appended, the
store itself living inside the folder), what a snapshot never takes (the store's home, virtual
environments, outputs/ and logs/, caches), and limits checked before any run exists. Runs
against both stores (tests/core)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig, Workspace
from jupyter_mlws.core.snapshot import SNAPSHOT_MAX_FILES, collect_snapshot_files
from jupyter_mlws.exceptions import SnapshotException
from jupyter_mlws.store import reset_store_cache
from tests.helpers import wait_until

# Appends to a file as fast as it can (with a tiny pause so it stays small), starting over
# when it reaches 2 MB: every read of it races with a write.
APPENDER = textwrap.dedent("""
    import os, sys, time
    path = sys.argv[1]
    line = b"epoch 1 loss 0.1234 accuracy 0.9876 " * 3 + b"\\n"
    with open(path, "ab", buffering=0) as out:
        print("appending", flush=True)
        while True:
            out.write(line)
            if out.tell() > 2_000_000:
                out.truncate(0)
                out.seek(0)
            time.sleep(0.0001)
""")


@pytest.fixture
def appending(work_dir: Path) -> Iterator[Path]:
    """``work_dir/train.log``, appended to by another process for the whole test."""
    path = work_dir / "train.log"
    proc = subprocess.Popen([sys.executable, "-c", APPENDER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "appending"
        wait_until(lambda: path.exists() and path.stat().st_size > 10_000, 30,
                   what="the log growing")
        yield path
    finally:
        proc.kill()
        proc.wait(10)


def _stored(run, rel: str) -> bytes:  # type: ignore[no-untyped-def]
    with run._store.open_snapshot_file(run.get_snapshot_id(), rel) as stream:
        return stream.read()


def _check_consistent(run) -> dict:  # type: ignore[no-untyped-def]
    """Every stored file hashes to its manifest entry: nothing torn between hash and store."""
    manifest = run._store.get_snapshot(run.get_snapshot_id()).files
    for rel, entry in manifest.items():
        data = _stored(run, rel)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], rel
        assert len(data) == entry["size"], rel
    return manifest


def test_start_logging_while_a_file_of_the_folder_is_appended(experiment, work_dir, appending):
    (work_dir / "train.py").write_text("print('train')\n")
    for _ in range(8):
        run = experiment.start_logging(outputs=False)  # snapshot of "." (the default)
        manifest = _check_consistent(run)
        assert set(manifest) == {"train.py", "train.log"}
        # The log as it was read: whole lines of the appender, never torn bytes.
        text = _stored(run, "train.log").decode()
        assert all(line.startswith("epoch 1 loss") for line in text.splitlines())
        run.complete()
    assert [r.get_status() for r in experiment.get_runs()] == ["Completed"] * 8


def test_submit_while_a_file_of_the_source_folder_is_appended(experiment, work_dir,
                                                              appending):
    (work_dir / "train.py").write_text(
        "import os\nprint(sorted(os.listdir('.')))\n")
    runs = [experiment.submit(ScriptRunConfig(str(work_dir), "train.py")) for _ in range(4)]
    for run in runs:
        assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
        assert set(_check_consistent(run)) == {"train.py", "train.log"}


def test_store_home_inside_the_snapshot_folder_is_never_taken(work_dir, monkeypatch):
    home = work_dir / ".workspace-home"  # the notebook keeps its workspace beside it
    monkeypatch.setenv("MLWS_HOME", str(home))
    reset_store_cache()
    (work_dir / "train.py").write_text("print(1)\n")
    ws = Workspace.create("beside", show_output=False)
    exp = Experiment(ws, "home-inside")
    busy = exp.start_logging(snapshot_directory=None, outputs=False)
    for i in range(5):  # the store's files change while the next runs snapshot "."
        busy.log_list("noise", list(range(10_000)))
        busy.flush()
        run = exp.start_logging(outputs=False)
        manifest = _check_consistent(run)
        assert set(manifest) == {"train.py"}, sorted(manifest)[:5]
        run.log("i", i)
        run.complete()
    busy.complete()


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_environments_outputs_logs_and_caches_are_never_taken(tmp_path):
    root = tmp_path / "project"
    _write(root, {
        "train.py": "x", "pkg/logs/keep.py": "nested logs/ is code", "pkg/outputs.py": "y",
        "outputs/model.pkl": "m", "logs/run.txt": "l",
        ".venv/lib/python3.11/site-packages/a.py": "a",
        "myenv/pyvenv.cfg": "home = /usr/bin", "myenv/lib/b.py": "b",
        "conda/conda-meta/history": "h", "conda/lib/c.py": "c",
        "oldvenv/bin/activate": "# virtualenv", "oldvenv/lib/d.py": "d",
        "web/node_modules/left-pad/index.js": "z",
        ".git/HEAD": "ref", "pkg/__pycache__/m.pyc": "p", ".ipynb_checkpoints/n.ipynb": "{}",
        "env_notes/readme.md": "a folder named like an env but not one",
    })
    assert sorted(collect_snapshot_files(root)) == [
        "env_notes/readme.md", "pkg/logs/keep.py", "pkg/outputs.py", "train.py"]


def test_too_many_files_raises_before_any_run_is_created(experiment, work_dir):
    many = work_dir / "many"
    many.mkdir()
    for i in range(SNAPSHOT_MAX_FILES + 1):
        (many / f"f{i}.txt").write_bytes(b"")
    with pytest.raises(SnapshotException) as info:
        experiment.start_logging(snapshot_directory=str(many), outputs=False)
    message = str(info.value)
    assert "snapshot_directory=None" in message and ".amlignore" in message
    assert list(experiment.get_runs()) == []  # no Failed run left behind
    # The hint works: no snapshot, a run.
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.complete()
    assert [r.id for r in experiment.get_runs()] == [run.id]
