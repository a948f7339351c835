"""Snapshot blob methods of the Store interface over REST (HttpStore -> server -> SqlStore),
and artifact path limits answered as bad input, not server errors."""

from __future__ import annotations

import hashlib
import io

import pytest

from jupyter_mlws.store import InvalidInputError, NotFoundError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_blob_methods_round_trip_through_the_server(http_store, sql_view):
    ws = http_store.create_workspace("ws1", "local", "local")
    small, big = b"print('hi')\n", bytes(range(256)) * 12_000  # ~3 MB, several chunks
    assert http_store.missing_snapshot_blobs(ws.id, [_sha(small), _sha(big)]) == [
        _sha(small), _sha(big)]
    http_store.put_snapshot_blob(ws.id, _sha(small), io.BytesIO(small))
    http_store.put_snapshot_blob(ws.id, _sha(big), io.BytesIO(big))
    assert http_store.missing_snapshot_blobs(ws.id, [_sha(small), _sha(big)]) == []
    # The server's own store holds them: the route went through the Store interface.
    assert sql_view.missing_snapshot_blobs(ws.id, [_sha(small), _sha(big)]) == []

    snap = http_store.create_snapshot_from_manifest(ws.id, {
        "a.py": {"sha256": _sha(small), "size": len(small)},
        "data/big.bin": {"sha256": _sha(big), "size": len(big)}})
    assert sql_view.get_snapshot(snap.id).files == snap.files
    with http_store.open_snapshot_file(snap.id, "data/big.bin") as stream:
        assert stream.read() == big


def test_wrong_blob_content_and_missing_blobs_are_bad_input(http_store, sql_view):
    ws = http_store.create_workspace("ws1", "local", "local")
    claimed = _sha(b"expected")
    with pytest.raises(InvalidInputError, match="hashes to"):
        http_store.put_snapshot_blob(ws.id, claimed, io.BytesIO(b"not that"))
    assert sql_view.missing_snapshot_blobs(ws.id, [claimed]) == [claimed]
    absent = _sha(b"never uploaded")
    with pytest.raises(InvalidInputError, match=absent):
        http_store.create_snapshot_from_manifest(ws.id, {"x.py": {"sha256": absent,
                                                                  "size": 14}})
    with pytest.raises(InvalidInputError):
        http_store.missing_snapshot_blobs(ws.id, ["../../etc/passwd"])
    with pytest.raises(NotFoundError):
        http_store.missing_snapshot_blobs("0" * 32, [claimed])


def test_create_snapshot_asks_then_uploads_only_missing(http_store, tmp_path, monkeypatch):
    ws = http_store.create_workspace("ws1", "local", "local")
    (tmp_path / "a.py").write_bytes(b"a")
    (tmp_path / "b.py").write_bytes(b"b")
    http_store.create_snapshot(ws.id, {"a.py": str(tmp_path / "a.py")})
    calls: list[str] = []
    for name in ("missing_snapshot_blobs", "put_snapshot_blob",
                 "create_snapshot_from_manifest"):
        real = getattr(http_store, name)
        monkeypatch.setattr(http_store, name,
                            lambda *a, _n=name, _r=real, **k: calls.append(_n) or _r(*a, **k))
    snap = http_store.create_snapshot(ws.id, {"a.py": str(tmp_path / "a.py"),
                                              "b.py": str(tmp_path / "b.py")})
    assert calls == ["missing_snapshot_blobs", "put_snapshot_blob",
                     "create_snapshot_from_manifest"]
    assert snap.files["b.py"] == {"sha256": _sha(b"b"), "size": 1}


def test_overlong_artifact_paths_are_bad_input_over_rest(http_store):
    ws = http_store.create_workspace("ws1", "local", "local")
    exp = http_store.get_or_create_experiment(ws.id, "exp")
    run = http_store.create_run(ws.id, exp.id, run_id="r1")
    long_segment = "outputs/" + "n" * 1000
    with pytest.raises(InvalidInputError):
        http_store.upload_artifact(run.id, long_segment, io.BytesIO(b"x"))
    with pytest.raises(InvalidInputError):
        http_store.append_log(run.id, "logs/" + "é" * 200, b"x")  # 400 bytes, 200 chars
    # The client normalizes first; the server must refuse on its own too.
    for route in (f"artifacts/content/{long_segment}", f"logs/{long_segment}"):
        method = "PUT" if route.startswith("artifacts") else "POST"
        response = http_store.http.client.request(
            method, f"{http_store.http.base}/runs/{run.id}/{route}",
            content=b"x")
        assert response.status_code == 400, (route, response.text)
    assert http_store.list_artifacts(run.id) == []
