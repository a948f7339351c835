"""The asset registry: versions, latest lookups, state updates, deletes, cascades, races."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from jupyter_mlws.store import ConflictError, InvalidInputError, NotFoundError


def test_versions_increment_per_name(store, ws) -> None:  # type: ignore[no-untyped-def]
    a1 = store.register_asset(ws.id, "environment", "sklearn", {"pip": ["scikit-learn"]},
                              tags={"team": "a"}, description="first")
    a2 = store.register_asset(ws.id, "environment", "sklearn", {"pip": ["scikit-learn", "x"]})
    b1 = store.register_asset(ws.id, "environment", "torch", {"pip": ["torch"]})
    other_kind = store.register_asset(ws.id, "model", "sklearn", {"path": "m.pkl"})
    assert (a1.version, a2.version, b1.version, other_kind.version) == (1, 2, 1, 1)
    assert a1.tags == {"team": "a"} and a1.description == "first" and a1.state == {}
    assert a1.created_time > 0 and a1.updated_time == a1.created_time

    latest = store.get_asset(ws.id, "environment", "sklearn")
    assert latest == a2
    assert store.get_asset(ws.id, "environment", "sklearn", version=1) == a1
    assert store.get_asset(ws.id, "model", "sklearn").spec == {"path": "m.pkl"}

    listed = store.list_assets(ws.id, "environment")
    assert [(a.name, a.version) for a in listed] == [("sklearn", 2), ("torch", 1)]
    every = store.list_assets(ws.id, "environment", latest_only=False)
    assert [(a.name, a.version) for a in every] == [("sklearn", 2), ("sklearn", 1),
                                                   ("torch", 1)]
    assert [a.version for a in store.list_assets(ws.id, "environment", name="sklearn",
                                                 latest_only=False)] == [2, 1]
    assert store.list_assets(ws.id, "datastore") == []


def test_unversioned_conflict_and_not_found_messages(store, ws) -> None:  # type: ignore[no-untyped-def]
    rec = store.register_asset(ws.id, "compute", "cpu-cluster", {"vm_size": "small"},
                               new_version=False, state={"provisioning_state": "Creating"})
    assert rec.version == 1 and rec.state == {"provisioning_state": "Creating"}
    with pytest.raises(ConflictError, match="cpu-cluster"):
        store.register_asset(ws.id, "compute", "cpu-cluster", {"vm_size": "big"},
                             new_version=False)
    assert store.get_asset(ws.id, "compute", "cpu-cluster").spec == {"vm_size": "small"}

    with pytest.raises(NotFoundError, match=r"Compute 'gpu' not found"):
        store.get_asset(ws.id, "compute", "gpu")
    with pytest.raises(NotFoundError, match=r"Compute 'cpu-cluster' version 7 not found"):
        store.get_asset(ws.id, "compute", "cpu-cluster", version=7)
    with pytest.raises(NotFoundError, match=r"Model 'm' version 2 not found"):
        store.update_asset_state(ws.id, "model", "m", 2, {"x": 1})
    with pytest.raises(NotFoundError, match=r"Environment 'e' not found"):
        store.delete_asset(ws.id, "environment", "e")
    with pytest.raises(NotFoundError, match="Workspace"):
        store.register_asset("no-such-workspace", "model", "m", {})
    with pytest.raises(NotFoundError, match="Workspace"):
        store.list_assets("no-such-workspace", "model")
    with pytest.raises(InvalidInputError):
        store.register_asset(ws.id, "model", "", {})
    with pytest.raises(InvalidInputError):
        store.register_asset(ws.id, "model", "m", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        store.get_asset(ws.id, "model", "m", version=0)


def test_state_merge_and_replace(store, ws) -> None:  # type: ignore[no-untyped-def]
    store.register_asset(ws.id, "compute", "c", {"max_nodes": 4},
                         state={"provisioning_state": "Creating", "nodes": 0})
    store.register_asset(ws.id, "compute", "d", {"max_nodes": 1})
    merged = store.update_asset_state(ws.id, "compute", "c", 1,
                                      {"provisioning_state": "Succeeded", "errors": None})
    assert merged.state == {"provisioning_state": "Succeeded", "nodes": 0, "errors": None}
    assert merged.spec == {"max_nodes": 4} and merged.version == 1
    assert merged.updated_time >= merged.created_time
    replaced = store.update_asset_state(ws.id, "compute", "c", 1, {"nodes": 3}, merge=False)
    assert replaced.state == {"nodes": 3}
    assert store.get_asset(ws.id, "compute", "c").state == {"nodes": 3}
    assert store.get_asset(ws.id, "compute", "d").state == {}  # untouched neighbour
    assert len(store.list_assets(ws.id, "compute", latest_only=False)) == 2  # no new version


def test_delete_one_or_all_versions(store, ws) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        store.register_asset(ws.id, "model", "m", {"i": i})
    store.register_asset(ws.id, "model", "keep", {})
    store.delete_asset(ws.id, "model", "m", version=3)
    assert store.get_asset(ws.id, "model", "m").version == 2  # latest moves back
    with pytest.raises(NotFoundError, match=r"Model 'm' version 3 not found"):
        store.get_asset(ws.id, "model", "m", version=3)
    with pytest.raises(NotFoundError):
        store.delete_asset(ws.id, "model", "m", version=3)
    store.delete_asset(ws.id, "model", "m")
    with pytest.raises(NotFoundError, match=r"Model 'm' not found"):
        store.get_asset(ws.id, "model", "m")
    assert [a.name for a in store.list_assets(ws.id, "model")] == ["keep"]
    # A deleted name can be reused from version 1.
    assert store.register_asset(ws.id, "model", "m", {"again": True}).version == 1


def test_workspace_delete_cascades(store, ws) -> None:  # type: ignore[no-untyped-def]
    other = store.create_workspace("ws2", "sub", "rg")
    store.register_asset(ws.id, "environment", "e", {"a": 1})
    store.register_asset(ws.id, "environment", "e", {"a": 2})
    store.register_asset(other.id, "environment", "e", {"b": 1})
    assert store.get_asset(other.id, "environment", "e").spec == {"b": 1}  # per workspace
    store.delete_workspace(ws.id)
    with pytest.raises(NotFoundError):
        store.get_asset(ws.id, "environment", "e")
    with store.db.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT workspace_id FROM asset")).scalars().all()
    assert left == [other.id]


def test_concurrent_registrations_get_distinct_versions(store, ws) -> None:  # type: ignore[no-untyped-def]
    threads_n, each = 6, 5
    errors: list[BaseException] = []
    versions: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_n)

    def worker(k: int) -> None:
        try:
            start.wait(30)
            for i in range(each):
                rec = store.register_asset(ws.id, "environment", "shared", {"k": k, "i": i})
                with lock:
                    versions.append(rec.version)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert errors == []
    assert sorted(versions) == list(range(1, threads_n * each + 1))
    assert store.get_asset(ws.id, "environment", "shared").version == threads_n * each


@pytest.mark.parametrize("bad", ["\ud800", "\x00"])
def test_every_text_column_refuses_what_no_database_can_hold(store, ws, bad) -> None:  # type: ignore[no-untyped-def]
    """The text columns' own rule (schema.Text): a lone surrogate or a NUL is one clear 400
    on SQLite and PostgreSQL alike, in writes and in lookups, and nothing is written."""
    store.register_asset(ws.id, "model", "m", {"path": "m.pkl"}, description="kept")
    attempts = [
        lambda: store.register_asset(ws.id, "model", "m", {"path": "x"}, description="d" + bad),
        lambda: store.register_asset(ws.id, "environment", "env" + bad, {}),
        lambda: store.get_asset(ws.id, "environment", "env" + bad),
        lambda: store.update_workspace(ws.id, description="d" + bad),
        lambda: store.update_workspace(ws.id, friendly_name=bad),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInputError, match=r"lone surrogate|NUL character"):
            attempt()
    assert [(a.version, a.description) for a in
            store.list_assets(ws.id, "model", latest_only=False)] == [(1, "kept")]
    assert store.list_assets(ws.id, "environment") == []
    assert store.get_workspace_by_id(ws.id).description == ws.description
