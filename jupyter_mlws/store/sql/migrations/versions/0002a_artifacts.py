"""Artifacts: content hash, appended logs, claims of writes in progress, stored names.

Revision ID: 0002a_artifacts
Revises: 0001

Revision 0002 (metric chunks), written at the same time on 0001, follows this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002a_artifacts"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = ("sha256", "appended", "owner", "pending", "stored_name")


def upgrade() -> None:
    op.add_column("artifact", sa.Column("sha256", sa.String(64)))
    op.add_column("artifact", sa.Column("appended", sa.Boolean, nullable=False,
                                        server_default=sa.false()))
    op.add_column("artifact", sa.Column("owner", sa.String(255)))
    op.add_column("artifact", sa.Column("pending", sa.Text))
    op.add_column("artifact", sa.Column("stored_name", sa.Text))
    # How older rows were written is unknown (logs were appended to and recorded with the
    # size one writer saw): reads check only that nothing was cut off.
    op.execute(sa.text("UPDATE artifact SET appended = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("artifact") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
