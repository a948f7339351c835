"""Many processes writing a new workspace's first secrets at once (SQLite and PostgreSQL):
key vault secrets and datastore credentials race for the workspace's one data key (and a new
home's master key file); every write succeeds, one data key seals them all, and every value
decrypts."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import sqlalchemy as sa

from jupyter_mlws.store.sql import access_schema as t

PROCESSES = 16


def _value(i: int) -> str:
    return f"value-{i}-" + "\u00e9\ud7ff" * 8


def _write_first_secrets(url: str, home: str, ws_id: str, i: int, barrier) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    store = SqlStore(StoreSettings(home=Path(home), database_url=url,
                                   storage_root=str(Path(home) / "workspaces")))
    try:
        barrier.wait(timeout=120)  # everyone opened the store: the writes start together
        if i % 2:  # half reach the data key through the datastore-credential path first
            store.put_datastore_secret(ws_id, f"store{i}", {"key": _value(i)})
            store.set_secrets(ws_id, {f"secret-{i}": _value(i)})
        else:
            store.set_secrets(ws_id, {f"secret-{i}": _value(i)})
            store.put_datastore_secret(ws_id, f"store{i}", {"key": _value(i)})
    finally:
        store.close()


def test_first_secrets_of_a_workspace_from_many_processes(store, ws, mlws_home: Path) -> None:
    url = store.db.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_write_first_secrets,
                               args=(url, str(mlws_home), ws.id, i, barrier))
               for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    keys = store.db.read(lambda c: list(c.execute(sa.select(t.secret_key))))
    assert len(keys) == 1  # one data key for the workspace
    names = [f"secret-{i}" for i in range(PROCESSES)]
    assert store.get_secrets(ws.id, names) == {f"secret-{i}": _value(i)
                                               for i in range(PROCESSES)}
    assert sorted(p.name for p in store.list_secrets(ws.id)) == sorted(names)
    for i in range(PROCESSES):
        assert store.get_datastore_secret(ws.id, f"store{i}") == {"key": _value(i)}
