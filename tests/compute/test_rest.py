"""REST routes of compute targets, environments and script-run submission (pytest-jupyter),
and cancelling a live script run through the store/executor contract."""

from __future__ import annotations

import json

import pytest
from openapi_schema_validator import OAS31Validator
from tornado.httpclient import HTTPClientError

from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.core import Environment, Experiment, ScriptRunConfig
from jupyter_mlws.execution.cancel import request_cancel
from tests.helpers import wait_until

pytestmark = pytest.mark.timeout(120)
API = ("mlws", "api", "v1")


def _check(template: str, method: str, code: int, body: dict) -> None:
    doc = openapi_document()
    response = doc["paths"][template][method]["responses"][str(code)]
    schema = {"allOf": [response["content"]["application/json"]["schema"]],
              "components": doc["components"]}
    errors = [e.message for e in OAS31Validator(schema).iter_errors(body)]
    assert not errors, errors[:3]


async def _call(jp_fetch, template, *parts, method="GET", body=None, expect=200):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    try:
        response = await jp_fetch(*API, *parts, **kwargs)
    except HTTPClientError as exc:
        response = exc.response
    assert response.code == expect, response.body[:400]
    data = json.loads(response.body)
    if response.code < 300:
        _check(template, method.lower(), response.code, data)
    return data


async def test_list_computes_and_environments(jp_fetch, ws):
    from jupyter_mlws.core import ComputeTarget
    from jupyter_mlws.core.compute import ComputeInstance, DaskCompute

    ComputeTarget.create(ws, "box", ComputeInstance.provisioning_configuration("Standard_DS1_v2"))
    ComputeTarget.attach(ws, "sched", DaskCompute.attach_configuration("tcp://127.0.0.1:9"))
    env = Environment("team-env")
    env.python.user_managed_dependencies = True
    env.register(ws)
    env.register(ws)
    wid = ws._record.id

    body = await _call(jp_fetch, "/workspaces/{workspace_id}/computes", "workspaces", wid,
                       "computes")
    computes = {c["name"]: c for c in body["computes"]}
    assert list(computes) == ["local", "box", "sched"]
    assert computes["box"]["type"] == "ComputeInstance"
    assert computes["box"]["status"]["state"] == "Running"
    assert computes["sched"]["provisioning_state"] == "Failed"  # nothing listens there

    body = await _call(jp_fetch, "/workspaces/{workspace_id}/environments", "workspaces",
                       wid, "environments")
    assert [(e["name"], e["version"]) for e in body["environments"]] == [("team-env", 2)]
    assert body["environments"][0]["user_managed_dependencies"] is True
    built = await _call(jp_fetch, "/environments/built", "environments", "built")
    assert built == {"environments": []}
    await _call(jp_fetch, "/workspaces/{workspace_id}/computes", "workspaces", "nope",
                "computes", expect=404)


async def test_submit_script_run_over_rest(jp_fetch, jp_root_dir, ws, make_source):
    make_source("proj", {"train.py": "import sys\nfrom jupyter_mlws.core import Run\n"
                                           "Run.get_context().log('a', float(sys.argv[1]))\n"},
                      root=jp_root_dir)
    wid = ws._record.id
    template = "/workspaces/{workspace_id}/scriptruns"
    run = await _call(jp_fetch, template, "workspaces", wid, "scriptruns", method="POST",
                      expect=201, body={"experiment": "rest", "source_directory": "proj",
                                        "script": "train.py", "arguments": [2.5],
                                        "tags": {"via": "rest"}})
    assert run["experiment_name"] == "rest" and run["target"] == "local"
    submitted = ws.get_run(run["id"])
    assert submitted.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    assert submitted.get_metrics() == {"a": 2.5} and submitted.get_tags() == {"via": "rest"}

    outside = make_source("outside", {"train.py": "print(1)"})
    for source in (str(outside), "../outside", "proj/../.."):
        error = await _call(jp_fetch, template, "workspaces", wid, "scriptruns",
                            method="POST", expect=400,
                            body={"experiment": "rest", "source_directory": source,
                                  "script": "train.py"})
        assert "root directory" in error["message"] or "not a folder" in error["message"]
    error = await _call(jp_fetch, template, "workspaces", wid, "scriptruns", method="POST",
                        expect=400, body={"experiment": "rest", "source_directory": "pr\x00oj",
                                          "script": "train.py"})
    assert "NUL" in error["message"]
    error = await _call(jp_fetch, template, "workspaces", wid, "scriptruns", method="POST",
                        expect=404, body={"experiment": "rest", "source_directory": "proj",
                                          "script": "train.py", "compute_target": "nope"})
    assert "ComputeTargetNotFound" in error["message"]
    await _call(jp_fetch, template, "workspaces", wid, "scriptruns", method="POST",
                expect=400, body={"experiment": "rest", "source_directory": "proj",
                                  "script": "missing.py"})
    await _call(jp_fetch, template, "workspaces", wid, "scriptruns", method="POST",
                expect=400, body={"experiment": "rest", "source_directory": "proj",
                                  "script": "train.py", "unknown": 1})


def test_request_cancel_stops_a_live_script_run(ws, make_source):
    src = make_source(files={"loop.py": "import time\nwhile True:\n    time.sleep(0.05)\n"})
    run = Experiment(ws, "cancel").submit(ScriptRunConfig(src, "loop.py"))
    wait_until(lambda: run.get_status() == "Running", 60)
    record = request_cancel(run._store, run.id)
    assert record.status == "CancelRequested"  # a live supervisor does the killing
    wait_until(lambda: run.get_status() == "Canceled", 15)
    # A run that nobody executes is Canceled at once.
    exp = run.experiment
    idle = ws._store.create_run(ws._record.id, exp._record.id, run_id="idle_run",
                                status="Queued")
    assert request_cancel(ws._store, idle.id).status == "Canceled"


async def test_create_see_and_delete_a_cluster(jp_fetch, ws):
    wid = ws._record.id
    base = ("workspaces", wid, "computes")
    created = await _call(jp_fetch, "/workspaces/{workspace_id}/computes", *base, method="POST",
                          body={"name": "rest-cpu", "min_nodes": 0, "max_nodes": 1,
                                "idle_seconds_before_scaledown": 60}, expect=201)
    assert created["type"] == "AmlCompute" and created["name"] == "rest-cpu"
    one = "/workspaces/{workspace_id}/computes/{compute_name}"
    try:
        async def ready() -> bool:
            body = await _call(jp_fetch, one, *base, "rest-cpu")
            return body["provisioning_state"] == "Succeeded"

        deadline = 60
        import asyncio
        import time

        started = time.monotonic()
        while not await ready():
            assert time.monotonic() - started < deadline, "the cluster never came up"
            await asyncio.sleep(0.2)
        details = await _call(jp_fetch, one, *base, "rest-cpu")
        assert details["nodes"] == [] and details["spec"]["scaleSettings"]["maxNodeCount"] == 1
        await _call(jp_fetch, "/workspaces/{workspace_id}/computes", *base, method="POST",
                    body={"name": "rest-cpu"}, expect=409)
    finally:
        response = await jp_fetch(*API, *base, "rest-cpu", method="DELETE")
        assert response.code == 204
    await _call(jp_fetch, one, *base, "rest-cpu", expect=404)
    for bad in ({"name": "1bad"}, {"name": "ok-name", "type": "Nope"},
                {"name": "ok-name", "min_nodes": 3, "max_nodes": 1},
                {"name": "ok-name", "max_nodes": -1}, {"name": "ok-name", "extra": 1}):
        await _call(jp_fetch, "/workspaces/{workspace_id}/computes", *base, method="POST",
                    body=bad, expect=400)
    local = await _call(jp_fetch, one, *base, "local")
    assert local["type"] == "local" and local["nodes"] == []
    await _call(jp_fetch, one, *base, "local", method="DELETE", expect=400)


async def test_environment_details_and_build_log(jp_fetch, ws, mlws_home):
    from jupyter_mlws.core.conda_dependencies import CondaDependencies
    from jupyter_mlws.execution import environments

    env = Environment("piped")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    env.register(ws)
    wid = ws._record.id
    one = "/workspaces/{workspace_id}/environments/{name}"
    body = await _call(jp_fetch, one, "workspaces", wid, "environments", "piped")
    build = body["build"]
    assert body["version"] == 1 and build["spec"]["requirements"] == ["six"]
    assert build["built"] is None and len(build["hash"]) == 64 and build["error"] is None
    # A build (as a run's executor does it) leaves the environment and its own log.
    environments.ensure_environment(build["spec"], str(mlws_home))
    body = await _call(jp_fetch, one, "workspaces", wid, "environments", "piped")
    assert body["build"]["built"]["hash"] == build["hash"]
    assert body["build"]["built"]["has_build_log"] is True
    log = await _call(jp_fetch, "/environments/built/{env_hash}/log", "environments", "built",
                      build["hash"][:12], "log")
    assert "Building environment" in log["log"]
    await _call(jp_fetch, "/environments/built/{env_hash}/log", "environments", "built",
                "0" * 12, "log", expect=404)
    await _call(jp_fetch, "/environments/built/{env_hash}/log", "environments", "built",
                "XYZ", "log", expect=400)
    await _call(jp_fetch, one, "workspaces", wid, "environments", "nope", expect=404)
    conda_only = Environment("conda-only")
    conda_only.python.conda_dependencies = CondaDependencies.create(conda_packages=["cudatoolkit"])
    conda_only.register(ws)
    body = await _call(jp_fetch, one, "workspaces", wid, "environments", "conda-only")
    assert body["build"]["spec"] is None and "cudatoolkit" in body["build"]["error"]


async def test_stop_a_cluster_over_rest(jp_fetch, ws):
    import asyncio

    from jupyter_mlws.core import ComputeTarget
    from jupyter_mlws.core.compute import AmlCompute
    from jupyter_mlws.execution.dask_cluster import is_alive

    cluster = ComputeTarget.create(ws, "rest-cpu", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", max_nodes=1))
    await asyncio.to_thread(cluster.wait_for_completion)
    state = dict(cluster._record.state)
    wid, template = ws._record.id, "/workspaces/{workspace_id}/computes/{compute_name}/stop"
    try:
        body = await _call(jp_fetch, template, "workspaces", wid, "computes", "rest-cpu",
                           "stop", method="POST", body={})
        assert body["name"] == "rest-cpu" and body["provisioning_state"] == "Succeeded"
        assert body["status"]["state"] == "Stopped"
        assert not is_alive(state["pid"], state["identity"])
        listed = await _call(jp_fetch, "/workspaces/{workspace_id}/computes", "workspaces",
                             wid, "computes")
        assert {c["name"]: c["status"].get("state") for c in listed["computes"]}[
            "rest-cpu"] == "Stopped"
        error = await _call(jp_fetch, template, "workspaces", wid, "computes", "local", "stop",
                            method="POST", body={}, expect=400)
        assert "cannot be stopped" in error["message"]
        await _call(jp_fetch, template, "workspaces", wid, "computes", "nope", "stop",
                    method="POST", body={}, expect=404)
    finally:
        await asyncio.to_thread(cluster.delete)
