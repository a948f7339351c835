"""Workspace files on S3-compatible storage, against a real S3 API (moto's server) on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_until

pytest.importorskip("s3fs")
pytest.importorskip("moto")

BUCKET = "mlws-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        if server.poll() is not None:
            raise RuntimeError("moto server did not start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return False
        return True

    try:
        wait_until(listening, 30, what="moto server listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    return f"s3://{BUCKET}"


def test_sdk_run_files_round_trip_through_s3(s3_env: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import s3fs

    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("s3ws", storage_account=f"{s3_env}/s3ws", show_output=False)
    assert ws._record.storage_url == f"{s3_env}/s3ws"
    source = tmp_path / "model.bin"
    source.write_bytes(b"\x00\x01weights" * 1000)
    monkeypatch.chdir(tmp_path)
    run = Experiment(ws, "exp").start_logging(snapshot_directory=None, outputs=False)
    run.upload_file("outputs/model.bin", str(source))
    run.log("loss", 0.5)
    run.complete()

    assert run.get_file_names() == ["outputs/model.bin"]
    run.download_files(prefix="outputs", output_directory=str(tmp_path / "back"))
    assert (tmp_path / "back" / "outputs" / "model.bin").read_bytes() == source.read_bytes()
    # The bytes really live in the bucket, under the workspace's folder.
    fs = s3fs.S3FileSystem()
    assert fs.cat(f"{BUCKET}/s3ws/runs/{run.id}/outputs/model.bin") == source.read_bytes()

    ws.delete()
    assert not fs.exists(f"{BUCKET}/s3ws/runs/{run.id}/outputs/model.bin")


def test_default_storage_root_on_s3_holds_logs_and_snapshots(
        s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import s3fs

    from jupyter_mlws.store import get_store, reset_store_cache

    monkeypatch.setenv("MLWS_STORAGE_URL", f"{s3_env}/root")
    reset_store_cache()
    store = get_store()
    ws = store.create_workspace("rootws", "local", "local")
    assert ws.storage_url == f"{s3_env}/root/{ws.id}"
    exp = store.get_or_create_experiment(ws.id, "exp")
    run = store.create_run(ws.id, exp.id, run_id="r1", status="Running")
    store.append_log(run.id, "user_logs/std_log.txt", b"line 1\n")
    assert store.append_log(run.id, "user_logs/std_log.txt", b"line 2\n") == 14
    with store.open_artifact(run.id, "user_logs/std_log.txt") as stream:
        assert stream.read() == b"line 1\nline 2\n"

    (tmp_path / "train.py").write_text("print('hi')\n")
    snap = store.create_snapshot(ws.id, {"train.py": str(tmp_path / "train.py")})
    with store.open_snapshot_file(snap.id, "train.py") as stream:
        assert stream.read() == b"print('hi')\n"
    fs = s3fs.S3FileSystem()
    assert fs.ls(f"{BUCKET}/root/{ws.id}/snapshots/blobs")
