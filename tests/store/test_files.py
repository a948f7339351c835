"""Artifacts, logs and snapshots on a local folder and on fsspec's memory:// file system."""

from __future__ import annotations

import hashlib
import io
import os
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


# ------------------------------------------------------------------ a failed write removes
# nothing it did not create


def test_names_that_are_folders_or_under_files_conflict(fstore, run) -> None:  # type: ignore[no-untyped-def]
    fstore.upload_artifact("r1", "outputs/model.pkl", io.BytesIO(b"model"))
    fstore.upload_artifact("r1", "outputs/sub/deep.txt", io.BytesIO(b"deep"))
    fstore.append_log("r1", "logs/run.log", b"line\n")
    before = _files_listing(fstore, "r1")
    for path, overwrite in (("outputs", False), ("outputs", True), ("outputs/sub", True),
                            ("logs", False)):
        with pytest.raises(ConflictError, match=rf"{path!r} of run r1\b.*folder"):
            fstore.upload_artifact("r1", path, io.BytesIO(b"x"), overwrite=overwrite)
    for path in ("outputs/model.pkl/x", "logs/run.log/x/y"):
        with pytest.raises(ConflictError, match="is a file"):
            fstore.upload_artifact("r1", path, io.BytesIO(b"x"))
    with pytest.raises(ConflictError, match="folder"):
        fstore.append_log("r1", "outputs", b"x")
    with pytest.raises(ConflictError, match="is a file"):
        fstore.append_log("r1", "outputs/model.pkl/log.txt", b"x")
    assert _files_listing(fstore, "r1") == before
    assert [a.path for a in fstore.list_artifacts("r1")] == [
        "logs/run.log", "outputs/model.pkl", "outputs/sub/deep.txt"]
    with fstore.open_artifact("r1", "outputs/sub/deep.txt") as f:
        assert f.read() == b"deep"


def test_an_unrecorded_folder_in_the_way_is_left_alone(fstore, run) -> None:  # type: ignore[no-untyped-def]
    files = fstore.db.read(lambda c: fstore.files_of_run(c, "r1"))
    if not files.is_local:
        pytest.skip("only a local file system has folders that are not key prefixes")
    stray = Path(files.run_file("r1", "stray"))
    stray.mkdir(parents=True)
    (stray / "keep.txt").write_bytes(b"not an artifact, not ours to delete")
    with pytest.raises(ConflictError, match="'stray'"):
        fstore.upload_artifact("r1", "stray", io.BytesIO(b"x"))
    assert (stray / "keep.txt").read_bytes() == b"not an artifact, not ours to delete"
    assert fstore.list_artifacts("r1") == []


class _Failing(io.RawIOBase):
    """A stream that breaks after some data, like a client that goes away."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(target), self.left)
        target[:n] = b"n" * n
        self.left -= n
        return n


def test_a_failed_overwrite_keeps_the_old_content(fstore, run) -> None:  # type: ignore[no-untyped-def]
    old = os.urandom(3 << 20)
    fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(old))
    with pytest.raises(ConnectionResetError):
        fstore.upload_artifact("r1", "outputs/model.bin", _Failing(2 << 20), overwrite=True)
    with fstore.open_artifact("r1", "outputs/model.bin") as f:
        assert f.read() == old
    assert _files_listing(fstore, "r1") == ["outputs/model.bin"]
    with pytest.raises(ConnectionResetError):
        fstore.upload_artifact("r1", "outputs/new.bin", _Failing(1 << 20))
    assert [a.path for a in fstore.list_artifacts("r1")] == ["outputs/model.bin"]
    assert _files_listing(fstore, "r1") == ["outputs/model.bin"]


def test_a_reader_of_an_overwritten_artifact_gets_one_whole_version(fstore, run) -> None:  # type: ignore[no-untyped-def]
    old, new = os.urandom(3 << 20), os.urandom(1 << 20)
    fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(old))
    with fstore.open_artifact("r1", "outputs/model.bin") as reader:
        head = reader.read(1000)
        fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(new), overwrite=True)
        try:
            assert head + reader.read() == old
        except Exception as exc:  # an object store may lose the old object: loudly
            assert "outputs/model.bin" in str(exc)
    with fstore.open_artifact("r1", "outputs/model.bin") as reader:
        assert reader.read() == new
    fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(old), overwrite=True)
    with fstore.open_artifact("r1", "outputs/model.bin") as reader:
        assert reader.read() == old
    files = fstore.db.read(lambda c: fstore.files_of_run(c, "r1"))
    assert len(files.fs.find(files.root)) == 1  # replaced versions do not pile up


# ------------------------------------------------------------------ reads check what was recorded


def _damage(store, path: str, change) -> None:  # type: ignore[no-untyped-def]
    files = store.db.read(lambda c: store.files_of_run(c, "r1"))
    stored = files.run_file("r1", path)  # written once: kept under the artifact's own name
    files.fs.pipe_file(stored, change(files.fs.cat_file(stored)))


def test_reads_of_damaged_files_fail_loudly(fstore, run) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.base import CorruptArtifactError

    data = os.urandom((2 << 20) + 1)
    fstore.upload_artifact("r1", "outputs/a.bin", io.BytesIO(data))
    _damage(fstore, "outputs/a.bin", lambda b: b[:-1] + bytes([b[-1] ^ 1]))
    with fstore.open_artifact("r1", "outputs/a.bin") as reader, \
            pytest.raises(CorruptArtifactError, match=r"'outputs/a\.bin' of run r1.*SHA-256"):
        reader.read()
    with fstore.open_artifact("r1", "outputs/a.bin") as reader:
        reader.seek(100)
        assert reader.read(10) == data[100:110]  # a part cannot be checked by its hash
    _damage(fstore, "outputs/a.bin", lambda b: b[:1000])
    with pytest.raises(CorruptArtifactError, match=r"1000 bytes.*2097153"):
        fstore.open_artifact("r1", "outputs/a.bin")
    # A log that grew after its size was recorded is fine; one that shrank is not.
    fstore.append_log("r1", "logs/x.log", b"0123456789")
    _damage(fstore, "logs/x.log", lambda b: b + b"more")
    with fstore.open_artifact("r1", "logs/x.log") as reader:
        assert reader.read() == b"0123456789more"
    _damage(fstore, "logs/x.log", lambda b: b[:3])
    with pytest.raises(CorruptArtifactError, match=r"logs/x\.log"):
        fstore.open_artifact("r1", "logs/x.log")
