"""The HTTP store against a real `jupyter server`: selection, error mapping, exact values,
liveness, streamed files, deduplicated snapshots, assets, config.json."""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
from typing import Any

import pytest

from jupyter_mlws.exceptions import AuthenticationException
from jupyter_mlws.store import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunQuery,
    get_store,
)
from jupyter_mlws.store.http import HttpStore
from jupyter_mlws.store.liveness import current_owner
from jupyter_mlws.store.settings import StoreSettings


def _run(store: HttpStore, name: str = "ws1", run_id: str = "r1", **kwargs: Any) -> Any:
    ws = store.create_workspace(name, "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp")
    return ws, exp, store.create_run(ws.id, exp.id, run_id=run_id, status="Running",
                                     owner=current_owner(), **kwargs)


def test_tracking_uri_selects_the_http_store_and_data_lands_on_the_server(server_env,
                                                                           sql_view):
    store = get_store()
    assert isinstance(store, HttpStore)
    ws, exp, run = _run(store)
    assert sql_view.get_run(run.id).experiment_id == exp.id
    assert sql_view.get_workspace_by_id(ws.id).name == "ws1"


def test_errors_come_back_as_store_exceptions(http_store):
    with pytest.raises(NotFoundError):
        http_store.get_workspace_by_id("nope")
    with pytest.raises(NotFoundError):
        http_store.get_run("missing-run")
    ws, exp, run = _run(http_store)
    with pytest.raises(ConflictError):
        http_store.create_workspace("ws1", "local", "local")
    with pytest.raises(ConflictError):
        http_store.create_run(ws.id, exp.id, run_id=run.id)
    with pytest.raises(InvalidInputError):
        http_store.create_workspace("x", "local", "local")  # too short a name
    with pytest.raises(ConflictError):
        http_store.add_run_properties(run.id, {"k": "1"}) and http_store.add_run_properties(
            run.id, {"k": "2"})


def test_a_wrong_token_is_refused_and_never_echoed(server_env, mlws_home):
    secret = "wrong-token-0123456789abcdef"
    store = HttpStore(StoreSettings.resolve(token=secret))
    with pytest.raises(AuthenticationException) as info:
        store.list_workspaces()
    assert secret not in str(info.value) and "MLWS_TOKEN" in str(info.value)
    store.close()


def test_an_unreachable_server_is_a_clear_error(mlws_home):
    from jupyter_mlws.exceptions import ServiceException

    store = HttpStore(StoreSettings.resolve(tracking_uri="http://127.0.0.1:9/mlws",
                                            token="tok-secret-value"))
    with pytest.raises(ServiceException) as info:
        store.list_workspaces()
    assert "Cannot reach" in str(info.value) and "tok-secret-value" not in str(info.value)


def test_run_lifecycle_query_and_heartbeat(http_store):
    ws, exp, run = _run(http_store, tags={"a": "1"}, properties={"p": "x"})
    other = http_store.create_run(ws.id, exp.id, run_id="r2", parent_run_id=run.id)
    assert http_store.get_run(run.id).owner == current_owner()
    before = http_store.get_run(run.id).heartbeat_time or 0
    time.sleep(0.01)  # heartbeat times are wall-clock; make "later" observable
    assert (http_store.update_run(run.id, heartbeat=True).heartbeat_time or 0) > before
    assert http_store.set_run_tags(run.id, {"b": None}) == {"a": "1", "b": None}
    assert http_store.remove_run_tags(run.id, ["a"]) == {"b": None}
    assert http_store.add_run_properties(run.id, {"q": "y"}) == {"p": "x", "q": "y"}
    done = http_store.update_run(run.id, status="Completed")
    assert done.status == "Completed" and done.end_time is not None
    untouched = http_store.update_run(run.id, status="Canceled", only_if_active=True)
    assert untouched.status == "Completed"
    top = http_store.list_runs(ws.id, RunQuery(experiment_id=exp.id))
    assert [r.id for r in top] == [run.id]
    assert http_store.count_runs(ws.id, RunQuery(include_children=True)) == 2
    children = http_store.list_runs(ws.id, RunQuery(parent_run_id=run.id))
    assert [r.id for r in children] == [other.id]
    queried = RunQuery(include_children=True, filter="tags.b is not null and status = 'Completed'")
    assert [r.id for r in http_store.list_runs(ws.id, queried)] == [run.id]
    assert http_store.count_runs(ws.id, queried) == 1
    with pytest.raises(InvalidInputError, match="position"):
        http_store.list_runs(ws.id, RunQuery(filter="tags.b ="))
    http_store.append_metrics([(run.id, "m", "scalar", None, 1.0, math.inf, ""),
                               (other.id, "m", "scalar", None, 1.0, 2.0, "")])
    keys = http_store.list_run_keys(ws.id, RunQuery(include_children=True))
    assert keys.runs == 2 and [(k.name, k.kind, k.runs) for k in keys.metrics] == [
        ("m", "scalar", 2)]
    values = http_store.get_run_values(ws.id, RunQuery(include_children=True, order_by="number",
                                                       descending=False), ["metrics.m", "tags.b"])
    assert values.ids == [run.id, other.id] and values.total == 2
    assert values.columns["metrics.m"] == [math.inf, 2.0]
    assert values.columns["tags.b"] == [None, None]
    http_store.delete_run(run.id)
    with pytest.raises(NotFoundError):
        http_store.get_run(other.id)


def test_experiments_by_id(http_store):
    ws = http_store.create_workspace("ws1", "local", "local")
    exp = http_store.get_or_create_experiment(ws.id, "exp")
    assert http_store.get_or_create_experiment(ws.id, "exp").id == exp.id
    fresh = HttpStore(http_store.settings)  # knows nothing about the experiment yet
    archived = fresh.update_experiment(exp.id, archived=True, set_tags={"t": "v"})
    assert archived.archived_time is not None and archived.tags == {"t": "v"}
    assert http_store.get_experiment(ws.id, experiment_id=exp.id).name == "exp"
    fresh.delete_experiment(exp.id)
    with pytest.raises(NotFoundError):
        http_store.get_experiment(ws.id, "exp")
    fresh.close()


VALUES = [1.5, math.nan, math.inf, -math.inf, "NaN", "Infinity", "text", None, True, 7,
          2**60, {"a": math.nan, "b": "NaN", "c": 1}]


def test_metric_values_survive_the_trip_exactly(http_store):
    _, _, run = _run(http_store)
    now = time.time()
    points = [(run.id, "m", "table" if isinstance(v, dict) else "scalar", i, now, v, "d")
              for i, v in enumerate(VALUES[:-1])]
    points.append((run.id, "rows", "table", 2.5, now, VALUES[-1], ""))
    http_store.append_metrics(points)
    values = http_store.get_all_metric_values([run.id])[run.id]
    got = values["m"][1]
    assert len(got) == len(VALUES) - 1
    for sent, received in zip(VALUES[:-1], got, strict=True):
        if isinstance(sent, float) and math.isnan(sent):
            assert isinstance(received, float) and math.isnan(received)
        else:
            assert received == sent and type(received) is type(sent)
    row = values["rows"][1][0]
    assert math.isnan(row["a"]) and row["b"] == "NaN" and row["c"] == 1
    series = http_store.get_metric_series(run.id, "m")
    assert series.step == list(range(len(VALUES) - 1)) and series.value[4] == "NaN"
    assert math.isinf(series.value[2])
    assert http_store.get_metric_series(run.id, "rows").step == [2.5]
    assert http_store.get_metric_series(run.id, "m", since=10).seq == [11]
    window = http_store.get_metric_series(run.id, "m", since=2, until=5)
    assert window.seq == [3, 4, 5] and window.total == 11
    assert {i.name for i in http_store.list_metrics(run.id)} == {"m", "rows"}


def test_one_batch_may_span_workspaces(http_store):
    _, _, run1 = _run(http_store, "wsa", "ra")
    _, _, run2 = _run(http_store, "wsb", "rb")
    http_store.append_metrics([(run1.id, "x", "scalar", None, time.time(), 1, ""),
                               (run2.id, "x", "scalar", None, time.time(), 2, "")])
    values = http_store.get_all_metric_values([run1.id, run2.id])
    assert values[run1.id]["x"][1] == [1] and values[run2.id]["x"][1] == [2]


def test_points_of_an_unknown_run_are_refused(http_store):
    with pytest.raises(NotFoundError):
        http_store.append_metrics([("ghost", "x", "scalar", None, time.time(), 1, "")])


def test_artifacts_stream_both_ways(http_store, tmp_path):
    _, _, run = _run(http_store)
    big = tmp_path / "big.bin"
    block = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB
    with big.open("wb") as out:
        for _ in range(40):  # 5 MiB: several transport chunks
            out.write(block)
    record = http_store.upload_artifact(run.id, "outputs/big.bin", str(big))
    assert record.size == big.stat().st_size
    with pytest.raises(ConflictError):
        http_store.upload_artifact(run.id, "outputs/big.bin", io.BytesIO(b"x"))
    http_store.upload_artifact(run.id, "outputs/small.txt", io.BytesIO(b"hello"))
    digest = hashlib.sha256()
    with http_store.open_artifact(run.id, "outputs/big.bin") as stream:
        first = stream.read(1000)
        assert len(first) == 1000
        digest.update(first)
        for chunk in iter(lambda: stream.read(65536), b""):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
    assert [a.path for a in http_store.list_artifacts(run.id, "outputs/s")] == [
        "outputs/small.txt"]
    assert http_store.append_log(run.id, "logs/x.txt", b"ab") == 2
    assert http_store.append_log(run.id, "logs/x.txt", "é\n".encode()) == 5
    with http_store.open_artifact(run.id, "logs/x.txt") as stream:
        assert stream.read() == "abé\n".encode()
    with pytest.raises(InvalidInputError):
        http_store.upload_artifact(run.id, "../escape.txt", io.BytesIO(b"x"))


def test_snapshots_upload_only_missing_blobs(http_store, tmp_path, monkeypatch):
    ws = http_store.create_workspace("ws1", "local", "local")
    (tmp_path / "a.py").write_text("print('a')\n")
    (tmp_path / "b.py").write_text("print('a')\n")  # same content: one blob
    (tmp_path / "c.txt").write_text("other")
    uploads: list[str] = []
    real_upload = http_store.http.upload
    monkeypatch.setattr(http_store.http, "upload",
                        lambda path, source, **kw: uploads.append(path) or real_upload(
                            path, source, **kw))
    files = {"a.py": str(tmp_path / "a.py"), "sub/b.py": str(tmp_path / "b.py"),
             "c.txt": str(tmp_path / "c.txt")}
    first = http_store.create_snapshot(ws.id, files)
    assert len(uploads) == 2
    (tmp_path / "d.txt").write_text("new")
    second = http_store.create_snapshot(ws.id, {**files, "d.txt": str(tmp_path / "d.txt")})
    assert len(uploads) == 3 and second.files["a.py"] == first.files["a.py"]
    assert http_store.get_snapshot(first.id).files == first.files
    with http_store.open_snapshot_file(second.id, "sub/b.py") as stream:
        assert stream.read() == b"print('a')\n"
    with pytest.raises(NotFoundError):
        http_store.open_snapshot_file(first.id, "d.txt")
    with pytest.raises(InvalidInputError):
        http_store.create_snapshot(ws.id, {"x": str(tmp_path / "missing")})


def test_assets_round_trip(http_store):
    ws = http_store.create_workspace("ws1", "local", "local")
    v1 = http_store.register_asset(ws.id, "environment", "env-a", {"pip": ["x"]})
    v2 = http_store.register_asset(ws.id, "environment", "env-a", {"pip": ["y"]},
                                   tags={"t": "1"}, description="second")
    assert (v1.version, v2.version) == (1, 2)
    assert http_store.get_asset(ws.id, "environment", "env-a").spec == {"pip": ["y"]}
    assert http_store.get_asset(ws.id, "environment", "env-a", 1).spec == {"pip": ["x"]}
    assert len(http_store.list_assets(ws.id, "environment", latest_only=False)) == 2
    http_store.register_asset(ws.id, "compute", "cpu", {"nodes": 2}, new_version=False)
    with pytest.raises(ConflictError):
        http_store.register_asset(ws.id, "compute", "cpu", {"nodes": 3}, new_version=False)
    state = http_store.update_asset_state(ws.id, "compute", "cpu", 1, {"state": "Succeeded"})
    assert state.state == {"state": "Succeeded"}
    http_store.delete_asset(ws.id, "environment", "env-a", 1)
    assert [a.version for a in http_store.list_assets(ws.id, "environment",
                                                      latest_only=False)] == [2]
    http_store.delete_asset(ws.id, "environment", "env-a")
    with pytest.raises(NotFoundError):
        http_store.get_asset(ws.id, "environment", "env-a")


def test_config_json_can_name_the_server(mlws_http_server, mlws_home, tmp_path, sql_view):
    from jupyter_mlws.core import Experiment, Workspace

    remote = HttpStore(StoreSettings.resolve(tracking_uri=mlws_http_server.uri,
                                             token=mlws_http_server.token))
    try:
        remote.create_workspace("cfgws", "sub", "rg")
        (tmp_path / "config.json").write_text(json.dumps({
            "subscription_id": "sub", "resource_group": "rg", "workspace_name": "cfgws",
            "tracking_uri": mlws_http_server.uri, "token": mlws_http_server.token}))
        ws = Workspace.from_config(str(tmp_path / "config.json"))
        assert isinstance(ws._store, HttpStore)
        run = Experiment(ws, "viaconfig").start_logging(snapshot_directory=None)
        run.log("loss", 0.5)
        run.complete()
        assert sql_view.get_all_metric_values([run.id])[run.id]["loss"][1] == [0.5]
    finally:
        for workspace in remote.list_workspaces():
            remote.delete_workspace(workspace.id)
        remote.close()
