"""Workspaces and experiments against SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlws.store import (
    ConflictError,
    NotFoundError,
    StoreSettings,
    get_store,
    reset_store_cache,
)


def test_create_get_list_update_workspace(store) -> None:  # type: ignore[no-untyped-def]
    ws = store.create_workspace("alpha", "s1", "rg1", tags={"team": "a"}, description="d")
    assert store.get_workspace("alpha") == ws
    assert store.get_workspace("alpha", "s1", "rg1") == ws
    assert store.get_workspace_by_id(ws.id) == ws
    assert ws.storage_url.endswith(ws.id)
    with pytest.raises(ConflictError):
        store.create_workspace("alpha", "s1", "rg1")
    other = store.create_workspace("alpha", "s2", "rg1")
    with pytest.raises(ConflictError, match="s1/rg1"):
        store.get_workspace("alpha")
    assert store.get_workspace("alpha", subscription_id="s2") == other
    assert {w.id for w in store.list_workspaces()} == {ws.id, other.id}
    assert [w.id for w in store.list_workspaces(subscription_id="s2")] == [other.id]
    updated = store.update_workspace(ws.id, tags={"team": "b"}, friendly_name="A")
    assert updated.tags == {"team": "b"} and updated.friendly_name == "A"
    assert updated.description == "d"
    with pytest.raises(NotFoundError):
        store.get_workspace("missing")


def test_experiments(store, ws) -> None:  # type: ignore[no-untyped-def]
    e1 = store.get_or_create_experiment(ws.id, "e1")
    assert store.get_or_create_experiment(ws.id, "e1") == e1
    e2 = store.get_or_create_experiment(ws.id, "e2")
    assert store.get_experiment(ws.id, experiment_id=e2.id).name == "e2"
    store.update_experiment(e2.id, archived=True, set_tags={"k": "v", "x": None})
    assert [e.name for e in store.list_experiments(ws.id)] == ["e1"]
    assert [e.name for e in store.list_experiments(ws.id, "ArchivedOnly")] == ["e2"]
    assert len(store.list_experiments(ws.id, "All")) == 2
    assert [e.name for e in store.list_experiments(ws.id, "All", tags={"k": None})] == ["e2"]
    rec = store.update_experiment(e2.id, archived=False, remove_tags=["x"])
    assert rec.archived_time is None and rec.tags == {"k": "v"}
    store.create_run(ws.id, e1.id, run_id="r1")
    store.create_run(ws.id, e1.id, run_id="r1-child", parent_run_id="r1")
    counts = {e.name: (e.run_count, e.child_run_count)
              for e in store.list_experiments(ws.id, with_run_counts=True)}
    assert counts == {"e1": (2, 1), "e2": (0, 0)}
    assert store.list_experiments(ws.id)[0].child_run_count is None


def test_delete_workspace_cascades_and_name_is_reusable(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    run = store.create_run(ws.id, exp.id, run_id="r1", tags={"a": "b"}, properties={"p": "q"})
    store.append_metrics([("r1", "m", "scalar", None, 1.0, 1.0, "")])
    store.upload_artifact(run.id, "outputs/a.txt", _bytes_file(Path(ws.storage_url), b"hi"))
    folder = Path(ws.storage_url)
    assert (folder / "runs" / "r1" / "outputs" / "a.txt").exists()
    store.delete_workspace(ws.id)
    assert not folder.exists()
    for call in (lambda: store.get_workspace_by_id(ws.id), lambda: store.get_run("r1"),
                 lambda: store.get_or_create_experiment(ws.id, "x"),
                 lambda: store.list_experiments(ws.id), lambda: store.delete_workspace(ws.id)):
        with pytest.raises(NotFoundError):
            call()
    again = store.create_workspace("ws1", "sub", "rg")
    exp2 = store.get_or_create_experiment(again.id, "exp")
    assert store.create_run(again.id, exp2.id, run_id="r1").number == 1
    assert store.list_metrics("r1") == []


def test_delete_experiment_cascades(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    store.create_run(ws.id, exp.id, run_id="r2", parent_run_id="r1")
    store.append_log("r2", "logs/a.log", b"x")
    store.delete_experiment(exp.id)
    assert not (Path(ws.storage_url) / "runs" / "r2").exists()
    with pytest.raises(NotFoundError):
        store.get_run("r2")
    exp2 = store.get_or_create_experiment(ws.id, "exp")
    assert exp2.id != exp.id
    assert store.create_run(ws.id, exp2.id, run_id="r1").number == 1


def _bytes_file(folder: Path, data: bytes) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder.parent / "src.bin"
    path.write_bytes(data)
    return str(path)


def test_get_store_is_cached_per_settings(mlws_home: Path) -> None:
    a = get_store()
    assert get_store() is a
    assert get_store(StoreSettings.resolve()) is a
    other = get_store(StoreSettings.resolve(database_url=f"sqlite:///{mlws_home / 'o.db'}"))
    assert other is not a
    a.create_workspace("cached", "local", "local")
    assert (mlws_home / "mlws.db").exists()
    reset_store_cache()
    assert get_store() is not a
    assert get_store().get_workspace("cached").name == "cached"


def test_get_store_picks_implementation_by_tracking_uri(monkeypatch, mlws_home) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.sql import SqlStore

    assert isinstance(get_store(), SqlStore)
    reset_store_cache()
    # A tracking URI names a server: the HTTP store is chosen, and nothing is contacted yet.
    monkeypatch.setenv("MLWS_TRACKING_URI", "http://localhost:1")
    assert type(get_store()).__name__ == "HttpStore"
