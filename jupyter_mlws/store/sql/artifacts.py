"""Run artifacts, logs and content-addressed snapshots of the SQL store."""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import Sequence
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import (
    ArtifactRecord,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SnapshotRecord,
)
from ..files import WorkspaceFiles
from ..paths import normalize_artifact_path, normalize_prefix
from ..snapshots import check_manifest, check_sha256
from . import schema as t
from .common import SqlBase, dumps, loads, now

_TEXT_SUFFIXES = (".log", ".txt", ".out", ".err")
# The size of a row reserved by an upload still being written: such a row claims the path
# (a second upload conflicts) but is no artifact yet, so listings and reads skip it.
PENDING_SIZE = -1


def content_type_of(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0]
    if guessed:
        return guessed
    return "text/plain" if path.endswith(_TEXT_SUFFIXES) else "application/octet-stream"


def _artifact_record(row: sa.Row) -> ArtifactRecord:
    return ArtifactRecord(run_id=row.run_id, path=row.path, size=row.size,
                          content_type=row.content_type, created_time=row.created_time)


class ArtifactMixin(SqlBase):
    def _upsert_artifact(self, conn: Connection, run_id: str, path: str, size: int) -> None:
        ph = self.db.ph
        conn.exec_driver_sql(
            "INSERT INTO artifact (run_id, path, size, content_type, created_time) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (run_id, path) "
            "DO UPDATE SET size = excluded.size, content_type = excluded.content_type",
            (run_id, path, size, content_type_of(path), now()))

    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        path = normalize_artifact_path(path)
        if isinstance(source, str) and not _is_file(source):
            raise InvalidInputError(f"Artifact source {source!r} is not a file")
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        dest = files.run_file(run_id, path)
        a = t.artifact.c
        if not overwrite:
            # Reserve the path first, so two uploads of one path cannot both win.
            def reserve(conn: Connection) -> None:
                conn.execute(t.artifact.insert().values(
                    run_id=run_id, path=path, size=PENDING_SIZE,
                    content_type=content_type_of(path), created_time=now()))

            try:
                self.db.write(reserve)
            except sa.exc.IntegrityError as exc:
                raise ConflictError(f"Artifact {path!r} already exists in run {run_id}") from exc
            try:
                size = files.write_stream(dest, source)
            except BaseException:
                self._drop_failed_upload(files, run_id, path, dest)
                raise
            self.db.write(lambda c: c.execute(t.artifact.update().where(
                a.run_id == run_id, a.path == path).values(size=size)))
        else:
            try:
                size = files.write_stream(dest, source)
            except BaseException:
                # The old content was truncated when the write began: keep neither half.
                self._drop_failed_upload(files, run_id, path, dest)
                raise
            self.db.write(lambda c: self._upsert_artifact(c, run_id, path, size))
        return self._artifact(run_id, path)

    def _drop_failed_upload(self, files: WorkspaceFiles, run_id: str, path: str,
                            dest: str) -> None:
        """Remove what a failed upload left: the partly written file and its row."""
        a = t.artifact.c
        try:
            files.remove(dest)
        finally:
            self.db.write(lambda c: c.execute(t.artifact.delete().where(
                a.run_id == run_id, a.path == path)))

    def _artifact(self, run_id: str, path: str) -> ArtifactRecord:
        a = t.artifact.c
        row = self.db.read(lambda c: c.execute(sa.select(t.artifact).where(
            a.run_id == run_id, a.path == path, a.size != PENDING_SIZE)).first())
        if row is None:
            raise NotFoundError(f"Artifact {path!r} not found in run {run_id}")
        return _artifact_record(row)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        clean = normalize_prefix(prefix)
        a = t.artifact.c

        def read(conn: Connection) -> list[ArtifactRecord]:
            if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)).first() is None:
                raise NotFoundError(f"Run {run_id} not found")
            q = (sa.select(t.artifact).where(a.run_id == run_id, a.size != PENDING_SIZE)
                 .order_by(a.path))
            if clean is not None:
                q = q.where(a.path.startswith(clean, autoescape=True))
            return [_artifact_record(r) for r in conn.execute(q)]

        return self.db.read(read)

    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        path = normalize_artifact_path(path)
        self._artifact(run_id, path)
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        try:
            return files.open(files.run_file(run_id, path))
        except FileNotFoundError as exc:
            raise NotFoundError(f"File of artifact {path!r} of run {run_id} is missing") from exc

    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        path = normalize_artifact_path(path)
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        size = files.append(files.run_file(run_id, path), bytes(data))
        self.db.write(lambda c: self._upsert_artifact(c, run_id, path, size))
        return size

    # ---- snapshots: blobs by content under snapshots/blobs/<sha256>, manifest in SQL
    def missing_snapshot_blobs(self, workspace_id: str, sha256s: Sequence[str]) -> list[str]:
        wanted = [check_sha256(sha) for sha in dict.fromkeys(sha256s)]
        wfiles = self.db.read(lambda c: self.files_of_workspace(c, workspace_id))
        return [sha for sha in wanted if not wfiles.exists(wfiles.blob(sha))]

    def put_snapshot_blob(self, workspace_id: str, sha256: str, stream: BinaryIO) -> None:
        check_sha256(sha256)
        wfiles = self.db.read(lambda c: self.files_of_workspace(c, workspace_id))
        try:
            wfiles.put_blob_stream(stream, expected_sha256=sha256)
        except ValueError as exc:
            raise InvalidInputError(f"Blob {sha256} rejected: {exc}") from exc

    def create_snapshot_from_manifest(self, workspace_id: str,
                                      files: dict[str, dict[str, Any]]) -> SnapshotRecord:
        entries = check_manifest(files)
        wfiles = self.db.read(lambda c: self.files_of_workspace(c, workspace_id))
        manifest: dict[str, dict[str, Any]] = {}
        missing: set[str] = set()
        sizes: dict[str, int | None] = {}
        for rel, (sha, size) in sorted(entries.items()):
            if sha not in sizes:
                sizes[sha] = wfiles.blob_size(sha)
            stored = sizes[sha]
            if stored is None:
                missing.add(sha)
                continue
            if size is not None and size != stored:
                raise InvalidInputError(
                    f"Snapshot file {rel!r}: blob {sha} holds {stored} bytes, not {size}")
            manifest[rel] = {"sha256": sha, "size": stored}
        if missing:
            raise InvalidInputError(
                f"Snapshot blobs not uploaded: {', '.join(sorted(missing))}")
        rec = SnapshotRecord(id=str(uuid.uuid4()), workspace_id=workspace_id, files=manifest,
                             created_time=now())

        def insert(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            conn.execute(t.snapshot.insert().values(
                id=rec.id, workspace_id=workspace_id, manifest=dumps(manifest),
                created_time=rec.created_time))

        self.db.write(insert)
        return rec

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord:
        row = self.db.read(lambda c: c.execute(
            sa.select(t.snapshot).where(t.snapshot.c.id == snapshot_id)).first())
        if row is None:
            raise NotFoundError(f"Snapshot {snapshot_id} not found")
        return SnapshotRecord(id=row.id, workspace_id=row.workspace_id,
                              files=loads(row.manifest, {}), created_time=row.created_time)

    def open_snapshot_file(self, snapshot_id: str, path: str) -> BinaryIO:
        path = normalize_artifact_path(path)
        snap = self.get_snapshot(snapshot_id)
        entry = snap.files.get(path)
        if entry is None:
            raise NotFoundError(f"File {path!r} not found in snapshot {snapshot_id}")
        files = self.db.read(lambda c: self.files_of_workspace(c, snap.workspace_id))
        return files.open(files.blob(str(entry["sha256"])))


def _is_file(path: str) -> bool:
    return os.path.isfile(path)
