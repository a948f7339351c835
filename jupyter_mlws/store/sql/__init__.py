"""The SQL implementation of the store (SQLAlchemy Core, Alembic, fsspec)."""

from .sql_store import SqlStore

__all__ = ["SqlStore"]
