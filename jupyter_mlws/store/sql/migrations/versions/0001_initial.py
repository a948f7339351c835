"""Initial schema: workspaces, experiments, runs, tags, properties, metrics (points and block
rollups), artifacts, snapshots, assets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_cascade = {"ondelete": "CASCADE"}


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("subscription_id", sa.String(255), nullable=False),
        sa.Column("resource_group", sa.String(255), nullable=False),
        sa.Column("location", sa.String(255), nullable=False),
        sa.Column("storage_url", sa.Text, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.UniqueConstraint("subscription_id", "resource_group", "name",
                            name="uq_workspace_name"),
    )
    op.create_index("ix_workspace_name", "workspace", ["name"])

    op.create_table(
        "experiment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("archived_time", sa.Float),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("last_run_number", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_experiment_name"),
    )

    op.create_table(
        "run",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  nullable=False),
        sa.Column("experiment_id", sa.String(36), sa.ForeignKey("experiment.id", **_cascade),
                  nullable=False),
        sa.Column("parent_run_id", sa.String(255)),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("run_type", sa.String(255)),
        sa.Column("display_name", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("start_time", sa.Float),
        sa.Column("end_time", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("run_definition", sa.Text),
        sa.Column("snapshot_id", sa.String(36)),
        sa.Column("owner", sa.String(512)),
        sa.Column("heartbeat_time", sa.Float),
        sa.UniqueConstraint("experiment_id", "number", name="uq_run_number"),
    )
    op.create_index("ix_run_experiment_created", "run", ["experiment_id", "created_time"])
    op.create_index("ix_run_experiment_start", "run", ["experiment_id", "start_time"])
    op.create_index("ix_run_experiment_status", "run", ["experiment_id", "status"])
    op.create_index("ix_run_workspace_created", "run", ["workspace_id", "created_time"])
    op.create_index("ix_run_workspace_status", "run", ["workspace_id", "status"])
    op.create_index("ix_run_parent", "run", ["parent_run_id"])

    for name, value_nullable in (("run_tag", True), ("run_property", False)):
        op.create_table(
            name,
            sa.Column("run_id", sa.String(255), sa.ForeignKey("run.id", **_cascade),
                      primary_key=True),
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("value", sa.Text, nullable=value_nullable),
        )
        op.create_index(f"ix_{name}_key", name, ["key", "run_id"])

    op.create_table(
        "metric",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(255), sa.ForeignKey("run.id", **_cascade),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_type", sa.SmallInteger),
        sa.Column("last_num", sa.Float),
        sa.Column("last_text", sa.Text),
        sa.Column("last_step", sa.Float),
        sa.UniqueConstraint("run_id", "name", name="uq_metric_name"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_metric_name_last", "metric", ["name", "last_num"])

    op.create_table(
        "metric_point",
        sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade),
                  primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("step", sa.Float),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("vtype", sa.SmallInteger, nullable=False),
        sa.Column("vnum", sa.Float),
        sa.Column("vtext", sa.Text),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "metric_block",
        sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade),
                  primary_key=True),
        sa.Column("block", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("min_num", sa.Float),
        sa.Column("min_seq", sa.Integer),
        sa.Column("max_num", sa.Float),
        sa.Column("max_seq", sa.Integer),
        sa.Column("types", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "artifact",
        sa.Column("run_id", sa.String(255), sa.ForeignKey("run.id", **_cascade),
                  primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
    )

    op.create_table(
        "snapshot",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
    )
    op.create_index("ix_snapshot_workspace_id", "snapshot", ["workspace_id"])

    op.create_table(
        "asset",
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  primary_key=True),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("updated_time", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for name in ("asset", "snapshot", "artifact", "metric_block", "metric_point", "metric",
                 "run_property", "run_tag", "run", "experiment", "workspace"):
        op.drop_table(name)
