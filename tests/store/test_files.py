"""Artifacts, logs and snapshots on a local folder and on fsspec's memory:// file system."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest

from jupyter_mlws.store import ConflictError, InvalidInputError, NotFoundError
from jupyter_mlws.store.settings import StoreSettings


@pytest.fixture(params=["local", "memory"])
def fstore(request, database_url, mlws_home):  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.sql import SqlStore

    root = (str(mlws_home / "workspaces") if request.param == "local"
            else f"memory://mlws-{uuid.uuid4().hex}")
    s = SqlStore(StoreSettings(home=mlws_home, database_url=database_url, storage_root=root))
    yield s
    s.close()


@pytest.fixture
def run(fstore):  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("ws1", "s", "r")
    exp = fstore.get_or_create_experiment(ws.id, "e")
    return fstore.create_run(ws.id, exp.id, run_id="r1")


def _files_listing(store, run_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    files = store.db.read(lambda c: store.files_of_run(c, run_id))
    base = files.run_dir(run_id)
    if not files.fs.exists(base):
        return []
    return sorted(p[len(base.rstrip("/")) + 1:] for p in files.fs.find(base))


def test_upload_list_open(fstore, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "model.json"
    data = b'{"w": [1, 2, 3]}' * 100_000
    src.write_bytes(data)
    rec = fstore.upload_artifact("r1", "outputs/model.json", str(src))
    assert rec.size == len(data) and rec.content_type == "application/json"
    fstore.upload_artifact("r1", "outputs/sub/blob", io.BytesIO(b"\x00\x01"))
    fstore.upload_artifact("r1", "logs/a.txt", io.BytesIO(b"x"))
    with pytest.raises(ConflictError):
        fstore.upload_artifact("r1", "outputs/model.json", io.BytesIO(b"other"))
    with fstore.open_artifact("r1", "outputs/model.json") as f:
        assert f.read() == data
    again = fstore.upload_artifact("r1", "outputs/model.json", io.BytesIO(b"new"),
                                   overwrite=True)
    assert again.size == 3
    with fstore.open_artifact("r1", "outputs/model.json") as f:
        assert f.read() == b"new"
    assert [a.path for a in fstore.list_artifacts("r1")] == [
        "logs/a.txt", "outputs/model.json", "outputs/sub/blob"]
    assert [a.path for a in fstore.list_artifacts("r1", prefix="outputs/")] == [
        "outputs/model.json", "outputs/sub/blob"]
    assert fstore.list_artifacts("r1", prefix="outputs/sub/blob")[0].content_type == (
        "application/octet-stream")
    with pytest.raises(NotFoundError):
        fstore.open_artifact("r1", "outputs/nope")
    with pytest.raises(NotFoundError):
        fstore.upload_artifact("missing-run", "a.txt", io.BytesIO(b"x"))


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs.txt", "a\\b.txt", "a/../../x",
                                 "C:/x.txt", "a//b"])
def test_bad_paths_write_nothing(fstore, run, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError):
        fstore.upload_artifact("r1", bad, io.BytesIO(b"evil"))
    with pytest.raises(InvalidInputError):
        fstore.append_log("r1", bad, b"evil")
    with pytest.raises(InvalidInputError):
        fstore.open_artifact("r1", bad)
    assert fstore.list_artifacts("r1") == []
    assert _files_listing(fstore, "r1") == []


def test_append_log(fstore, run) -> None:  # type: ignore[no-untyped-def]
    assert fstore.append_log("r1", "user_logs/std_log.txt", b"line 1\n") == 7
    assert fstore.append_log("r1", "user_logs/std_log.txt", b"line 2\n") == 14
    (rec,) = fstore.list_artifacts("r1")
    assert rec.size == 14 and rec.content_type == "text/plain"
    with fstore.open_artifact("r1", "user_logs/std_log.txt") as f:
        assert f.read() == b"line 1\nline 2\n"


def test_snapshots_are_deduplicated(fstore, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.py").write_text("print('a')\n")
    (tmp_path / "b.py").write_text("print('a')\n")
    (tmp_path / "c.txt").write_bytes(b"other")
    ws_id = run.workspace_id
    snap = fstore.create_snapshot(ws_id, {"a.py": str(tmp_path / "a.py"),
                                          "sub/b.py": str(tmp_path / "b.py"),
                                          "c.txt": str(tmp_path / "c.txt")})
    sha = hashlib.sha256(b"print('a')\n").hexdigest()
    assert snap.files["a.py"] == {"sha256": sha, "size": 11}
    assert snap.files["sub/b.py"]["sha256"] == sha
    assert fstore.get_snapshot(snap.id) == snap
    with fstore.open_snapshot_file(snap.id, "sub/b.py") as f:
        assert f.read() == b"print('a')\n"
    files = fstore.db.read(lambda c: fstore.files_of_workspace(c, ws_id))
    blobs = files.fs.ls(files.blob("x").rsplit("/", 1)[0], detail=False)
    assert len(blobs) == 2
    with pytest.raises(NotFoundError):
        fstore.open_snapshot_file(snap.id, "missing.py")
    with pytest.raises(InvalidInputError):
        fstore.create_snapshot(ws_id, {"../x": str(tmp_path / "a.py")})
    with pytest.raises(NotFoundError):
        fstore.get_snapshot("nope")


def test_workspace_delete_removes_files(fstore, run) -> None:  # type: ignore[no-untyped-def]
    fstore.append_log("r1", "logs/x.log", b"x")
    files = fstore.db.read(lambda c: fstore.files_of_run(c, "r1"))
    assert files.fs.exists(files.root)
    fstore.delete_workspace(run.workspace_id)
    assert not files.fs.exists(files.root)
