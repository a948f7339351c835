"""Fixtures of the REST API tests: an in-process jupyter server with the extension
(pytest-jupyter), a client that checks every response against the OpenAPI document, and seeded
store data. Each test's private MLWS_HOME comes from ``mlws_home`` in tests/conftest.py."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, jp_serverapp, ...)
from tornado.httpclient import HTTPResponse

from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.store import get_store

UPLOAD_LIMIT = 64 * 1024
API = "mlws/api/v1"


@pytest.fixture
def upload_limit() -> int:
    return UPLOAD_LIMIT


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
            "MlwsApp": {"max_upload_bytes": UPLOAD_LIMIT}}


# --------------------------------------------------------------------------- OpenAPI checks


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        # Artifact paths and metric names may span segments; ids and names may not.
        part = "(.+)" if name in ("path", "metric_name") else "([^/]+)"
        pattern = pattern.replace(re.escape("{" + name + "}"), part)
    return re.compile(f"^{pattern}$")


_TEMPLATES = sorted(openapi_document()["paths"],
                    key=lambda t: -len(re.sub(r"\{\w+\}", "", t)))
_REGEXES = [(t, _template_regex(t)) for t in _TEMPLATES]


def match_template(path: str) -> str:
    for template, regex in _REGEXES:
        if regex.match(path):
            return template
    raise AssertionError(f"{path} matches no path of the OpenAPI document")


def check_response(method: str, path: str, response: HTTPResponse) -> None:
    """Assert the status is documented for the operation and the JSON body fits its schema."""
    doc = openapi_document()
    operation = doc["paths"][match_template(path.split("?")[0])][method.lower()]
    documented = operation["responses"].get(str(response.code))
    assert documented is not None, f"{method} {path}: status {response.code} not documented"
    if "$ref" in documented:
        documented = doc["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    content = documented.get("content", {})
    if "application/json" not in content:
        return
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    schema = {"allOf": [content["application/json"]["schema"]], "components": doc["components"]}
    errors = [e.message for e in OAS31Validator(schema).iter_errors(body)]
    assert not errors, f"{method} {path} -> {response.code}: {errors[:3]}"


@dataclass
class Api:
    """Calls the REST API with the test token; every response is checked against the spec."""

    client: Any
    base_url: str
    auth: dict[str, str]

    async def raw(self, method: str, path: str, *, body: Any = None,
                  headers: dict[str, str] | None = None, auth: bool = True,
                  **kwargs: Any) -> HTTPResponse:
        all_headers = dict(self.auth if auth else {})
        all_headers.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        if body is None and method in ("POST", "PUT", "PATCH") and "body_producer" not in kwargs:
            body = b""
        return await self.client.fetch(
            f"{self.base_url}{API}{path}", method=method, body=body, headers=all_headers,
            raise_error=False, request_timeout=30, allow_nonstandard_methods=True, **kwargs)

    async def __call__(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.raw(method, path, **kwargs)
        assert response.code == expect, (method, path, response.code, response.body[:500])
        check_response(method, path, response)
        if response.body and response.headers.get("Content-Type", "").startswith(
                "application/json"):
            return json.loads(response.body)
        return response


@pytest.fixture
def api(jp_serverapp, http_server_client, jp_auth_header, jp_base_url) -> Api:
    return Api(http_server_client, jp_base_url, dict(jp_auth_header))


# --------------------------------------------------------------------------- seeded data


@dataclass
class Seed:
    ws: str
    other_ws: str
    exp: str
    runs: list[str]
    child: str


@pytest.fixture
def store():
    return get_store()


@pytest.fixture
def seed(store) -> Seed:
    """Two workspaces; in the first an experiment with three runs (one with a child run),
    metrics (scalars with NaN/inf, a table) and artifacts."""
    ws = store.create_workspace("ws-main", "local", "local", tags={"team": "a"})
    other = store.create_workspace("ws-other", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp1")
    runs = []
    for i, status in enumerate(["Completed", "Failed", "Running"]):
        run = store.create_run(ws.id, exp.id, run_id=f"run{i}", status="Running",
                               display_name=f"Run number {i}", tags={"lr": str(i)},
                               properties={"kind": "even" if i % 2 == 0 else "odd"})
        if status != "Running":
            store.update_run(run.id, status=status)
        runs.append(run.id)
    child = store.create_run(ws.id, exp.id, run_id="run0_child", parent_run_id="run0",
                             status="Running")
    now = time.time()
    points: list[Any] = []
    for i, run_id in enumerate(runs):
        points += [(run_id, "loss", "scalar", step, now, 1.0 / (step + 1) + i, "")
                   for step in range(50)]
        points.append((run_id, "acc", "scalar", None, now, 0.5 + i / 10, ""))
    points += [("run0", "weird", "scalar", None, now, value, "")
               for value in (float("nan"), float("inf"), float("-inf"), 1.5)]
    points += [("run0", "table", "table", None, now, {"epoch": e, "f1": e / 10}, "")
               for e in range(3)]
    store.append_metrics(points)
    return Seed(ws=ws.id, other_ws=other.id, exp="exp1", runs=runs, child=child.id)
