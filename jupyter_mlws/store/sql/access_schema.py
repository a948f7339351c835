"""Tables of the key vault, role-based access, audit log and run credentials (created by
migration 0003_access; ``datastore_credential`` by 0004_datastore_secrets). Registered on the
store's one ``schema.metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import String, Text, metadata

_cascade = {"ondelete": "CASCADE"}

# One data key per workspace, stored only wrapped by the master key whose id is beside it.
secret_key = sa.Table(
    "secret_key", metadata,
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              primary_key=True),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
    sa.Column("key_id", String(64), nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("rotated_time", sa.Float),
)

# Every version of every secret; ``value`` is AES-GCM ciphertext (see keyvault/envelope.py).
secret = sa.Table(
    "secret", metadata,
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              primary_key=True),
    sa.Column("name_key", String(127), primary_key=True),  # lower-cased name
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", String(127), nullable=False),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("content_type", String(255), nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("created_by", String(255), nullable=False),
    sa.Column("deleted_time", sa.Float),  # soft-deleted (every version of the name at once)
)

# The credentials of each datastore (one JSON object, replaced as a whole), sealed under the
# workspace's data key like a secret version, with name key ``datastore:<name>`` and ``version``
# (bumped by every put) in the associated data. Apart from ``secret``: never listed, never read
# by the key vault's value-reading rows.
datastore_credential = sa.Table(
    "datastore_credential", metadata,
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade),
              primary_key=True),
    sa.Column("name", String(255), primary_key=True),  # casefolded datastore name
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("updated_time", sa.Float, nullable=False),
)

# Which secret versions a run read: their values are masked in that run's logs and errors.
secret_read = sa.Table(
    "secret_read", metadata,
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), primary_key=True),
    sa.Column("workspace_id", String(36), nullable=False),
    sa.Column("name_key", String(127), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
)

run_token = sa.Table(
    "run_token", metadata,
    sa.Column("token_hash", String(64), primary_key=True),  # SHA-256 of the token
    sa.Column("run_id", String(255), sa.ForeignKey("run.id", **_cascade), nullable=False,
              index=True),
    sa.Column("workspace_id", String(36), nullable=False),
    sa.Column("submitted_by", String(255), nullable=False),
    sa.Column("created_time", sa.Float, nullable=False),
)

role_definition = sa.Table(
    "role_definition", metadata,
    sa.Column("name_key", String(128), primary_key=True),
    sa.Column("body", Text, nullable=False),  # JSON of the parsed RoleDefinitionRecord
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("created_by", String(255), nullable=False),
)

role_assignment = sa.Table(
    "role_assignment", metadata,
    sa.Column("id", String(36), primary_key=True),
    sa.Column("role", String(128), nullable=False),
    sa.Column("principal", String(255), nullable=False),
    sa.Column("principal_type", String(16), nullable=False),
    sa.Column("workspace_id", String(36), sa.ForeignKey("workspace.id", **_cascade)),
    sa.Column("created_time", sa.Float, nullable=False),
    sa.Column("created_by", String(255), nullable=False),
    sa.Index("ix_role_assignment_workspace", "workspace_id"),
)

# Bumped by every change of a role definition or assignment (policy caches compare it).
access_generation = sa.Table(
    "access_generation", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.Integer, nullable=False),
)

# Kept when its workspace is deleted (no foreign key): who did what, when.
audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("actor", String(255), nullable=False),
    sa.Column("action", String(255), nullable=False),
    sa.Column("outcome", String(16), nullable=False),
    sa.Column("workspace_id", String(36)),
    sa.Column("target", Text, nullable=False),
    sa.Index("ix_audit_workspace", "workspace_id", "id"),
    sqlite_autoincrement=True,
)
