"""The replica's ASGI app in-process (no daemon, no network): the direct score path and the
Starlette routes behind it answer as v1 does, and every answer is recorded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlws.execution.serving import app as app_module
from jupyter_mlws.execution.serving.app import KeyRing, ScoringApp
from jupyter_mlws.execution.serving.recorder import Recorder, RecordReader, parse_records


def _call(asgi: Any, method: str, path: str, chunks: list[bytes] | None = None,
          headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict, bytes]:
    """One request through the ASGI callable; ``chunks``: the body, one message each."""
    pending = list(chunks or [b""])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": headers or [],
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5555)}
    asyncio.run(asgi(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def _records(recorder: Recorder, folder: Path) -> list[tuple[int, int, int]]:
    """(status, bytes in, bytes out) of what the recorder wrote."""
    recorder.flush()
    found = []
    for _replica, data in RecordReader(folder, ".bin").read(set()):
        found += [(status, bytes_in, bytes_out)
                  for _t, _lat, status, bytes_in, bytes_out in parse_records(data)]
    return found


@pytest.fixture
def recorder(tmp_path: Path):
    recorder = Recorder(tmp_path / "requests", None, "r1")
    yield recorder
    recorder.close()


def _run(raw: str) -> Any:
    data = json.loads(raw)
    if data.get("fail"):
        raise ValueError("asked to fail")
    if data.get("set"):
        return {1, 2}  # not JSON-serializable
    return {"y": [2 * x for x in data["data"]]}


def _scoring(recorder: Recorder, run: Any = _run, **kw: Any) -> ScoringApp:
    options = {"service": "svc", "replica": "r1", "keys": None, "collect": False,
               "aks_prefix": False, **kw}
    return ScoringApp(run, recorder, **options)


def test_score_statuses_and_records(recorder: Recorder, tmp_path: Path) -> None:
    asgi = _scoring(recorder).app
    status, headers, body = _call(asgi, "POST", "/score", [b'{"data": [1, 2]}'])
    assert (status, json.loads(body)) == (200, {"y": [2, 4]})
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(body))
    # A body in several messages is joined before run() sees it.
    status, _, body = _call(asgi, "POST", "/score", [b'{"da', b'ta": [', b"3]}"])
    assert (status, json.loads(body)) == (200, {"y": [6]})
    status, _, body = _call(asgi, "POST", "/score", [b'{"fail": true}'])
    assert status == 500 and "run() raised ValueError: asked to fail" in json.loads(body)["error"]
    status, _, body = _call(asgi, "POST", "/score", [b'{"set": true}'])
    assert status == 500 and "not JSON-serializable" in json.loads(body)["error"]
    status, _, body = _call(asgi, "POST", "/score", [b"\xff\xfe"])
    assert status == 400 and json.loads(body)["replica"] == "r1"
    assert [s for s, _, _ in _records(recorder, tmp_path / "requests")] == [
        200, 200, 500, 500, 400]


def test_body_over_the_limit(recorder: Recorder, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MAX_BODY_BYTES", 20)
    asgi = _scoring(recorder).app
    assert _call(asgi, "POST", "/score", [b"x" * 21])[0] == 413
    assert _call(asgi, "POST", "/score", [b"x" * 8, b"x" * 8, b"x" * 8])[0] == 413  # the total
    assert _call(asgi, "POST", "/score", [b'{"data":', b" [1]}"])[0] == 200  # 13 bytes
    assert [s for s, _, _ in _records(recorder, tmp_path / "requests")] == [413, 413, 200]


def test_other_routes_as_before(recorder: Recorder) -> None:
    asgi = _scoring(recorder, aks_prefix=True).app
    assert _call(asgi, "GET", "/")[::2] == (200, b"Healthy")
    assert _call(asgi, "HEAD", "/")[0] == 200
    swagger = json.loads(_call(asgi, "GET", "/swagger.json")[2])
    assert set(swagger["paths"]) == {"/score", "/api/v1/service/svc/score"}
    assert _call(asgi, "GET", "/api/v1/service/svc/swagger.json")[0] == 200
    status, headers, _ = _call(asgi, "GET", "/score")
    assert status == 405 and headers["allow"] == "POST"
    assert _call(asgi, "POST", "/swagger.json")[0] == 405
    assert _call(asgi, "POST", "/nowhere")[0] == 404
    assert _call(asgi, "POST", "/api/v1/service/svc/score", [b'{"data": [5]}'])[2] == \
        b'{"y": [10]}'
    # Without the AKS paths they are not found.
    plain = _scoring(recorder).app
    assert _call(plain, "POST", "/api/v1/service/svc/score", [b'{"data": [5]}'])[0] == 404


def test_keys_and_async_run(recorder: Recorder, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"primaryKey": "k1", "secondaryKey": "k2"}))

    async def run(raw: str) -> Any:
        await asyncio.sleep(0)
        return _run(raw)

    asgi = _scoring(recorder, run=run, keys=KeyRing(str(keys_file))).app
    body = [b'{"data": [1]}']
    assert _call(asgi, "POST", "/score", body)[0] == 401
    assert _call(asgi, "POST", "/score", body, [(b"authorization", b"Bearer nope")])[0] == 401
    for key in (b"k1", b"k2"):
        status, _, answer = _call(asgi, "POST", "/score", body,
                                  [(b"authorization", b"Bearer " + key)])
        assert (status, answer) == (200, b'{"y": [2]}')
    assert [s for s, _, _ in _records(recorder, tmp_path / "requests")] == [401, 401, 200, 200]
