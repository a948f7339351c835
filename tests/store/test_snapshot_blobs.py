"""Snapshot blobs through the Store interface: which are missing, streamed and verified
uploads, snapshots from a manifest; and what a failed artifact upload leaves behind."""

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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _blob_dir_listing(store, workspace_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    files = store.db.read(lambda c: store.files_of_workspace(c, workspace_id))
    folder = files.blob("x").rsplit("/", 1)[0]
    if not files.fs.exists(folder):
        return []
    return sorted(p.rsplit("/", 1)[-1] for p in files.fs.ls(folder, detail=False))


def test_blobs_upload_verify_and_build_a_snapshot(fstore) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    one, two = b"print(1)\n", b"x" * (3 << 20)  # the second spans several chunks
    sha1, sha2 = _sha(one), _sha(two)
    assert fstore.missing_snapshot_blobs(ws.id, [sha1, sha2, sha1]) == [sha1, sha2]
    fstore.put_snapshot_blob(ws.id, sha1, io.BytesIO(one))
    assert fstore.missing_snapshot_blobs(ws.id, [sha1, sha2]) == [sha2]
    fstore.put_snapshot_blob(ws.id, sha2, io.BytesIO(two))
    fstore.put_snapshot_blob(ws.id, sha1, io.BytesIO(one))  # again: deduplicated, harmless
    assert fstore.missing_snapshot_blobs(ws.id, [sha1, sha2]) == []
    assert _blob_dir_listing(fstore, ws.id) == sorted([sha1, sha2])

    snap = fstore.create_snapshot_from_manifest(ws.id, {
        "train.py": {"sha256": sha1, "size": len(one)},
        "data/big.bin": {"sha256": sha2, "size": len(two)},
        "copy.py": {"sha256": sha1}})  # size optional: the stored one is recorded
    assert snap.files["copy.py"] == {"sha256": sha1, "size": len(one)}
    assert fstore.get_snapshot(snap.id) == snap
    with fstore.open_snapshot_file(snap.id, "data/big.bin") as stream:
        assert stream.read() == two


def test_blob_with_wrong_content_is_rejected_and_nothing_kept(fstore) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    claimed = _sha(b"the real content")
    with pytest.raises(InvalidInputError, match=claimed):
        fstore.put_snapshot_blob(ws.id, claimed, io.BytesIO(b"something else" * 100_000))
    assert fstore.missing_snapshot_blobs(ws.id, [claimed]) == [claimed]
    assert _blob_dir_listing(fstore, ws.id) == []  # no temporary file left either


def test_manifest_with_missing_blobs_names_them(fstore) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    present = b"here"
    fstore.put_snapshot_blob(ws.id, _sha(present), io.BytesIO(present))
    absent_a, absent_b = _sha(b"a"), _sha(b"b")
    with pytest.raises(InvalidInputError) as info:
        fstore.create_snapshot_from_manifest(ws.id, {
            "ok.txt": {"sha256": _sha(present), "size": 4},
            "a.txt": {"sha256": absent_a, "size": 1},
            "b.txt": {"sha256": absent_b, "size": 1}})
    assert absent_a in str(info.value) and absent_b in str(info.value)
    with pytest.raises(InvalidInputError, match="4 bytes"):
        fstore.create_snapshot_from_manifest(ws.id, {"ok.txt": {"sha256": _sha(present),
                                                                "size": 5}})


@pytest.mark.parametrize("bad", ["../etc", "ABC", "a" * 63, "g" * 64, 12])
def test_malformed_hashes_are_rejected(fstore, bad) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    with pytest.raises(InvalidInputError):
        fstore.missing_snapshot_blobs(ws.id, [bad])
    with pytest.raises(InvalidInputError):
        fstore.put_snapshot_blob(ws.id, bad, io.BytesIO(b""))
    with pytest.raises(InvalidInputError):
        fstore.create_snapshot_from_manifest(ws.id, {"f": {"sha256": bad, "size": 0}})


def test_manifest_paths_are_confined(fstore) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    fstore.put_snapshot_blob(ws.id, _sha(b""), io.BytesIO(b""))
    with pytest.raises(InvalidInputError):
        fstore.create_snapshot_from_manifest(ws.id, {"../x": {"sha256": _sha(b""), "size": 0}})


def test_unknown_workspace_is_not_found(fstore) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        fstore.missing_snapshot_blobs("nope", [_sha(b"")])
    with pytest.raises(NotFoundError):
        fstore.put_snapshot_blob("nope", _sha(b""), io.BytesIO(b""))


def test_create_snapshot_stores_only_missing_blobs(fstore, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ws = fstore.create_workspace("w", "s", "r")
    (tmp_path / "a.py").write_bytes(b"a")
    (tmp_path / "b.py").write_bytes(b"b")
    fstore.create_snapshot(ws.id, {"a.py": str(tmp_path / "a.py")})
    uploaded: list[str] = []
    original = type(fstore).put_snapshot_blob

    def spy(self, workspace_id, sha256, stream):  # type: ignore[no-untyped-def]
        uploaded.append(sha256)
        return original(self, workspace_id, sha256, stream)

    monkeypatch.setattr(type(fstore), "put_snapshot_blob", spy)
    snap = fstore.create_snapshot(ws.id, {"a.py": str(tmp_path / "a.py"),
                                          "b.py": str(tmp_path / "b.py")})
    assert uploaded == [_sha(b"b")]
    assert snap.files == {"a.py": {"sha256": _sha(b"a"), "size": 1},
                          "b.py": {"sha256": _sha(b"b"), "size": 1}}


class _Breaks(io.RawIOBase):
    """A stream that yields some data, then fails like a dropped connection."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        if self.sent >= 3:
            raise ConnectionResetError("peer went away")
        self.sent += 1
        n = min(len(target), 1 << 20)
        target[:n] = b"p" * n
        return n


@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_streamed_upload_leaves_no_file_and_no_row(fstore, overwrite) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    exp = fstore.get_or_create_experiment(ws.id, "e")
    fstore.create_run(ws.id, exp.id, run_id="r1")
    if overwrite:
        fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(b"old"))
    with pytest.raises(ConnectionResetError):
        fstore.upload_artifact("r1", "outputs/model.bin", _Breaks(), overwrite=overwrite)
    files = fstore.db.read(lambda c: fstore.files_of_run(c, "r1"))
    if overwrite:
        # A failed write removes nothing it did not create: the old content stays, whole.
        assert [a.size for a in fstore.list_artifacts("r1")] == [3]
        with fstore.open_artifact("r1", "outputs/model.bin") as stream:
            assert stream.read() == b"old"
    else:
        assert fstore.list_artifacts("r1") == []
        assert not files.exists(files.run_file("r1", "outputs/model.bin"))
    assert len(files.fs.find(files.root)) == (1 if overwrite else 0)  # no partial file left
    # The path is free again: a retry succeeds.
    fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(b"new"), overwrite=overwrite)
    with fstore.open_artifact("r1", "outputs/model.bin") as stream:
        assert stream.read() == b"new"


def test_upload_in_progress_is_not_listed_or_readable(fstore) -> None:  # type: ignore[no-untyped-def]
    ws = fstore.create_workspace("w", "s", "r")
    exp = fstore.get_or_create_experiment(ws.id, "e")
    fstore.create_run(ws.id, exp.id, run_id="r1")
    seen: dict[str, object] = {}

    class Observing(io.RawIOBase):
        """Looks at the store while the upload is half way through."""

        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.calls == 2:
                seen["listed"] = [a.path for a in fstore.list_artifacts("r1")]
                try:
                    fstore.open_artifact("r1", "outputs/model.bin")
                    seen["readable"] = True
                except NotFoundError:
                    seen["readable"] = False
                try:
                    fstore.upload_artifact("r1", "outputs/model.bin", io.BytesIO(b"other"))
                    seen["second"] = "stored"
                except ConflictError:
                    seen["second"] = "conflict"
            if self.calls > 2:
                return 0
            target[:5] = b"bytes"
            return 5

    record = fstore.upload_artifact("r1", "outputs/model.bin", Observing())
    assert seen == {"listed": [], "readable": False, "second": "conflict"}
    assert record.size == 10
    assert [(a.path, a.size) for a in fstore.list_artifacts("r1")] == [("outputs/model.bin", 10)]
