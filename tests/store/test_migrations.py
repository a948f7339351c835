"""Migrations build exactly the declared schema on an empty database, idempotently."""

from __future__ import annotations

import multiprocessing

import pytest
import sqlalchemy as sa

from jupyter_mlws.store.sql.engine import HEAD_REVISION, VERSION_TABLE, Database
from jupyter_mlws.store.sql.schema import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    yield request.getfixturevalue("empty_pg_url")


def _schema_diff(url: str) -> list:  # type: ignore[type-arg]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    return diff


def test_migrate_empty_database_and_again(empty_url: str) -> None:
    db = Database(empty_url)
    assert db.read(db.current_revision) is None
    db.migrate()
    assert db.read(db.current_revision) == HEAD_REVISION
    db.migrate()  # idempotent
    db.write(db._upgrade)  # the locked path re-checks the revision and does nothing
    names = set(sa.inspect(db.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} | {VERSION_TABLE} == names
    db.close()
    assert _schema_diff(empty_url) == []


def _migrate(url: str) -> None:
    Database(url).migrate()


def test_concurrent_first_use_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'race.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_migrate, args=(url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 4
    db = Database(url)
    assert db.read(db.current_revision) == HEAD_REVISION
    db.close()
