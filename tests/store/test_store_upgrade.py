"""A store written by the schema-0001 release (one row per metric point) opens with the current
code, is migrated to packed chunks (0002) and reads exactly as that release read it; readers of
the old layout keep reading while the migration runs; the downgrade restores the old rows."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jupyter_mlws.store.settings import StoreSettings
from jupyter_mlws.store.sql import SqlStore
from jupyter_mlws.store.sql.engine import _MIGRATIONS, VERSION_TABLE

FIXTURES = Path(__file__).parent / "fixtures"
RUNS = ["run_a", "run_b", "run_c"]
OLD_TABLES = ["workspace", "experiment", "run", "metric", "metric_point", "metric_block"]


def _expected() -> dict[str, Any]:
    with gzip.open(FIXTURES / "store_0001.json.gz", "rt", encoding="utf-8") as source:
        return json.load(source)


def _old_store(folder: Path) -> Path:
    """A copy of the store the 0001 release wrote (tests/store/fixtures/make_store_0001.py)."""
    db = folder / "store_0001.db"
    with gzip.open(FIXTURES / "store_0001.db.gz", "rb") as source, db.open("wb") as target:
        shutil.copyfileobj(source, target)
    return db


def _plain(value: Any) -> Any:
    """JSON's view of a result (tuples become lists), as the fixture was written."""
    return json.loads(json.dumps(value, allow_nan=True))


def _same(actual: Any, expected: Any, where: str = "") -> None:
    """Equal, with NaN equal to NaN and int never equal to float."""
    assert type(actual) is type(expected), (where, actual, expected)
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            _same(actual[key], expected[key], f"{where}/{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), where
    else:
        assert actual == expected, (where, actual, expected)


def _check_reads(store: SqlStore) -> None:
    expected = _expected()
    _same(_plain(store.get_all_metric_values(RUNS)), expected["values"], "values")
    for run_id in RUNS:
        _same(_plain([i.to_dict() for i in store.list_metrics(run_id)]),
              expected["infos"][run_id], f"infos {run_id}")
    for key, series in expected["series"].items():
        run_id, name = key.split("/", 1)
        _same(_plain(store.get_metric_series(run_id, name).to_dict()), series, key)
        for case, down in expected["downsampled"][key].items():
            since, max_points = map(int, case.split(":"))
            actual = store.get_metric_series(run_id, name, since=since, max_points=max_points)
            _same(_plain(actual.to_dict()), down, f"{key} {case}")


def _settings(home: Path, url: str) -> StoreSettings:
    return StoreSettings(home=home, database_url=url, storage_root=str(home / "workspaces"))


def _check_appends_continue(store: SqlStore) -> None:
    """The partly filled last chunk a migration leaves takes new points."""
    before = store.get_metric_series("run_a", "loss")
    store.append_metrics([("run_a", "loss", "scalar", 9000 + i, 2e9, i * 0.5, "")
                          for i in range(5000)])
    after = store.get_metric_series("run_a", "loss")
    assert after.total == before.total + 5000
    assert after.value[before.total:] == [i * 0.5 for i in range(5000)]
    assert after.step[:before.total] == before.step


def test_a_0001_sqlite_store_reads_identically_after_the_upgrade(tmp_path: Path) -> None:
    db = _old_store(tmp_path)
    store = SqlStore(_settings(tmp_path, f"sqlite:///{db}"))
    try:
        tables = set(sa.inspect(store.db.engine).get_table_names())
        assert "metric_chunk" in tables and "metric_point" not in tables
        _check_reads(store)
        _check_appends_continue(store)
    finally:
        store.close()


def _alembic(conn: sa.Connection, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(cfg, revision)


@pytest.mark.postgres
def test_a_0001_postgres_store_reads_identically_after_the_upgrade(
        tmp_path: Path, empty_pg_url: str) -> None:
    # The same store on PostgreSQL: the 0001 schema, then every row of the SQLite original.
    source = sqlite3.connect(_old_store(tmp_path))
    engine = sa.create_engine(empty_pg_url)
    with engine.begin() as conn:
        _alembic(conn, "0001")
        for table in OLD_TABLES:
            cursor = source.execute(f"SELECT * FROM {table}")
            columns = [c[0] for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor]
            conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 f"({', '.join(':' + c for c in columns)})"), rows)
        conn.execute(sa.text("SELECT setval('metric_id_seq', (SELECT max(id) FROM metric))"))
    engine.dispose()
    store = SqlStore(_settings(tmp_path, empty_pg_url))
    try:
        _check_reads(store)
        _check_appends_continue(store)
    finally:
        store.close()


def _point_rows(conn: Any) -> list[tuple]:
    return conn.execute("SELECT metric_id, seq, step, time, vtype, vnum, vtext FROM "
                        "metric_point ORDER BY metric_id, seq").fetchall()


def test_old_layout_stays_readable_while_the_migration_runs(tmp_path: Path) -> None:
    db = _old_store(tmp_path)
    reader = sqlite3.connect(db)
    reader.execute("PRAGMA journal_mode = WAL")
    original = _point_rows(reader)
    engine = sa.create_engine(f"sqlite:///{db}")
    migrated = threading.Event()
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        _alembic(conn, "0002")
        migrated.set()
        # Converted but not committed: a reader of the old layout sees all of it, unchanged.
        assert _point_rows(reader) == original
        conn.commit()
    engine.dispose()
    assert migrated.is_set()
    tables = {r[0] for r in reader.execute("SELECT name FROM sqlite_master")}
    assert "metric_chunk" in tables and "metric_point" not in tables
    reader.close()


def test_the_downgrade_restores_the_old_rows(tmp_path: Path) -> None:
    db = _old_store(tmp_path)
    original = _point_rows(sqlite3.connect(db))
    engine = sa.create_engine(f"sqlite:///{db}")
    for revision, down in (("0002", False), ("0001", True)):
        with engine.begin() as conn:
            _alembic(conn, revision, down=down)
    engine.dispose()
    check = sqlite3.connect(db)
    assert check.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone() == ("0001",)
    restored = _point_rows(check)
    assert len(restored) == len(original)
    for old, new in zip(original, restored, strict=True):
        assert old[:5] == new[:5] and old[6] == new[6]
        assert old[5] == new[5] or (old[5] is None and new[5] is None)


def _open_and_count(url: str, home: str) -> int:
    store = SqlStore(_settings(Path(home), url))
    try:
        return store.get_metric_series("run_a", "loss").total
    finally:
        store.close()


def test_processes_opening_an_old_store_at_once_all_read_it(tmp_path: Path) -> None:
    import multiprocessing

    url = f"sqlite:///{_old_store(tmp_path)}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        totals = pool.starmap(_open_and_count, [(url, str(tmp_path))] * 4)
    assert totals == [9000] * 4
    store = SqlStore(_settings(tmp_path, url))
    try:
        _check_reads(store)
    finally:
        store.close()


def test_a_store_already_at_0002a_is_converted_too(tmp_path: Path) -> None:
    # 0002a_artifacts reached stores before 0002: the chain must still convert their points.
    db = _old_store(tmp_path)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        _alembic(conn, "0002a_artifacts")
    engine.dispose()
    store = SqlStore(_settings(tmp_path, f"sqlite:///{db}"))
    try:
        _check_reads(store)
    finally:
        store.close()
