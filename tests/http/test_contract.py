"""Every request the HTTP store makes hits a documented route, and every JSON answer fits
the OpenAPI document; the batch codec round-trips what the store interface allows."""

from __future__ import annotations

import io
import json
import math
import re
import time
from typing import Any

from openapi_schema_validator import OAS31Validator

from jupyter_mlws.api import API_PREFIX, OPERATIONS
from jupyter_mlws.api.openapi import openapi_document
from jupyter_mlws.server.routes import build_routes
from jupyter_mlws.store import RunQuery
from jupyter_mlws.store.codec import decode_points, encode_points

ROUTES = build_routes()


def _regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        part = "(.+)" if name in ("path", "metric_name") else "([^/]+)"
        pattern = pattern.replace(re.escape("{" + name + "}"), part)
    return re.compile(f"^{pattern}$")


_DOC = openapi_document()
_TEMPLATES = sorted(_DOC["paths"], key=lambda t: -len(re.sub(r"\{\w+\}", "", t)))


def _operation(method: str, path: str) -> dict[str, Any]:
    for template in _TEMPLATES:
        if _regex(template).match(path):
            return _DOC["paths"][template][method.lower()]
    raise AssertionError(f"{method} {path} matches no documented path")


def _check(response: Any, seen: list[str]) -> None:
    path = response.request.url.path.split(API_PREFIX, 1)[1]
    method = response.request.method
    operation = _operation(method, path)
    seen.append(operation["operationId"])
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path}: {response.status_code} undocumented"
    if "$ref" in documented:
        documented = _DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    response.read()
    body = json.loads(response.content)
    validator = OAS31Validator({"allOf": [schema], "components": _DOC["components"]})
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, f"{method} {path} -> {response.status_code}: {errors[:3]}"


def test_every_route_is_documented():
    documented = [_regex(API_PREFIX + t) for t in _DOC["paths"]]
    for pattern, _ in ROUTES:
        example = re.sub(r"\(\[\^/\]\+\)|\(\.\+\)", "x", pattern).replace("\\.", ".")
        assert any(r.match(example) for r in documented), f"{pattern} is not documented"


def test_http_store_traffic_fits_the_document(http_store, tmp_path):
    seen: list[str] = []
    http_store.http.client.event_hooks["response"].append(lambda r: _check(r, seen))
    store = http_store
    ws = store.create_workspace("ws1", "local", "local")
    store.get_workspace("ws1")
    exp = store.get_or_create_experiment(ws.id, "exp")
    run = store.create_run(ws.id, exp.id, run_id="r1", status="Running", owner="h:1:2")
    store.get_run(run.id)
    store.get_run(run.id, ws.id)
    store.get_experiment(ws.id, experiment_id=exp.id)
    store.get_experiment(ws.id, "exp")
    store.get_workspace_by_id(ws.id)
    store.list_experiments(ws.id, tags={"x": None}, with_run_counts=True)
    store.create_experiment(ws.id, "exp", exist_ok=True)
    store.update_run(run.id, heartbeat=True, status="Running")
    store.set_run_tags(run.id, {"a": "b"})
    store.remove_run_tags(run.id, ["a"])
    store.add_run_properties(run.id, {"p": "1"})
    store.list_runs(ws.id, RunQuery(experiment_id=exp.id, status=["Running"],
                                    tags={"x": None}))
    store.count_runs(ws.id)
    assert store.list_run_keys(ws.id, RunQuery(filter="metrics.m > 0")).runs == 0
    values = store.get_run_values(ws.id, RunQuery(include_children=True), ["metrics.m", "tags.x"])
    assert values.ids == [run.id] and values.columns["tags.x"] == [None]
    store.append_metrics([(run.id, "m", "scalar", 1, time.time(), math.nan, ""),
                          (run.id, "t", "table", None, time.time(), {"c": 1}, "")])
    store.list_metrics(run.id)
    store.get_metric_series(run.id, "m", max_points=10)
    store.get_all_metric_values([run.id])
    store.query_metric_series(ws.id, [run.id], ["m"], max_points=10)
    store.upload_artifact(run.id, "outputs/a.txt", io.BytesIO(b"a"))
    store.list_artifacts(run.id)
    store.open_artifact(run.id, "outputs/a.txt").close()
    store.append_log(run.id, "logs/l.txt", b"line\n")
    assert store.tail_log(run.id, "logs/l.txt").data == "line\n"
    (tmp_path / "f.py").write_text("x = 1\n")
    snap = store.create_snapshot(ws.id, {"f.py": str(tmp_path / "f.py")})
    store.get_snapshot(snap.id)
    store.open_snapshot_file(snap.id, "f.py").close()
    store.register_asset(ws.id, "model", "m1", {"path": "x"})
    store.get_asset(ws.id, "model", "m1")
    store.list_assets(ws.id, "model")
    store.update_asset_state(ws.id, "model", "m1", 1, {"k": 1})
    store.update_asset(ws.id, "model", "m1", 1, tags={"t": "v"}, description="d")
    store.delete_asset(ws.id, "model", "m1")
    blob = "workspaceblobstore"
    store.put_datastore_secret(ws.id, blob, {"key": "k"})
    store.delete_datastore_secret(ws.id, blob)
    entry = store.upload_datastore_file(ws.id, blob, "d/a.csv", io.BytesIO(b"x\n1\n"))
    assert (entry.path, entry.size) == ("d/a.csv", 4)
    assert [e.path for e in store.list_datastore_files(ws.id, blob, "d")] == ["d/a.csv"]
    assert [e.path for e in store.list_datastore_files(ws.id, blob, glob="**/*.csv")] == [
        "d/a.csv"]
    assert store.get_datastore_file_info(ws.id, blob, "d/a.csv").size == 4
    with store.open_datastore_file(ws.id, blob, "d/a.csv") as stream:
        assert stream.read() == b"x\n1\n"
    assert store.read_datastore_range(ws.id, blob, "d/a.csv", 2, None) == b"1\n"
    with store.datastore_filesystem(ws.id, blob).fs.open("d/a.csv", "rb") as remote:
        assert remote.read() == b"x\n1\n"  # fsspec over the same methods
    store.delete_datastore_file(ws.id, blob, "d/a.csv")
    # The key vault, run credentials, roles and the audit log.
    store.set_secrets(ws.id, {"k1": "v1", "k2": "v2"}, content_types={"k1": "text"})
    assert store.get_secrets(ws.id, ["k1", "nope"]) == {"k1": "v1"}
    assert [s.name for s in store.list_secrets(ws.id)] == ["k1", "k2"]
    assert [v.version for v in store.list_secret_versions(ws.id, "k1")] == [1]
    store.delete_secrets(ws.id, ["k1", "k2"])
    store.recover_deleted_secret(ws.id, "k1")
    store.purge_deleted_secret(ws.id, "k2")
    assert store.mint_run_token(run.id).startswith("mlwsrun_")
    assert store.check_run_token(store.settings.token) is None  # not a run's token
    store.put_role_definition({"Name": "Viewer", "Actions": ["*/read"]})
    assert "Viewer" in {r.name for r in store.list_role_definitions()}
    assert isinstance(store.access_generation(), int)
    mine = store.assign_role("Viewer", "bob", workspace_id=ws.id)
    everywhere = store.assign_role("Reader", "team", principal_type="group")
    assert {a.id for a in store.list_role_assignments(ws.id)} == {mine.id, everywhere.id}
    assert {a.id for a in store.list_role_assignments()} >= {mine.id, everywhere.id}
    store.remove_role_assignment(mine.id)
    store.remove_role_assignment(everywhere.id)
    store.delete_role_definition("Viewer")
    assert any(e.outcome == "read" for e in store.list_audit(ws.id, limit=5))
    assert store.list_audit(limit=5)
    store.update_experiment(exp.id, archived=True)
    store.delete_run(run.id)
    store.delete_experiment(exp.id)
    store.update_workspace(ws.id, description="d")
    store.delete_workspace(ws.id)
    # Every operation of the table that calls a store method is one the HTTP store reaches.
    wanted = {op.id for op in OPERATIONS if op.store is not None}
    assert wanted <= set(seen), sorted(wanted - set(seen))


def test_batch_codec_round_trip():
    points = [("r1", "loss", "scalar", 1, 1.5, 0.25, ""),
              ("r1", "acc", "scalar", 2.0, 2.5, math.inf, "desc"),
              ("r2", "name", "scalar", None, 3.5, "NaN", ""),
              ("r2", "rows", "table", None, 4.5, {"a": -math.inf, "b": None}, "")]
    decoded = decode_points(json.loads(encode_points(points)))
    assert decoded[0] == points[0] and type(decoded[1][3]) is float
    assert decoded[1][5] == math.inf and decoded[2][5] == "NaN"
    assert decoded[3][5] == {"a": -math.inf, "b": None}
    plain = [("r", "x", "scalar", i, float(i), i * 0.5, "") for i in range(1000)]
    body = json.loads(encode_points(plain))
    assert body["run"] == "r" and "value_escaped" not in body  # compact, no escaping pass
    assert decode_points(body) == plain
