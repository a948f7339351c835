"""Datastore credentials, kept apart from the datastore records (asset rows).

Revision ID: 0002b_data
Revises: 0002 (main had 0002 -> 0002a_artifacts -> 0001 when this branch merged it)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002b_data"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datastore_secret",
        sa.Column("workspace_id", sa.String(36),
                  sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("updated_time", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("datastore_secret")
