"""The live WebSocket channel: a separate process logs through the SDK while a subscribed
client receives the status change, metric deltas, new files, new log lines and new runs;
authentication, authorization and unsubscribe; the bounded send queue."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.server.authz import MlwsResource
from jupyter_mlws.server.live import SendQueue, poller_of

pytestmark = pytest.mark.timeout(120)
LIVE = ("mlws", "api", "v1", "live")
WAIT = 20.0  # seconds a test waits for an expected message before failing

# Drives an interactive run from another process, one stdin command at a time, so the test
# decides when each change happens and waits for its arrival without sleeping.
DRIVER = r"""
import io, sys
from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.store import get_store

ws = Workspace.get("ws-live", subscription_id="local", resource_group="local")
exp = Experiment(ws, "exp1")
run = None
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "start":
        run = exp.start_logging(snapshot_directory=None)
        print(run.id, flush=True)
        continue
    if cmd == "log":
        for i in range(int(args[0]), int(args[1])):
            run.log("loss", 1.0 / (i + 1), step=i)
        run.log("weird", float("nan"))
    elif cmd == "upload":
        run.upload_file(args[0], io.BytesIO(b"model bytes"))
    elif cmd == "logline":
        get_store().append_log(run.id, "logs/train.log", (args[0] + "\n").encode())
    elif cmd == "tag":
        run.tag(args[0], args[1])
    elif cmd == "complete":
        run.complete()
    print("ok", flush=True)
"""


class Live:
    """A WebSocket client that keeps every message and waits for the ones a test expects."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.received: list[dict[str, Any]] = []

    async def send(self, **message: Any) -> None:
        await self.conn.write_message(json.dumps(message))

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                       timeout: float = WAIT) -> dict[str, Any]:
        """The first message (already received or arriving) that matches."""
        for message in self.received:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching message; got {self.received[-10:]}")
            raw = await asyncio.wait_for(self.conn.read_message(), remaining)
            assert raw is not None, "the server closed the connection"
            message = json.loads(raw)
            self.received.append(message)
            if predicate(message):
                return message

    async def subscribe(self, sub: str, **fields: Any) -> dict[str, Any]:
        await self.send(op="subscribe", id=sub, **fields)
        return await self.wait_for(lambda m: m.get("sub") == sub
                                   and m["type"] in ("subscribed", "error"))

    def of(self, sub: str, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("sub") == sub and m["type"] == kind]


@pytest.fixture
def connect(jp_ws_fetch) -> Iterator[Callable[[], Awaitable[Live]]]:
    """Opens live connections (the test's event loop is pytest-jupyter's, so this is a
    factory awaited in the test); they are closed after the test."""
    opened: list[WebSocketClientConnection] = []

    async def open_live() -> Live:
        conn = await jp_ws_fetch(*LIVE)
        opened.append(conn)
        return Live(conn)

    yield open_live
    for conn in opened:
        conn.close()


class Driver:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def _roundtrip(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command.encode() + b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"driver died on {command!r}"
        return line.decode().strip()

    async def __call__(self, command: str) -> str:
        # Off the event loop: the server under test runs on it and must keep polling.
        return await asyncio.wait_for(asyncio.to_thread(self._roundtrip, command), WAIT)


@pytest.fixture
def driver(store) -> Iterator[tuple[str, Driver]]:
    ws = store.create_workspace("ws-live", "local", "local")
    store.get_or_create_experiment(ws.id, "exp1")
    process = subprocess.Popen([sys.executable, "-c", DRIVER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    yield ws.id, Driver(process)
    process.kill()
    process.wait()


def points(messages: list[dict[str, Any]], name: str) -> list[tuple[int, Any, Any]]:
    return [(seq, step, value) for m in messages if m["name"] == name
            for seq, step, value in zip(m["seq"], m["step"], m["value"], strict=True)]


async def test_run_from_another_process_streams_live(connect, driver, store):
    live = await connect()
    ws, run = driver
    assert (await live.subscribe("exp", workspace_id=ws, experiment="exp1"))["type"] \
        == "subscribed"

    run_id = await run("start")
    new_run = await live.wait_for(lambda m: m["sub"] == "exp" and m["type"] == "run")
    assert new_run["run"]["id"] == run_id and new_run["run"]["status"] == "Running"

    ack = await live.subscribe("run", workspace_id=ws, run_id=run_id,
                               logs=["logs/train.log"])
    assert ack["type"] == "subscribed"
    assert live.of("run", "run")[0]["run"]["status"] == "Running"  # current state first

    # Two waves, so deltas cross polling ticks: every point exactly once, in order.
    assert await run("log 0 50") == "ok"
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "metric"
                        and m["name"] == "loss" and m["seq"][-1] == 50)
    assert await run("log 50 120") == "ok"
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "metric"
                        and m["name"] == "loss" and m["seq"][-1] == 120)
    loss = points(live.of("run", "metric"), "loss")
    assert [seq for seq, _, _ in loss] == list(range(1, 121))
    assert [step for _, step, _ in loss] == list(range(120))
    assert loss[9][2] == pytest.approx(1 / 10)
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "metric"
                        and m["name"] == "weird" and m["seq"][-1] == 2)
    assert {v for _, _, v in points(live.of("run", "metric"), "weird")} == {"NaN"}

    assert await run("upload outputs/model.txt") == "ok"
    files = await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "files")
    assert [a["path"] for a in files["artifacts"]] == ["outputs/model.txt"]
    assert files["artifacts"][0]["size"] == len(b"model bytes")

    assert await run("logline first") == "ok"
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "log")
    assert await run("logline second") == "ok"
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "log"
                        and "second" in m["data"])
    logs = live.of("run", "log")
    assert "".join(m["data"] for m in logs) == "first\nsecond\n"
    assert logs[0]["offset"] == 0
    assert all(a["next_offset"] == b["offset"] for a, b in itertools.pairwise(logs))

    assert await run("complete") == "ok"
    for sub in ("run", "exp"):
        await live.wait_for(lambda m, sub=sub: m["sub"] == sub and m["type"] == "run"
                            and m["run"]["status"] == "Completed")

    # After unsubscribe, changes reach the experiment subscription only.
    await live.send(op="unsubscribe", id="run")
    await live.wait_for(lambda m: m["sub"] == "run" and m["type"] == "unsubscribed")
    seen = len(live.received)
    assert await run("tag stage done") == "ok"
    await live.wait_for(lambda m: m["sub"] == "exp" and m["type"] == "run"
                        and m["run"]["tags"].get("stage") == "done")
    assert not [m for m in live.received[seen:] if m.get("sub") == "run"]
    # Nothing was sent twice to the experiment subscription for the same state.
    exp_runs = [json.dumps(m["run"], sort_keys=True) for m in live.of("exp", "run")]
    assert len(exp_runs) == len(set(exp_runs))
    check_messages(live.received)


def check_messages(messages: list[dict[str, Any]]) -> None:
    """Every server message fits LiveServerMessage of the OpenAPI document."""
    doc = openapi_document()
    validator = OAS31Validator({"allOf": [{"$ref": "#/components/schemas/LiveServerMessage"}],
                                "components": doc["components"]})
    for message in messages:
        errors = [e.message for e in validator.iter_errors(message)]
        assert not errors, (message, errors[:3])


async def test_new_runs_in_a_watched_workspace(connect, store):
    live = await connect()
    ws = store.create_workspace("ws-a", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp1")
    store.create_run(ws.id, exp.id, run_id="old", status="Running")
    assert (await live.subscribe("w", workspace_id=ws.id))["type"] == "subscribed"
    store.create_run(ws.id, exp.id, run_id="fresh", status="Running")
    message = await live.wait_for(lambda m: m["sub"] == "w" and m["type"] == "run")
    assert message["run"]["id"] == "fresh"  # the old run is baseline, not news
    store.update_run("old", status="Failed")
    failed = await live.wait_for(lambda m: m["sub"] == "w" and m["type"] == "run"
                                  and m["run"]["id"] == "old")
    assert failed["run"]["status"] == "Failed"


async def test_deleted_run_ends_its_subscription(connect, store):
    live = await connect()
    ws = store.create_workspace("ws-d", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp1")
    store.create_run(ws.id, exp.id, run_id="gone", status="Running")
    assert (await live.subscribe("g", workspace_id=ws.id, run_id="gone"))["type"] \
        == "subscribed"
    store.delete_run("gone")
    error = await live.wait_for(lambda m: m["sub"] == "g" and m["type"] == "error")
    assert "gone" in error["message"]
    # The id is free again once the subscription ended.
    assert (await live.subscribe("g", workspace_id=ws.id))["type"] == "subscribed"


async def test_polling_stops_without_subscribers(connect, store, jp_serverapp):
    live = await connect()
    ws = store.create_workspace("ws-p", "local", "local")
    assert (await live.subscribe("p", workspace_id=ws.id))["type"] == "subscribed"
    poller = poller_of(jp_serverapp.web_app.settings, lambda: None)  # the server's one poller
    assert poller.running
    await live.send(op="unsubscribe", id="p")
    await live.wait_for(lambda m: m["type"] == "unsubscribed")
    deadline = time.monotonic() + WAIT
    while poller.running and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # yield until the poll task notices it has nobody to serve
    assert not poller.running


async def test_metric_selection_and_cursors(connect, store):
    live = await connect()
    ws = store.create_workspace("ws-m", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp1")
    store.create_run(ws.id, exp.id, run_id="r", status="Running")
    now = time.time()
    store.append_metrics([("r", "a", "scalar", i, now, float(i), "") for i in range(10)]
                         + [("r", "b", "scalar", None, now, 1.0, "")]
                         + [("r", "t", "table", None, now, {"x": 1}, "")])
    ack = await live.subscribe("s", workspace_id=ws.id, run_id="r", metrics=["a", "t"],
                               since={"a": 7})
    assert ack["type"] == "subscribed"
    names = {m["name"]: m for m in live.of("s", "metric")}
    assert set(names) == {"a", "t"}  # b not asked for; a table series only by name
    assert names["a"]["seq"] == [8, 9, 10]
    assert names["t"]["value"] == [{"x": 1}]


async def test_unauthenticated_connect_is_refused(jp_ws_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch(*LIVE, headers={"Authorization": "token wrong"})
    assert info.value.code == 403


async def test_cookie_auth_checks_origin(jp_fetch, jp_http_port, jp_base_url):
    # A token-authenticated request leaves the login cookie a browser would hold.
    response = await jp_fetch("mlws", "api", "v1", "openapi.json")
    cookie = "; ".join(c.split(";")[0] for c in response.headers.get_list("Set-Cookie"))
    assert cookie, response.headers
    host = f"127.0.0.1:{jp_http_port}"  # the host the cookie was issued for
    url = f"ws://{host}{jp_base_url}mlws/api/v1/live"
    foreign = HTTPRequest(url, headers={"Cookie": cookie, "Origin": "http://evil.example"})
    with pytest.raises(HTTPClientError) as info:
        await websocket_connect(foreign)
    assert info.value.code == 403
    same = await websocket_connect(HTTPRequest(
        url, headers={"Cookie": cookie, "Origin": f"http://{host}"}))
    same.close()


async def test_plain_get_is_a_documented_error(api):
    error = await api("GET", "/live", expect=400)  # checked against the OpenAPI document
    assert "WebSocket" in error["message"]


def deny_other(user: Any, action: str, resource: MlwsResource) -> bool:
    return resource.workspace_id != "forbidden-ws"


@pytest.mark.parametrize("jp_server_config", [{
    "ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
    "MlwsApp": {"authorization_policy": deny_other}}])
async def test_unauthorized_subscription_gets_an_error(connect, store):
    live = await connect()
    ws = store.create_workspace("ok-ws", "local", "local")
    denied = await live.subscribe("x", workspace_id="forbidden-ws")
    assert denied["type"] == "error" and "Not allowed" in denied["message"]
    assert (await live.subscribe("y", workspace_id=ws.id))["type"] == "subscribed"


async def test_bad_requests_get_errors(connect, store):
    live = await connect()
    ws = store.create_workspace("ws-b", "local", "local")
    await live.conn.write_message("not json")
    assert (await live.wait_for(lambda m: m["type"] == "error"))["sub"] is None
    cases = {
        "a": {"workspace_id": ws.id, "run_id": "missing"},
        "b": {"workspace_id": ws.id, "experiment": "nope"},
        "c": {"workspace_id": "../etc"},
        "d": {"workspace_id": ws.id, "run_id": "r", "experiment": "e"},
        "e": {"workspace_id": ws.id, "logs": ["logs/x.txt"]},
        "f": {"workspace_id": ws.id, "colour": "red"},
    }
    for sub, fields in cases.items():
        assert (await live.subscribe(sub, **fields))["type"] == "error", sub
    await live.send(op="unsubscribe", id="nothing")
    assert (await live.wait_for(lambda m: m.get("sub") == "nothing"))["type"] == "error"
    await live.send(op="dance", id="z")
    assert (await live.wait_for(lambda m: m.get("sub") == "z"))["type"] == "error"


async def test_slow_client_queue_is_bounded():
    release = asyncio.Event()
    written: list[str] = []

    async def stuck_write(text: str) -> None:
        await release.wait()  # a client whose socket does not drain
        written.append(text)

    queue = SendQueue(stuck_write, max_bytes=100, max_messages=1000)
    accepted = [queue.put("x" * 30) for _ in range(5)]
    assert accepted == [True, True, True, False, False]  # 90 bytes queued, 120 refused
    release.set()
    deadline = time.monotonic() + WAIT
    while len(written) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # yield to the drain task until it wrote the backlog
    assert len(written) == 3 and queue.queued_bytes == 0
    assert queue.put("y" * 30)  # room again once the client caught up
    queue.close()
