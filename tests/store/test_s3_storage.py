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


@pytest.fixture
def s3_store(s3_env: str, mlws_home: Path):  # type: ignore[no-untyped-def]
    import uuid

    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    settings = StoreSettings(home=mlws_home, database_url=f"sqlite:///{mlws_home / 'mlws.db'}",
                             storage_root=f"{s3_env}/{uuid.uuid4().hex}")
    store = SqlStore(settings)
    ws = store.create_workspace("s3ws", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp")
    store.create_run(ws.id, exp.id, run_id="r1", status="Running")
    yield store, settings, ws.storage_url
    store.close()


def _keys(storage_url: str) -> dict[str, int]:
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    root = storage_url.removeprefix("s3://")
    return {key[len(root) + 1:]: info["size"]
            for key, info in fs.find(root, detail=True).items()}


def test_s3_names_that_are_folders_conflict_and_delete_nothing(s3_store) -> None:  # type: ignore[no-untyped-def]
    import io

    from jupyter_mlws.store import ConflictError

    store, _, storage_url = s3_store
    store.upload_artifact("r1", "outputs/model.pkl", io.BytesIO(b"model"))
    before = _keys(storage_url)
    with pytest.raises(ConflictError, match="folder"):
        store.upload_artifact("r1", "outputs", io.BytesIO(b"x"))
    with pytest.raises(ConflictError, match="is a file"):
        store.upload_artifact("r1", "outputs/model.pkl/x", io.BytesIO(b"x"))
    assert _keys(storage_url) == before
    assert [a.path for a in store.list_artifacts("r1")] == ["outputs/model.pkl"]


def test_s3_killed_uploads_are_reclaimed_and_overwrites_switch_whole(
        s3_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import io
    import os

    from jupyter_mlws.store import ConflictError
    from jupyter_mlws.store.base import CorruptArtifactError
    from tests.store.stalled_upload import stalled_upload

    store, settings, storage_url = s3_store
    with stalled_upload(settings, "r1", "outputs/new.bin", tmp_path), \
            pytest.raises(ConflictError, match="being written"):
        store.upload_artifact("r1", "outputs/new.bin", io.BytesIO(b"x"))
    assert store.list_artifacts("r1") == []
    assert _keys(storage_url) == {}
    store.upload_artifact("r1", "outputs/new.bin", io.BytesIO(b"after the kill"))

    old = os.urandom(3 << 20)
    store.upload_artifact("r1", "outputs/model.bin", io.BytesIO(old))
    with stalled_upload(settings, "r1", "outputs/model.bin", tmp_path, overwrite=True), \
            store.open_artifact("r1", "outputs/model.bin") as stream:
        assert stream.read() == old
    with store.open_artifact("r1", "outputs/model.bin") as stream:
        assert stream.read() == old
    new = os.urandom(1 << 20)
    store.upload_artifact("r1", "outputs/model.bin", io.BytesIO(new), overwrite=True)
    with store.open_artifact("r1", "outputs/model.bin") as stream:
        assert stream.read() == new
    # The replaced object is gone; no partial object is left.
    assert sorted(_keys(storage_url).values()) == sorted([len(b"after the kill"), len(new)])

    import s3fs

    key = f"{storage_url.removeprefix('s3://')}/runs/r1/outputs/new.bin"
    s3fs.S3FileSystem().pipe_file(key, b"after")  # cut short behind the store's back
    with pytest.raises(CorruptArtifactError, match=r"outputs/new\.bin"):
        store.open_artifact("r1", "outputs/new.bin")
