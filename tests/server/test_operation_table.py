"""The operation table as a whole: every row is routed, documented in the served OpenAPI
document and called here with a request that succeeds (EXAMPLES must name every row, so a new
operation without a test fails); a deny-all policy makes every operation -- REST, file routes,
uploads, the WebSocket -- answer 403 and change nothing."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import pickle
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlws.api import OPERATIONS, operation
from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.core import ComputeTarget, Dataset, Datastore, Environment, Workspace
from jupyter_mlws.core.compute import ComputeInstance
from jupyter_mlws.core.model import InferenceConfig, Model
from jupyter_mlws.core.webservice import AciWebservice, Webservice
from jupyter_mlws.server.authz import MlwsResource
from jupyter_mlws.server.routes import build_routes
from jupyter_mlws.store.codec import encode_points
from jupyter_mlws.store.http import HttpStore
from tests.helpers import wait_until
from tests.serving.conftest import score_script

LIVE = ("mlws", "api", "v1", "live")
SNAPSHOT_FILE = b"print('snapshot')\n"
BLOB = b"a new blob\n"


@dataclass
class World:
    """What the examples name: ids of seeded assets."""

    ws: str
    other_ws: str
    exp_id: str
    snapshot_id: str
    values: dict[str, str]


@pytest.fixture
def world(seed, store, jp_root_dir, tmp_path, mlws_home) -> World:
    store.upload_artifact("run0", "outputs/a.txt", io.BytesIO(b"artifact"))
    store.append_log("run0", "logs/run.log", b"line\n")
    sha = hashlib.sha256(SNAPSHOT_FILE).hexdigest()
    store.put_snapshot_blob(seed.ws, sha, io.BytesIO(SNAPSHOT_FILE))
    snapshot = store.create_snapshot_from_manifest(
        seed.ws, {"f.py": {"sha256": sha, "size": len(SNAPSHOT_FILE)}})
    store.register_asset(seed.ws, "model", "m1", {"path": "x"})
    workspace = Workspace._from_record(store, store.get_workspace_by_id(seed.ws))
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"w": 2.0, "b": 1.0}))
    Model.register(workspace, tmp_path / "model.pkl", "lin").set_alias("production")
    Model.register(workspace, tmp_path / "model.pkl", "lin")
    ComputeTarget.create(workspace, "box",
                         ComputeInstance.provisioning_configuration("Standard_DS1_v2"))
    env = Environment("team-env")
    env.python.user_managed_dependencies = True
    env.register(workspace)
    # A build log as an environment build leaves it (execution/environments.py).
    (mlws_home / "envs").mkdir()
    (mlws_home / "envs" / f"{'ab' * 32}.build.log").write_text("Building environment\n")
    (jp_root_dir / ".azureml").mkdir()
    (jp_root_dir / ".azureml" / "config.json").write_text(json.dumps(
        {"workspace_name": workspace.name, "subscription_id": workspace.subscription_id,
         "resource_group": workspace.resource_group}))
    (jp_root_dir / "proj").mkdir()
    (jp_root_dir / "proj" / "train.py").write_text("print('hello')\n")
    # Data: a file in the default datastore, a registered local datastore with a secret, a
    # tabular dataset with its profile, read by run0 (its lineage property).
    store.upload_datastore_file(seed.ws, "workspaceblobstore", "data/t.csv",
                                io.BytesIO(b"a,b\n1,2\n3,4\n"))
    (jp_root_dir / "local_ds").mkdir()
    Datastore.register_local_folder(workspace, "local_ds", str(jp_root_dir / "local_ds"))
    store.put_datastore_secret(seed.ws, "local_ds", {"key": "k"})
    rows = Dataset.Tabular.from_delimited_files(
        (workspace.get_default_datastore(), "data/t.csv")).register(workspace, "rows")
    rows.get_profile()
    store.add_run_properties("run0", {"mlws.dataset.in.rows.v1": json.dumps(
        {"id": rows.id, "inputs": [{"name": "train", "mode": "direct"}]})})
    exp_id = store.get_experiment(seed.ws, "exp1").id
    store.set_secrets(seed.ws, {"db-pass": "s3cret", "old-secret": "gone"})
    store.delete_secrets(seed.ws, ["old-secret"])
    store.put_role_definition({"Name": "Temp", "Actions": ["*/read"]})
    assignment = store.assign_role("Reader", "dave", workspace_id=seed.ws)
    values = {"ws": seed.ws, "other_ws": seed.other_ws, "exp_id": exp_id,
              "snapshot_id": snapshot.id, "sha": sha,
              "blob_sha": hashlib.sha256(BLOB).hexdigest(), "assignment_id": assignment.id}
    return World(seed.ws, seed.other_ws, exp_id, snapshot.id, values)


# operation id -> (path parameters, query string, body); "{name}" is filled from World.values.
EXAMPLES: dict[str, tuple[dict[str, str], str, Any]] = {
    "getOpenApi": ({}, "", None),
    "liveChannel": ({}, "", None),  # see test_live_channel_example
    "listWorkspaces": ({}, "subscription_id=local", None),
    "createWorkspace": ({}, "", {"name": "new-ws", "tags": {"a": "b"}}),
    "getWorkspaceConfig": ({}, "path=proj", None),
    "getWorkspace": ({"workspace_id": "{ws}"}, "", None),
    "updateWorkspace": ({"workspace_id": "{ws}"}, "", {"description": "changed"}),
    "deleteWorkspace": ({"workspace_id": "{other_ws}"}, "", None),
    "listExperiments": ({"workspace_id": "{ws}"}, "with_run_counts=true", None),
    "createExperiment": ({"workspace_id": "{ws}"}, "", {"name": "exp2"}),
    "getExperiment": ({"workspace_id": "{ws}", "experiment_name": "exp1"}, "", None),
    "getExperimentById": ({"experiment_id": "{exp_id}"}, "workspace_id={ws}", None),
    "updateExperiment": ({"experiment_id": "{exp_id}"}, "", {"tags": {"stage": "dev"}}),
    "deleteExperiment": ({"experiment_id": "{exp_id}"}, "", None),
    "searchRuns": ({"workspace_id": "{ws}"}, "experiment=exp1&status=Completed,Failed", None),
    "listRunKeys": ({"workspace_id": "{ws}"}, "experiment=exp1&filter=metrics.acc%20%3E%200",
                    None),
    "getRunValues": ({"workspace_id": "{ws}"}, "column=metrics.acc&column=tags.lr&limit=2",
                     None),
    "createRun": ({"workspace_id": "{ws}"}, "", {"experiment_id": "{exp_id}",
                                                 "run_id": "new_run"}),
    "getRun": ({"run_id": "run0"}, "workspace_id={ws}", None),
    "editRun": ({"run_id": "run0"}, "", {"tags": {"best": "yes"}, "description": "d"}),
    "updateRun": ({"run_id": "run2"}, "", {"heartbeat": True, "status": "Running"}),
    "addRunProperties": ({"run_id": "run0"}, "", {"properties": {"p": "1"}}),
    "deleteRun": ({"run_id": "run1"}, "", None),
    "cancelRun": ({"run_id": "run2"}, "", None),
    "appendMetrics": ({}, "", encode_points([("run0", "m", "scalar", 1, time.time(), 0.5,
                                              "")])),
    "listMetrics": ({"run_id": "run0"}, "", None),
    "getMetricSeries": ({"run_id": "run0", "metric_name": "loss"}, "max_points=10&until=2",
                        None),
    "getMetricValues": ({}, "", {"run_ids": ["run0"]}),
    "queryMetrics": ({"workspace_id": "{ws}"}, "", {"run_ids": ["run0"], "names": ["loss"]}),
    "listArtifacts": ({"run_id": "run0"}, "prefix=outputs/", None),
    "downloadArtifactsZip": ({"run_id": "run0"}, "", None),
    "downloadArtifact": ({"run_id": "run0", "path": "outputs/a.txt"}, "", None),
    "uploadArtifact": ({"run_id": "run0", "path": "outputs/new.txt"}, "", b"uploaded"),
    "tailLog": ({"run_id": "run0", "path": "logs/run.log"}, "offset=0", None),
    "appendLog": ({"run_id": "run0", "path": "logs/run.log"}, "", b"more\n"),
    "createSnapshot": ({"workspace_id": "{ws}"}, "", {"files": {"g.py": {"sha256": "{sha}"}}}),
    "missingBlobs": ({"workspace_id": "{ws}"}, "", {"sha256": ["{sha}", "{blob_sha}"]}),
    "uploadBlob": ({"workspace_id": "{ws}", "sha256": "{blob_sha}"}, "", BLOB),
    "getSnapshot": ({"snapshot_id": "{snapshot_id}"}, "", None),
    "getSnapshotFile": ({"snapshot_id": "{snapshot_id}", "path": "f.py"}, "", None),
    "listAssets": ({"workspace_id": "{ws}", "kind": "model"}, "latest_only=false", None),
    "registerAsset": ({"workspace_id": "{ws}", "kind": "model"}, "",
                      {"name": "m2", "spec": {"path": "y"}}),
    "getAsset": ({"workspace_id": "{ws}", "kind": "model", "name": "m1"}, "", None),
    "deleteAsset": ({"workspace_id": "{ws}", "kind": "model", "name": "m1"}, "", None),
    "updateAssetState": ({"workspace_id": "{ws}", "kind": "model", "name": "m1",
                          "version": "1"}, "", {"state": {"k": 1}}),
    "updateAsset": ({"workspace_id": "{ws}", "kind": "model", "name": "m1", "version": "1"},
                    "", {"tags": {"t": "v"}, "description": "d"}),
    "listComputeTargets": ({"workspace_id": "{ws}"}, "", None),
    "createComputeTarget": ({"workspace_id": "{ws}"}, "",
                            {"name": "box2", "type": "ComputeInstance"}),
    "getComputeTarget": ({"workspace_id": "{ws}", "compute_name": "box"}, "", None),
    "deleteComputeTarget": ({"workspace_id": "{ws}", "compute_name": "box"}, "", None),
    "stopComputeTarget": ({"workspace_id": "{ws}", "compute_name": "box"}, "", None),
    "listEnvironments": ({"workspace_id": "{ws}"}, "all_versions=true", None),
    "getEnvironment": ({"workspace_id": "{ws}", "name": "team-env"}, "version=1", None),
    "listBuiltEnvironments": ({}, "", None),
    "getBuildLog": ({"env_hash": "abababab"}, "", None),
    "submitScriptRun": ({"workspace_id": "{ws}"}, "",
                        {"experiment": "rest", "source_directory": "proj",
                         "script": "train.py"}),
    "listDatastores": ({"workspace_id": "{ws}"}, "", None),
    "putDatastoreSecret": ({"workspace_id": "{ws}", "datastore_name": "local_ds"}, "",
                           {"secret": {"key": "other"}}),
    "deleteDatastoreSecret": ({"workspace_id": "{ws}", "datastore_name": "local_ds"}, "", None),
    "listDatastoreFiles": ({"workspace_id": "{ws}", "datastore_name": "workspaceblobstore"},
                           "path=data&recursive=true", None),
    "getDatastoreFileInfo": ({"workspace_id": "{ws}", "datastore_name": "workspaceblobstore"},
                             "path=data/t.csv", None),
    "downloadDatastoreFile": ({"workspace_id": "{ws}", "datastore_name": "workspaceblobstore",
                               "path": "data/t.csv"}, "", None),
    "uploadDatastoreFile": ({"workspace_id": "{ws}", "datastore_name": "workspaceblobstore",
                             "path": "data/new.csv"}, "", b"a\n1\n"),
    "deleteDatastoreFile": ({"workspace_id": "{ws}", "datastore_name": "workspaceblobstore",
                             "path": "data/t.csv"}, "", None),
    "listDatasets": ({"workspace_id": "{ws}"}, "", None),
    "registerDatasetFromFiles": ({"workspace_id": "{ws}"}, "",
                                 {"name": "picked", "paths": ["proj"]}),
    "getDataset": ({"workspace_id": "{ws}", "dataset_name": "rows"}, "", None),
    "getDatasetVersion": ({"workspace_id": "{ws}", "dataset_name": "rows", "version": "1"}, "",
                          None),
    "previewDatasetVersion": ({"workspace_id": "{ws}", "dataset_name": "rows", "version": "1"},
                              "offset=1&limit=5", None),
    "getDatasetProfile": ({"workspace_id": "{ws}", "dataset_name": "rows", "version": "1"}, "",
                          None),
    "computeDatasetProfile": ({"workspace_id": "{ws}", "dataset_name": "rows", "version": "1"},
                              "", None),
    "listDatasetRuns": ({"workspace_id": "{ws}", "dataset_name": "rows", "version": "1"}, "",
                        None),
    "getRunDatasets": ({"run_id": "run0"}, "workspace_id={ws}", None),
    "listSecrets": ({"workspace_id": "{ws}"}, "deleted=false", None),
    "setSecrets": ({"workspace_id": "{ws}"}, "", {"secrets": {"new-secret": "value"},
                                                  "content_types": {"new-secret": "text"}}),
    "getSecretValues": ({"workspace_id": "{ws}"}, "", {"names": ["db-pass"]}),
    "deleteSecrets": ({"workspace_id": "{ws}"}, "", {"names": ["db-pass"]}),
    "listSecretVersions": ({"workspace_id": "{ws}", "secret_name": "db-pass"}, "", None),
    "recoverSecret": ({"workspace_id": "{ws}", "secret_name": "old-secret"}, "", None),
    "purgeSecret": ({"workspace_id": "{ws}", "secret_name": "old-secret"}, "", None),
    "mintRunToken": ({"run_id": "run2"}, "", None),
    "getCredential": ({}, "", None),
    "listRoleDefinitions": ({}, "", None),
    "putRoleDefinition": ({}, "", {"Name": "Custom Reader", "Actions": ["*/read"]}),
    "deleteRoleDefinition": ({"role_name": "Temp"}, "", None),
    "listRoleAssignments": ({"workspace_id": "{ws}"}, "include_global=true", None),
    "assignRole": ({"workspace_id": "{ws}"}, "", {"role": "Reader", "principal": "erin"}),
    "listAllRoleAssignments": ({}, "", None),
    "assignRoleEverywhere": ({}, "", {"role": "Reader", "principal": "team",
                                      "principal_type": "group"}),
    "removeRoleAssignment": ({"assignment_id": "{assignment_id}"}, "", None),
    "listAudit": ({"workspace_id": "{ws}"}, "limit=10", None),
    "listAllAudit": ({}, "limit=10", None),
    "getPermissions": ({"workspace_id": "{ws}"}, "", None),
    "listModels": ({"workspace_id": "{ws}"}, "name=lin&latest=true", None),
    "getModel": ({"workspace_id": "{ws}", "model_name": "lin"}, "alias=production", None),
    "updateModel": ({"workspace_id": "{ws}", "model_name": "lin", "version": "1"}, "",
                    {"tags": {"stage": "prod"}, "description": "d"}),
    "deleteModel": ({"workspace_id": "{ws}", "model_name": "lin", "version": "2"}, "", None),
    "setModelAlias": ({"workspace_id": "{ws}", "model_name": "lin", "alias": "staging"}, "",
                      {"version": 2}),
    "removeModelAlias": ({"workspace_id": "{ws}", "model_name": "lin",
                          "alias": "production"}, "", None),
    "getModelHistory": ({"workspace_id": "{ws}", "model_name": "lin"}, "", None),
    # The service rows below name SERVICE, deployed for them (with_service).
    "listServices": ({"workspace_id": "{ws}"}, "model_name=lin", None),
    "getService": ({"workspace_id": "{ws}", "service_name": "svc"}, "", None),
    "deleteService": ({"workspace_id": "{ws}", "service_name": "svc"}, "", None),
    "getServiceMetrics": ({"workspace_id": "{ws}", "service_name": "svc"}, "since=0", None),
    "getServiceLogs": ({"workspace_id": "{ws}", "service_name": "svc"}, "num_lines=10", None),
    "getServiceDrift": ({"workspace_id": "{ws}", "service_name": "svc"}, "since=0", None),
    "scoreService": ({"workspace_id": "{ws}", "service_name": "svc"}, "", b'{"data": [1]}'),
    "listServiceKeys": ({"workspace_id": "{ws}", "service_name": "svc"}, "", None),
    "regenerateServiceKey": ({"workspace_id": "{ws}", "service_name": "svc"}, "",
                             {"key_type": "Secondary"}),
    "getCollectedData": ({"workspace_id": "{ws}", "service_name": "svc"}, "", None),
    "registerCollectedData": ({"workspace_id": "{ws}", "service_name": "svc",
                               "designation": "requests"}, "", {}),
}
SERVICE = "svc"


def with_service(store: Any, world: World, folder: Any, collected: bool = False) -> Any:
    """Deploy SERVICE (lin:1, key auth, collecting data) in the world's workspace; returns
    its deleter. ``collected``: once a request's body was collected."""
    workspace = Workspace._from_record(store, store.get_workspace_by_id(world.ws))
    folder.mkdir()
    (folder / "score.py").write_text(score_script())
    (folder / "inputs.csv").write_text("x\n1\n2\n3\n")  # the drift baseline
    datastore = workspace.get_default_datastore()
    datastore.upload_files([str(folder / "inputs.csv")], target_path="inputs", overwrite=True,
                           show_progress=False)
    baseline = Dataset.Tabular.from_delimited_files((datastore, "inputs/inputs.csv"))
    Model(workspace, "lin", version=1).update(
        sample_input_dataset=baseline.register(workspace, "inputs"))
    service = Model.deploy(workspace, SERVICE, [Model(workspace, "lin", version=1)],
                           InferenceConfig(entry_script="score.py",
                                           source_directory=str(folder)),
                           AciWebservice.deploy_configuration(auth_enabled=True,
                                                              collect_model_data=True))
    service.wait_for_deployment()
    if collected:
        service.run('{"data": [1]}')
        wait_until(lambda: service.get_collected_data_summary()["designations"], 60, 0.5,
                   "the request's body collected")

    def delete() -> None:
        if any(s.name == SERVICE for s in Webservice.list(workspace)):
            Webservice(workspace, SERVICE).delete()

    return delete


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], value)
    if isinstance(value, dict):
        return {_fill(k, values): _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def request_of(op_id: str, world: World) -> tuple[str, str, Any]:
    """(method, path with query, body) of an operation's example."""
    op = operation(op_id)
    params, query, body = EXAMPLES[op_id]
    path = op.path
    for name, value in _fill(params, world.values).items():
        path = path.replace("{" + name + "}", value)
    query = _fill(query, world.values)
    return op.method, path + (f"?{query}" if query else ""), _fill(body, world.values)


REST_OPERATIONS = [op.id for op in OPERATIONS if op.response_kind != "websocket"]


def test_every_operation_has_an_example():
    assert set(EXAMPLES) == {op.id for op in OPERATIONS}


def test_every_operation_is_routed():
    routes = [(re.compile(pattern + "$"), handler) for pattern, handler in build_routes()]
    for op in OPERATIONS:
        example = op.path
        for name in op.path_names:
            example = example.replace("{" + name + "}", "x")
        handlers = [h for pattern, h in routes if pattern.match("/mlws/api/v1" + example)]
        assert handlers, f"{op.id} is not routed"
        handler = handlers[0]
        if op.response_kind == "websocket":
            assert handler.__name__ == "LiveHandler"
        else:
            assert handler.operations[op.method] is op, op.id


def test_every_store_operation_is_an_http_store_method():
    import inspect

    from jupyter_mlws.store.base import Store

    for op in OPERATIONS:
        if op.store is not None:
            # The method HttpStore resolves (on itself, a mixin or a base class) is the HTTP
            # store's own, not an interface composite, and it is the one calling this operation.
            owner = next((cls for cls in HttpStore.__mro__ if op.store in vars(cls)), None)
            assert owner is not None and owner not in Store.__mro__, op.id
            assert owner.__module__.startswith("jupyter_mlws.store.http."), (op.id, owner)
            assert f'"{op.id}"' in inspect.getsource(getattr(HttpStore, op.store)), op.id


async def test_every_operation_is_documented_in_the_served_document(api):
    served = await api("GET", "/openapi.json")
    for op in OPERATIONS:
        assert served["paths"][op.path][op.method.lower()]["operationId"] == op.id
        assert served["paths"][op.path][op.method.lower()]["x-action"] == op.full_action
    assert served["paths"] == openapi_document()["paths"]


@pytest.mark.filterwarnings("ignore:Model.deploy:FutureWarning")
@pytest.mark.parametrize("op_id", REST_OPERATIONS)
async def test_every_operation_answers_its_example(api, world, store, op_id, tmp_path):
    method, path, body = request_of(op_id, world)
    op = operation(op_id)
    delete = (await asyncio.to_thread(with_service, store, world, tmp_path / "svc-src",
                                      op_id == "registerCollectedData")
              if op.tag == "services" else None)
    headers = {"Content-Type": "application/octet-stream"} if isinstance(body, bytes) else None
    try:
        response = await api(method, path, expect=op.status, body=body, headers=headers)
    finally:
        if delete is not None:
            await asyncio.to_thread(delete)
    if op_id == "submitScriptRun":  # let the run end before the test's home goes away
        wait_until(lambda: store.get_run(response["id"]).status in ("Completed", "Failed"),
                   timeout=120)
        assert store.get_run(response["id"]).status == "Completed"


async def test_live_channel_example(jp_ws_fetch, world):
    conn = await jp_ws_fetch(*LIVE)
    await conn.write_message(json.dumps({"op": "subscribe", "id": "s", "run_id": "run0",
                                         "workspace_id": world.ws}))
    types = set()
    while "subscribed" not in types:
        message = json.loads(await conn.read_message())
        assert message["type"] != "error", message
        types.add(message["type"])
    conn.close()


def deny_everything(user: Any, action: str, resource: MlwsResource) -> bool:
    return False


DENY_ALL = {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
            "MlwsApp": {"authorization_policy": deny_everything}}


def _state(store: Any, world: World) -> tuple[Any, ...]:
    return (store.list_workspaces(), store.list_runs(world.ws), store.list_artifacts("run0"),
            store.get_run("run0"), store.list_assets(world.ws, "model", latest_only=False),
            store.list_assets(world.ws, "dataset", latest_only=False),
            store.list_datastore_files(world.ws, "workspaceblobstore", recursive=True),
            store.get_datastore_secret(world.ws, "local_ds"))


@pytest.mark.parametrize("jp_server_config", [DENY_ALL])
async def test_deny_all_policy_refuses_every_operation(api, world, store, jp_ws_fetch):
    before = _state(store, world)
    for op_id in REST_OPERATIONS:
        method, path, body = request_of(op_id, world)
        response = await api.raw(method, path, body=body)
        assert response.code == 403, (op_id, response.code, response.body[:200])
        assert json.loads(response.body)["reason"] == "Forbidden", op_id
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch(*LIVE)
    assert refused.value.code == 403
    assert _state(store, world) == before  # nothing was changed by the refused requests


def test_typescript_types_are_the_generated_ones():
    from jupyter_mlws.api.typescript import OUTPUT, generate

    assert OUTPUT.read_text(encoding="utf-8") == generate(), (
        "src/common/api.gen.ts is stale: run `python -m jupyter_mlws.api.typescript`")


def test_response_models_have_the_fields_of_their_store_records():
    from dataclasses import fields

    from jupyter_mlws.api.openapi import _models

    checked = 0
    for model in _models():
        record = getattr(model, "record", None)
        if isinstance(record, type):
            # Every field of the record, in its order; a shape may only add (a series' columns).
            names = [f.name for f in fields(record)]
            assert [n for n in model.model_fields if n in names] == names, model
            assert set(model.model_fields) - set(names) <= {"columns", "escaped"}, model
            checked += 1
    assert checked >= 8
