"""Key vault, role-based access, audit log, run credentials.

Revision ID: 0003_access
Revises: 0002b_data (datastores: the head on main when this was merged)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_access"
down_revision = "0002b_data"
branch_labels = None
depends_on = None

_cascade = {"ondelete": "CASCADE"}
_TABLES = ("audit", "access_generation", "role_assignment", "role_definition", "run_token",
           "secret_read", "secret", "secret_key")


def upgrade() -> None:
    op.create_table(
        "secret_key",
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  primary_key=True),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("rotated_time", sa.Float),
    )
    op.create_table(
        "secret",
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade),
                  primary_key=True),
        sa.Column("name_key", sa.String(127), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(127), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("deleted_time", sa.Float),
    )
    op.create_table(
        "secret_read",
        sa.Column("run_id", sa.String(255), sa.ForeignKey("run.id", **_cascade),
                  primary_key=True),
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("name_key", sa.String(127), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "run_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(255), sa.ForeignKey("run.id", **_cascade),
                  nullable=False),
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("submitted_by", sa.String(255), nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
    )
    op.create_index("ix_run_token_run_id", "run_token", ["run_id"])
    op.create_table(
        "role_definition",
        sa.Column("name_key", sa.String(128), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
    )
    op.create_table(
        "role_assignment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("role", sa.String(128), nullable=False),
        sa.Column("principal", sa.String(255), nullable=False),
        sa.Column("principal_type", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(36), sa.ForeignKey("workspace.id", **_cascade)),
        sa.Column("created_time", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
    )
    op.create_index("ix_role_assignment_workspace", "role_assignment", ["workspace_id"])
    op.create_table(
        "access_generation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(36)),
        sa.Column("target", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_workspace", "audit", ["workspace_id", "id"])


def downgrade() -> None:
    for name in _TABLES:
        op.drop_table(name)
