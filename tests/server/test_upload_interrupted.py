"""A jupyter server SIGKILLed in the middle of an artifact upload, then started again on the
same store: what was there before is served whole, the half-written upload is gone, and the
name can be written again (the dead server's claim on it is reclaimed)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jupyter_mlws.store import get_store
from jupyter_mlws.store.http import HttpStore
from jupyter_mlws.store.settings import StoreSettings
from tests.helpers import JupyterServer, jupyter_server, wait_until

pytestmark = pytest.mark.timeout(240)

MB = 1 << 20
OLD = os.urandom(4 * MB + 3)
API = "/mlws/api/v1"


@pytest.fixture
def seeded(mlws_home: Path) -> tuple[str, str]:
    store = get_store()
    ws = store.create_workspace("killed", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp")
    store.create_run(ws.id, exp.id, run_id="run1", status="Running")
    return ws.id, ws.storage_url


def _env(mlws_home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLWS_")}
    env["MLWS_HOME"] = str(mlws_home)
    return env


def _request(server: JupyterServer, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(urlsplit(server.base_url).netloc, timeout=60)
    try:
        conn.request(method, API + path, body=body or None,
                     headers={"Authorization": f"token {server.token}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def _half_sent_put(server: JupyterServer, path: str, total: int, sent: int) -> Iterator[None]:
    """A PUT declaring ``total`` bytes of which only ``sent`` are ever sent (from a thread,
    as the server's reading allows); the connection stays open until the block ends."""
    conn = http.client.HTTPConnection(urlsplit(server.base_url).netloc, timeout=60)
    conn.putrequest("PUT", API + path)
    conn.putheader("Authorization", f"token {server.token}")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(total))
    conn.endheaders()

    def send() -> None:
        chunk = os.urandom(MB)
        try:
            for _ in range(sent // MB):
                conn.send(chunk)
        except OSError:
            pass  # the server was killed under us: expected

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        yield
    finally:
        conn.close()
        sender.join(30)


def _written_since(root: Path, since: float, at_least: int) -> bool:
    """Some file under ``root`` was written after ``since`` and holds ``at_least`` bytes:
    the server is part-way through storing the new upload, wherever it keeps it."""
    for path in root.rglob("*"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.is_file() and stat.st_mtime >= since and stat.st_size >= at_least:
            return True
    return False


def _kill_mid_put(server: JupyterServer, path: str, storage: Path) -> None:
    """Start a 64 MB PUT of ``path``, send 24 MB, and SIGKILL the server once it has stored
    8 MB of it."""
    started = time.time() - 1  # file times have coarse resolution on some systems
    with _half_sent_put(server, path, total=64 * MB, sent=24 * MB):
        wait_until(lambda: _written_since(storage, started, 8 * MB), timeout=120,
                   what="the server to store part of the upload")
        server.process.kill()
        server.process.wait(30)


def _sdk_store(server: JupyterServer, home: Path) -> HttpStore:
    return HttpStore(StoreSettings(home=home, database_url="unused", storage_root="unused",
                                   tracking_uri=server.base_url + "/mlws", token=server.token))


def test_server_killed_during_an_overwriting_put_keeps_the_old_content(
        tmp_path: Path, mlws_home: Path, seeded: tuple[str, str]) -> None:
    _, storage_url = seeded
    content = "/runs/run1/artifacts/content/outputs/model.bin"
    env = _env(mlws_home)
    with jupyter_server(tmp_path / "first", env) as server:
        status, body = _request(server, "PUT", content, OLD)
        assert status == 201, body
        _kill_mid_put(server, content + "?overwrite=true", Path(storage_url))

    with jupyter_server(tmp_path / "second", env) as server:
        status, body = _request(server, "GET", content)
        assert status == 200, body[:300]
        assert body == OLD  # whole and unchanged, not the first megabytes of the new upload
        status, part = _request(server, "GET", content, headers={"Range": "bytes=100-199"})
        assert status == 206 and part == OLD[100:200]
        status, listing = _request(server, "GET", "/runs/run1/artifacts")
        (record,) = json.loads(listing)["artifacts"]
        assert record["path"] == "outputs/model.bin" and record["size"] == len(OLD)
        client = _sdk_store(server, tmp_path / "client")
        try:
            with client.open_artifact("run1", "outputs/model.bin") as stream:
                assert stream.read() == OLD
        finally:
            client.close()
        # The dead server's claim on the name is gone: a new overwrite goes through.
        new = os.urandom(2 * MB)
        status, body = _request(server, "PUT", content + "?overwrite=true", new)
        assert status == 201, body
        assert _request(server, "GET", content) == (200, new)
    # Nothing of the interrupted upload is left behind in the workspace's storage.
    stored = sorted(p for p in Path(storage_url).rglob("*") if p.is_file())
    assert [p.stat().st_size for p in stored] == [len(new)]


def test_server_killed_during_a_new_put_leaves_the_name_free(
        tmp_path: Path, mlws_home: Path, seeded: tuple[str, str]) -> None:
    _, storage_url = seeded
    content = "/runs/run1/artifacts/content/outputs/new.bin"
    env = _env(mlws_home)
    with jupyter_server(tmp_path / "first", env) as server:
        _kill_mid_put(server, content, Path(storage_url))

    with jupyter_server(tmp_path / "second", env) as server:
        status, listing = _request(server, "GET", "/runs/run1/artifacts")
        assert json.loads(listing)["artifacts"] == []
        assert _request(server, "GET", content)[0] == 404
        data = os.urandom(MB + 1)
        status, body = _request(server, "PUT", content, data)
        assert status == 201, body
        assert _request(server, "GET", content) == (200, data)
    stored = [p for p in Path(storage_url).rglob("*") if p.is_file()]
    assert [p.stat().st_size for p in stored] == [len(data)]
