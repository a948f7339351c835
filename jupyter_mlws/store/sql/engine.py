"""Engines, transactions and schema migrations of the SQL store.

SQLite: WAL (readers never block the writer), ``synchronous=NORMAL``, a 30 s busy timeout and
``BEGIN IMMEDIATE`` for write transactions, so two writers queue on the lock up front instead of
deadlocking when a read lock is upgraded. PostgreSQL: plain transactions.

Opening a store whose schema is at head costs one query: the head revision is read from the
migration scripts' ``revision`` / ``down_revision`` lines (no Alembic import, which costs about
half a second), and Alembic runs only when the database is behind.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .. import private
from ..base import StoreError

T = TypeVar("T")

VERSION_TABLE = "mlws_alembic_version"
BUSY_TIMEOUT_MS = 30_000
_MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)
_heads: dict[tuple[str, float], str] = {}
# Arbitrary constant key of the PostgreSQL advisory lock that serializes migrations.
_PG_MIGRATION_LOCK = 0x6D6C7773
_ALEMBIC_LOCK = threading.Lock()


def head_revision(migrations: Path | None = None) -> str:
    """The single head of the migration scripts in ``migrations/versions``: the revision no
    other script names as its ``down_revision``. Read from the files' text, cached per folder
    state; StoreError if there is not exactly one head."""
    folder = (migrations or _MIGRATIONS) / "versions"
    key = (str(folder), folder.stat().st_mtime)
    head = _heads.get(key)
    if head is not None:
        return head
    revisions, parents = set(), set()
    for script in folder.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(text)
        if down is not None:  # None, "0001", or a tuple of merged revisions
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise StoreError(f"The migration scripts in {folder} have {len(heads)} heads "
                         f"({', '.join(heads) or 'none'}); expected one")
    _heads[key] = heads[0]
    return heads[0]


HEAD_REVISION = head_revision()


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """A store error raised while SQLAlchemy bound a parameter (a text column refusing a value,
    see ``schema.Text``) comes out as itself, not wrapped in a StatementError."""
    try:
        yield
    except sa.exc.StatementError as exc:
        if isinstance(exc.orig, StoreError):
            raise exc.orig from None
        raise


def _is_locked_error(exc: BaseException) -> bool:
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def _prepare_private_file(path: Path) -> None:
    """Create the database file 0600 (in a 0700 folder when the folder is new) before SQLite
    opens it: SQLite gives its -wal and -shm files the database file's mode."""
    private.make_dirs(path.parent)
    private.report_if_open(path.parent)
    private.create_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        private.tighten(f"{path}{suffix}")  # left wider by an older version


class Database:
    """One engine plus the write/read helpers every store module uses."""

    def __init__(self, url: str) -> None:
        url_obj = sa.engine.make_url(url)
        self.is_sqlite = url_obj.get_backend_name() == "sqlite"
        if self.is_sqlite:
            db = url_obj.database
            if db and db != ":memory:" and not db.startswith("file:"):
                _prepare_private_file(Path(db).expanduser())
            self.engine = sa.create_engine(
                url_obj, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                       "check_same_thread": False})
            self._setup_sqlite(self.engine)
        else:
            self.engine = sa.create_engine(url_obj, pool_pre_ping=True)
        # The DBAPI parameter marker, for the exec_driver_sql hot paths (qmark or format style).
        self.ph = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    @staticmethod
    def _setup_sqlite(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Driver-level autocommit: we emit BEGIN ourselves (see _begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            write = conn.get_execution_options().get("mlws_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    # ---- transactions
    def write(self, fn: Callable[[Connection], T], retries: int = 8) -> T:
        """Run ``fn`` in one write transaction, retrying when SQLite reports a lock that
        outlasted the busy timeout (e.g. a long checkpoint)."""
        delay = 0.05
        for attempt in range(retries + 1):
            try:
                with self.engine.connect() as conn, _store_errors():
                    conn.execution_options(mlws_write=True)
                    with conn.begin():
                        return fn(conn)
            except sa.exc.OperationalError as exc:
                if not (self.is_sqlite and _is_locked_error(exc)) or attempt == retries:
                    raise
                time.sleep(delay)  # back-off between retries, not synchronization
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn, _store_errors():
            return fn(conn)

    def close(self) -> None:
        self.engine.dispose()

    # ---- migrations
    def current_revision(self, conn: Connection) -> str | None:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()

    def migrate(self, home: Path | None = None) -> None:
        """Bring the schema to head; safe when several processes start at once. ``home`` is
        the store's home, where migrations that encrypt find the master key file."""
        if self.read(self.current_revision) == head_revision():
            return  # fast path: no Alembic import on every process start
        attributes: dict[str, object] = {"mlws_home": home}
        if self.is_sqlite:
            # The IMMEDIATE transaction is the lock: a concurrent migrator waits, then finds head.
            self.write(lambda conn: self._upgrade(conn, attributes))
            if attributes.get("mlws_vacuum"):
                self._scrub_sqlite()
            return
        with self.engine.connect() as conn:
            # A session-level lock outlives the transaction that took it.
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})")
            conn.commit()
            try:
                with conn.begin():
                    self._upgrade(conn, attributes)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})")
                conn.commit()

    def _scrub_sqlite(self) -> None:
        """After a migration that removed plaintext (it sets ``mlws_vacuum``): rebuild the file
        so no free page keeps the old bytes, and fold the WAL back in and truncate it. Best
        effort: a failure (e.g. a reader holding the WAL) is logged, the store still opens."""
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("VACUUM")
            busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cur.close()
            if busy and busy[0]:
                private.log.warning("The WAL of %s could not be truncated after a migration "
                                    "(another connection reads it); SQLite folds it in later",
                                    self.engine.url.database)
        except sqlite3.Error as exc:  # the raw DBAPI connection: errors are not wrapped
            private.log.warning("VACUUM after a migration failed (%s): free pages of %s may "
                                "keep removed bytes until it runs", exc, self.engine.url.database)
        finally:
            raw.close()

    def _upgrade(self, conn: Connection, attributes: dict[str, object] | None = None) -> None:
        if self.current_revision(conn) == head_revision():
            return
        from alembic import command  # Alembic only when the schema is not at head
        from alembic.config import Config  # Alembic only when the schema is not at head

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        cfg.attributes.update(attributes or {})
        cfg.attributes["connection"] = conn
        try:
            # Alembic's context is module-global: one migration at a time per process.
            with _ALEMBIC_LOCK:
                command.upgrade(cfg, "head")
        except Exception as exc:
            raise StoreError(f"Could not migrate the jupyter_mlws database: {exc}") from exc
        if attributes is not None and cfg.attributes.get("mlws_vacuum"):
            attributes["mlws_vacuum"] = True
