"""The server under bad input: deeply nested JSON, bodies larger than a route accepts (refused
before they are read), refused uploads on a kept-alive connection, and an authorization policy
set on the command line (importable or not)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import httpx
import pytest

from jupyter_mlws.store import get_store
from tests.helpers import jupyter_server

REPO = Path(__file__).resolve().parents[2]
DEEP = "[" * 100_000 + "]" * 100_000


async def test_deeply_nested_json_is_400(api, seed):
    for path in ("/workspaces", f"/workspaces/{seed.ws}/experiments", "/metrics/values"):
        error = await api("POST", path, expect=400, body=DEEP,
                          headers={"Content-Type": "application/json"})
        assert error["reason"] == "InvalidInput" and "JSON" in error["message"]
    # Free-form JSON (a run's definition) nests a bounded number of levels, so nothing the
    # store keeps is too deep to write or to answer.
    nested: dict = {}
    for _ in range(100):
        nested = {"a": nested}
    exp = (await api("GET", f"/workspaces/{seed.ws}/experiments/exp1"))["id"]
    error = await api("POST", f"/workspaces/{seed.ws}/runs", expect=400,
                      body={"experiment_id": exp, "run_id": "deep", "run_definition": nested})
    assert "nest" in error["message"]
    await api("GET", "/runs/deep", expect=404)


async def _raw(port: int, head: str, body: bytes = b"", timeout: float = 20.0) -> bytes:
    """Send a request head (and the start of a body) on a raw socket; the status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()


async def test_bodies_over_a_routes_cap_are_refused_before_being_read(
        api, jp_http_port, jp_base_url, jp_auth_header, seed):
    token = jp_auth_header["Authorization"]
    started = time.monotonic()
    # 150 MB announced, a few bytes sent: the answer comes without the rest being waited for.
    for path in (f"{jp_base_url}mlws/api/v1/workspaces",
                 f"{jp_base_url}mlws/api/v1/metrics/append"):
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{jp_http_port}\r\n"
                f"Authorization: {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {150 * 1024 * 1024}\r\n\r\n")
        status = await _raw(jp_http_port, head, b'{"name": "')
        assert status.startswith(b"HTTP/1.1 413"), status
    assert time.monotonic() - started < 20
    assert [w.name for w in get_store().list_workspaces()] == ["ws-main", "ws-other"]


async def test_chunked_bodies_over_the_cap_are_413(api):
    async def producer(write):  # no Content-Length: counted while it arrives
        await write(b'{"name": "x", "description": "')
        for _ in range(20):
            await write(b"y" * 100_000)
        await write(b'"}')

    response = await api.raw("POST", "/workspaces", body_producer=producer,
                             headers={"Content-Type": "application/json"})
    assert response.code == 413
    assert json.loads(response.body)["reason"] == "PayloadTooLarge"


def test_refused_uploads_on_a_kept_alive_connection_get_their_403(tmp_path, mlws_home):
    env = {**os.environ, "MLWS_HOME": str(mlws_home)}
    with jupyter_server(tmp_path / "server", env) as server:
        api = f"{server.base_url}/mlws/api/v1"
        with httpx.Client(headers={"Authorization": f"token {server.token}"}) as owner:
            ws = owner.post(f"{api}/workspaces", json={"name": "uploads"}).json()
            exp = owner.post(f"{api}/workspaces/{ws['id']}/experiments",
                             json={"name": "e"}).json()
            owner.post(f"{api}/workspaces/{ws['id']}/runs",
                       json={"experiment_id": exp["id"], "run_id": "r1"})
        url = f"{api}/runs/r1/artifacts/content/outputs/x.bin"
        with httpx.Client() as stranger:  # one pooled keep-alive connection, no token
            for size in (1024, 64 * 1024, 1024 * 1024):
                for _ in range(15):
                    response = stranger.put(url, content=b"x" * size)
                    assert response.status_code == 403, (size, response.status_code)
        # Any request refused before its body was read leaves the connection usable.
        with httpx.Client(headers={"Authorization": f"token {server.token}"}) as owner:
            for _ in range(15):
                assert owner.get(f"{api}/runs/missing").status_code == 404
                assert owner.get(f"{api}/runs/..%2Fx").status_code == 400
                assert owner.put(f"{api}/runs/missing/artifacts/content/a.txt",
                                 content=b"x" * 4096).status_code == 404
                assert owner.get(f"{api}/runs/r1").status_code == 200
            assert owner.get(f"{api}/runs/r1/artifacts").json()["artifacts"] == []


def _serve_with(tmp_path: Path, mlws_home: Path, policy: str):
    env = {**os.environ, "MLWS_HOME": str(mlws_home), "PYTHONPATH": str(REPO)}
    return jupyter_server(tmp_path / "server", env, ready_path="/api/status",
                          args=[f"--MlwsApp.authorization_policy={policy}"])


def test_policy_named_on_the_command_line_is_loaded(tmp_path, mlws_home):
    with _serve_with(tmp_path, mlws_home, "tests.server.policies.deny_deletes") as server, \
            httpx.Client(base_url=f"{server.base_url}/mlws/api/v1",
                         headers={"Authorization": f"token {server.token}"}) as client:
        created = client.post("/workspaces", json={"name": "cli-ws"})
        assert created.status_code == 201
        refused = client.delete(f"/workspaces/{created.json()['id']}")
        assert refused.status_code == 403 and refused.json()["reason"] == "Forbidden"
        assert [w["name"] for w in client.get("/workspaces").json()["workspaces"]] == ["cli-ws"]


@pytest.mark.parametrize("policy", ["tests.server.policies.no_such_policy",
                                    "tests.server.policies.not_callable"])
def test_unusable_policy_is_reported_and_denies(tmp_path, mlws_home, policy):
    with _serve_with(tmp_path, mlws_home, policy) as server, \
            httpx.Client(base_url=f"{server.base_url}/mlws/api/v1",
                         headers={"Authorization": f"token {server.token}"}) as client:
        for method, path in (("GET", "/workspaces"), ("POST", "/workspaces"),
                             ("GET", "/openapi.json")):
            response = client.request(method, path, json={"name": "x"})
            # The extension is there (not 404), and refuses with the reason.
            assert response.status_code == 403, (method, path, response.status_code)
            assert "authorization_policy" in response.json()["message"]
        log = server.log.read_text(errors="replace")
        assert "authorization_policy" in log and "refused until the setting is fixed" in log
    assert get_store().list_workspaces() == []


async def test_malformed_metric_batch_is_400(api, seed):
    body = {"count": 3, "run": "run0", "name": "m", "kind": "scalar", "description": "",
            "time": [1.0], "step": [None], "value": [0.5]}  # one point where three are said
    error = await api("POST", "/metrics/append", expect=400, body=body)
    assert "Malformed metric batch" in error["message"]
    assert [m.name for m in get_store().list_metrics("run0")] == ["loss", "acc", "weird",
                                                                 "table"]


async def test_deeply_nested_live_message_is_an_error(jp_ws_fetch, seed):
    conn = await jp_ws_fetch("mlws", "api", "v1", "live")
    try:
        await conn.write_message(DEEP)
        error = json.loads(await asyncio.wait_for(conn.read_message(), 20))
        assert error["type"] == "error" and error["sub"] is None
        nested: dict = {}
        for _ in range(200):
            nested = {"x": nested}
        await conn.write_message(json.dumps({"op": "subscribe", "id": "d",
                                             "workspace_id": seed.ws, "since": nested}))
        error = json.loads(await asyncio.wait_for(conn.read_message(), 20))
        assert error["type"] == "error" and error["sub"] == "d"
        # The socket still serves.
        await conn.write_message(json.dumps({"op": "subscribe", "id": "ok",
                                             "workspace_id": seed.ws}))
        ack = json.loads(await asyncio.wait_for(conn.read_message(), 20))
        assert ack == {"type": "subscribed", "sub": "ok"}
    finally:
        conn.close()
