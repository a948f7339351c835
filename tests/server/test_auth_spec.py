"""Authentication and authorization on every route, and the OpenAPI document itself."""

from __future__ import annotations

import json
import re

import pytest
from jupyter_server.auth.authorizer import Authorizer
from openapi_spec_validator import validate

from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.server.authz import MlwsResource


def every_operation(seed):
    """(method, concrete path) for each operation of the document, with seeded ids."""
    values = {"workspace_id": seed.ws, "experiment_name": "exp1", "run_id": "run0",
              "metric_name": "loss", "path": "outputs/x.txt", "experiment_id": "e1",
              "snapshot_id": "s1", "sha256": "a" * 64, "kind": "model", "name": "m",
              "version": "1", "compute_name": "box", "env_hash": "a" * 12,
              "datastore_name": "workspaceblobstore", "dataset_name": "d",
              "secret_name": "s1", "role_name": "r", "assignment_id": "a1",
              "model_name": "m", "alias": "production", "service_name": "svc",
              "designation": "inputs"}
    for template, item in openapi_document()["paths"].items():
        path = template
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method.upper(), path


async def test_openapi_document_is_served_and_valid(api):
    document = await api("GET", "/openapi.json")
    validate(document)
    assert document["paths"] == openapi_document()["paths"]
    assert document["servers"][0]["url"].endswith("/mlws/api/v1")
    assert document["openapi"].startswith("3.")


async def test_every_route_requires_authentication(api, seed, store):
    operations = list(every_operation(seed))
    assert len(operations) >= 20
    for method, path in operations:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response = await api.raw(method, path, auth=False, body=body)
        assert response.code in (401, 403), (method, path, response.code)
    # Nothing was changed by the refused requests.
    assert store.get_run("run0").status == "Completed"
    assert store.get_workspace_by_id(seed.ws).name == "ws-main"


BAD = "bad%00name"  # no path parameter of any kind accepts a NUL
XSRF = {"Cookie": "_xsrf=0123456789abcdef", "X-XSRFToken": "0123456789abcdef"}


async def test_authentication_comes_before_validation(api, seed):
    """Without credentials every route answers 401 however malformed its path parameters and
    query (validating first would tell an anonymous caller what a good request looks like);
    with credentials the same requests are 400."""
    checked = 0
    for method, template in {(m, p) for m, p in _templates()}:
        if "{" not in template:
            continue
        path = re.sub(r"\{\w+\}", BAD, template) + "?limit=-1&max_points=x&bogus=1"
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        # A matching XSRF cookie and header, so jupyter-server's own check (403 for a request
        # without them) lets the request through to ours.
        response = await api.raw(method, path, auth=False, body=body, headers=XSRF)
        assert response.code == 401, (method, path, response.code, response.body[:200])
        assert json.loads(response.body)["reason"] == "Unauthorized"
        authenticated = await api.raw(method, path, body=body)
        assert authenticated.code == 400, (method, path, authenticated.code)
        checked += 1
    assert checked >= 50


def _templates():
    for template, item in openapi_document()["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method.upper(), template


def deny_deletes_and_other_workspace(user, action, resource: MlwsResource) -> bool:
    return action != "delete" and resource.workspace_id != "forbidden-ws"


@pytest.fixture
def jp_server_config():
    # This module runs with a policy: deletes and one workspace are refused.
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
            "MlwsApp": {"authorization_policy": deny_deletes_and_other_workspace}}


async def test_policy_is_the_one_authorization_point(api, seed, store):
    await api("GET", "/runs/run0")
    experiment = store.get_experiment(seed.ws, "exp1").id
    for path in (f"/workspaces/{seed.ws}", "/runs/run0", f"/experiments/{experiment}"):
        error = await api("DELETE", path, expect=403)
        assert error["reason"] == "Forbidden"
    assert store.get_run("run0").id == "run0"
    error = await api("GET", "/workspaces/forbidden-ws/runs", expect=403)
    assert error["reason"] == "Forbidden"


class NoMlws(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return resource != "mlws"


@pytest.mark.parametrize("jp_server_config", [{
    "ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}, "authorizer_class": NoMlws},
}])
async def test_jupyter_server_authorizer_is_honoured(api, seed, store):
    for method, path in every_operation(seed):
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response = await api.raw(method, path, body=body)
        assert response.code == 403, (method, path, response.code)
    assert not store.list_artifacts("run0")
