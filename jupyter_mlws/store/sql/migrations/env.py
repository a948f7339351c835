"""Alembic environment, run programmatically by ``engine.migrate`` (no alembic.ini).

The caller passes an open connection (already holding the migration lock and, on SQLite, a
write transaction) in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from jupyter_mlws.store.sql.schema import metadata

VERSION_TABLE = "mlws_alembic_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
