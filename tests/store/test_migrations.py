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


EXTRA_REVISION = '''
"""A revision after the real head, as another branch's migration would be."""
import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("mlws_test_extra", sa.Column("id", sa.Integer, primary_key=True))
'''

OPEN_AGAIN = """
import sys
from pathlib import Path
import jupyter_mlws.store.sql.engine as engine
engine._MIGRATIONS = Path(sys.argv[2])
db = engine.Database(sys.argv[1])
db.migrate()
print(db.read(db.current_revision), "alembic" in sys.modules, "sqlalchemy.orm" in sys.modules)
"""


def test_head_is_read_from_the_scripts_and_opening_at_head_never_imports_alembic(
        tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess
    import sys

    import jupyter_mlws.store.sql.engine as engine

    folder = tmp_path / "migrations"
    shutil.copytree(engine._MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "0099_extra.py").write_text(
        EXTRA_REVISION.format(down=HEAD_REVISION))
    monkeypatch.setattr(engine, "_MIGRATIONS", folder)
    assert engine.head_revision() == "0099"
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine.Database(url).migrate()  # the first open migrates, to the scripts' head
    assert "mlws_test_extra" in sa.inspect(sa.create_engine(url)).get_table_names()
    out = subprocess.run([sys.executable, "-c", OPEN_AGAIN, url, str(folder)], check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["0099", "False", "False"]  # at head: one query, no Alembic, no ORM


def test_two_heads_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.base import StoreError
    from jupyter_mlws.store.sql.engine import head_revision

    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (versions / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    (versions / "c.py").write_text('revision: str = "c"\ndown_revision: str | None = "a"\n')
    with pytest.raises(StoreError, match="2 heads"):
        head_revision(tmp_path / "migrations")
    (versions / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert head_revision(tmp_path / "migrations") == "d"


def test_importing_the_sdk_loads_no_sql_machinery() -> None:
    import subprocess
    import sys

    code = ("import sys, jupyter_mlws.core; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'alembic', 'psutil', 'pandas', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == "[]"
