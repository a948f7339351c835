"""SQLAlchemy Core tables of the SQL store (the migrations create exactly these)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...exceptions import shown
from ..errors import InvalidInputError
from ..values import text_problem

metadata = sa.MetaData()


class Text(sa.TypeDecorator):  # type: ignore[type-arg]
    """A text column that refuses, on both databases alike, what no database can hold: a lone
    surrogate (no driver can encode it) and NUL (PostgreSQL refuses it where SQLite would keep
    it). Every text column uses it, so no write path can forget the rule; the hot metric
    paths (driver SQL) check their values before they get here."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise InvalidInputError(f"The text {shown(value, 40)} {problem}")
        return value


class String(Text):
    """A length-bounded :class:`Text`."""

    impl = sa.String
    cache_ok = True

_cascade = {"ondelete": "CASCADE"}

workspace = sa.Table(
    "workspace", metadata,
    sa.Column("id", String(36), primary_key=True),
    sa.Column("name", String(255), nullable=False),
    sa.Column("subscription_id", String(255), nullable=False),
    sa.Column("resource_group", String(255), nullable=False),
    sa.Column("location", String(255), nullable=False),
    sa.Column("storage_url", Text, nullable=False),
    sa.Column("friendly_name", Text, nullable=False),
    sa.Column("description", Text, nullable=False),
    sa.Column("tags", Text, nullable=False),  # JSON object
    sa.Column("created_time", sa.Float, nullable=False),
    sa.UniqueConstraint("subscription_id", "resource_group", "name", name="uq_workspace_name"),
    sa.Index("ix_workspace_name", "name"),
)

experiment = sa.Table(
    "experiment", metadata,
    sa.Column("id", String(36), primary_key=True),
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              nullable=False),
    sa.Column("name", String(255), nullable=False),
    sa.Column("archived_time", sa.Float),
    sa.Column("tags", Text, nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    # Highest run number handed out; bumped inside the create-run transaction.
    sa.Column("last_run_number", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("workspace_id", "name", name="uq_experiment_name"),
)

run = sa.Table(
    "run", metadata,
    sa.Column("id", String(255), primary_key=True),
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              nullable=False),
    sa.Column("experiment_id", String(36), sa.ForeignKey("experiment.id", **_cascade),
              nullable=False),
    sa.Column("parent_run_id", String(255)),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", String(32), nullable=False),
    sa.Column("run_type", String(255)),
    sa.Column("display_name", Text),
    sa.Column("description", Text),
    sa.Column("target", String(255), nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("start_time", sa.Float),
    sa.Column("end_time", sa.Float),
    sa.Column("error", Text),  # JSON
    sa.Column("run_definition", Text),  # JSON
    sa.Column("snapshot_id", String(36)),
    sa.Column("owner", String(512)),
    sa.Column("heartbeat_time", sa.Float),
    sa.UniqueConstraint("experiment_id", "number", name="uq_run_number"),
    sa.Index("ix_run_experiment_created", "experiment_id", "created_time"),
    sa.Index("ix_run_experiment_start", "experiment_id", "start_time"),
    sa.Index("ix_run_experiment_status", "experiment_id", "status"),
    sa.Index("ix_run_workspace_created", "workspace_id", "created_time"),
    sa.Index("ix_run_workspace_status", "workspace_id", "status"),
    sa.Index("ix_run_parent", "parent_run_id"),
)

run_tag = sa.Table(
    "run_tag", metadata,
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), primary_key=True),
    sa.Column("key", String(255), primary_key=True),
    sa.Column("value", Text),
    sa.Index("ix_run_tag_key", "key", "run_id"),
)

run_property = sa.Table(
    "run_property", metadata,
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), primary_key=True),
    sa.Column("key", String(255), primary_key=True),
    sa.Column("value", Text, nullable=False),
    sa.Index("ix_run_property_key", "key", "run_id"),
)

metric = sa.Table(
    "metric", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), nullable=False),
    sa.Column("name", String(255), nullable=False),
    sa.Column("kind", String(32), nullable=False),
    sa.Column("description", Text, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),  # == highest seq, seqs are dense from 1
    # The last point, kept at write time so run tables never read points (values.py encoding;
    # an empty table keeps its declared columns here as a row of nulls, with count 0).
    sa.Column("last_type", sa.SmallInteger),  # values.py type code (+ STEP_INT)
    sa.Column("last_num", sa.Float),  # sortable last value (metric:<name> ordering)
    sa.Column("last_text", Text),
    sa.Column("last_step", sa.Float),
    sa.UniqueConstraint("run_id", "name", name="uq_metric_name"),
    sa.Index("ix_metric_name_last", "name", "last_num"),
    # AUTOINCREMENT so a deleted metric's id is never reused under a cached id in another process.
    sqlite_autoincrement=True,
)

# Points in packed column chunks (store/chunk_codec.py): one row per CHUNK_POINTS consecutive seqs
# of a metric (chunk k holds seqs k*CHUNK_POINTS+1 ...; only the newest may be partly filled).
metric_chunk = sa.Table(
    "metric_chunk", metadata,
    sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade), primary_key=True),
    sa.Column("first_seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.Integer, nullable=False),  # points in the chunk
    sa.Column("step_enc", sa.SmallInteger, nullable=False),  # columns.STEPS_*
    sa.Column("steps", sa.LargeBinary),  # NULL when every step is None
    sa.Column("times", sa.LargeBinary, nullable=False),  # float64
    sa.Column("value_enc", sa.SmallInteger, nullable=False),  # columns.VALUES_*
    sa.Column("vals", sa.LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

# Rollup of fixed-size seq blocks of a metric (metric_blocks.BLOCK_SIZE points each), maintained
# at append time from the packed chunks, so a downsampled read scans ~N/BLOCK_SIZE rows.
metric_block = sa.Table(
    "metric_block", metadata,
    sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade), primary_key=True),
    sa.Column("block", sa.Integer, primary_key=True, autoincrement=False),  # (seq - 1) // size
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("min_num", sa.Float),  # NULL while the block holds no numeric value
    sa.Column("min_seq", sa.Integer),
    sa.Column("max_num", sa.Float),
    sa.Column("max_seq", sa.Integer),
    sa.Column("types", sa.Integer, nullable=False),  # bit 1 << vtype per point, TEXT_BIT
    sqlite_with_rowid=False,
)

artifact = sa.Table(
    "artifact", metadata,
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), primary_key=True),
    sa.Column("path", String(1024), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content_type", String(255), nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    # Content checks and the claim of a write in progress (see store/sql/artifact_claims.py):
    # the SHA-256 when it was computed while writing; whether the file is appended to (a log:
    # it may hold more than ``size``); the owner process (liveness.current_owner) of a write
    # in progress and the storage name it writes to; where the content lives when it is not
    # under the artifact's own name (object stores, after an overwrite). Names are relative
    # to the workspace's storage root.
    sa.Column("sha256", String(64)),
    sa.Column("appended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("owner", String(255)),
    sa.Column("pending", Text),
    sa.Column("stored_name", Text),
)

snapshot = sa.Table(
    "snapshot", metadata,
    sa.Column("id", String(36), primary_key=True),
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              nullable=False, index=True),
    sa.Column("manifest", Text, nullable=False),  # JSON {path: {"sha256", "size"}}
    sa.Column("created_time", sa.Float, nullable=False),
)

asset = sa.Table(
    "asset", metadata,
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              primary_key=True),
    sa.Column("kind", String(64), primary_key=True),
    sa.Column("name", String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("spec", Text, nullable=False),  # JSON
    sa.Column("state", Text, nullable=False),  # JSON
    sa.Column("tags", Text, nullable=False),  # JSON
    sa.Column("description", Text, nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("updated_time", sa.Float, nullable=False),
)

# The key vault, access-control, audit and run-credential tables live in their own module
# on this same metadata.
from . import access_schema  # noqa: E402, F401
