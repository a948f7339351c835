"""Run artifacts, logs and content-addressed snapshots of the SQL store.

Writes claim the artifact's name first and never remove what they did not create; reads check
the stored file against what was recorded (see ``artifact_claims.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import (
    ArtifactRecord,
    ConflictError,
    CorruptArtifactError,
    InvalidInputError,
    NotFoundError,
    SnapshotRecord,
    StoreError,
)
from ..paths import normalize_artifact_path, normalize_prefix
from ..snapshots import check_manifest, check_sha256
from . import schema as t
from .artifact_claims import (
    PENDING_SIZE,
    ArtifactClaimMixin,
    being_written,
    content_type_of,
    is_claimed,
    owner_is_dead,
    shape_conflict,
    under,
)
from .common import dumps, loads, now

_ATTEMPTS = 4
# Appending to a log: a write that claimed the row meanwhile keeps it (the WHERE).
_RECORD_APPEND = (
    "INSERT INTO artifact (run_id, path, size, content_type, created_time, appended) "
    "VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, TRUE) ON CONFLICT (run_id, path) DO UPDATE SET "
    "size = excluded.size, content_type = excluded.content_type, appended = TRUE, "
    "sha256 = NULL WHERE artifact.owner IS NULL AND artifact.size <> -1")


def _artifact_record(row: sa.Row) -> ArtifactRecord:
    return ArtifactRecord(run_id=row.run_id, path=row.path, size=row.size,
                          content_type=row.content_type, created_time=row.created_time)


def _in_the_way(run_id: str, path: str, exc: OSError) -> ConflictError:
    """A file system's refusal, as the conflict it is (nothing recorded stands there)."""
    what = ("a folder that is no artifact is in the way" if isinstance(exc, IsADirectoryError)
            else "a file that is no artifact stands where one of its folders must go")
    return ConflictError(f"Cannot write artifact {path!r} of run {run_id}: {what}")


_SHAPE_ERRORS = (IsADirectoryError, NotADirectoryError, FileExistsError)


class ArtifactMixin(ArtifactClaimMixin):
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        path = normalize_artifact_path(path)
        if isinstance(source, str) and not _is_file(source):
            raise InvalidInputError(f"Artifact source {source!r} is not a file")
        source = self.refuse_secret_content(run_id, path, source)  # type: ignore[attr-defined]
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        claim = self.claim_artifact(files, run_id, path, overwrite)
        try:
            size, sha256 = files.write(claim.part, source)
            if files.is_local:
                files.publish(claim.part, files.artifact_name(run_id, path))
        except BaseException as exc:
            self.release_claim(files, claim)
            if isinstance(exc, _SHAPE_ERRORS):
                raise _in_the_way(run_id, path, exc) from exc
            raise
        self.finish_claim(files, claim, size, sha256)
        return self._artifact(run_id, path)

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

        def read(conn: Connection) -> list[Any]:
            if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)).first() is None:
                raise NotFoundError(f"Run {run_id} not found")
            q = sa.select(t.artifact).where(a.run_id == run_id).order_by(a.path)
            if clean is not None:
                q = q.where(under(a.path, clean))
            return list(conn.execute(q))

        rows = self.db.read(read)
        dead = self.dead_claims(rows)
        if dead:
            files = self.db.read(lambda c: self.files_of_run(c, run_id))
            for path, owner in dead:
                self.reclaim(files, run_id, path, owner)
            rows = self.db.read(read)
        return [_artifact_record(r) for r in rows if r.size != PENDING_SIZE]

    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        path = normalize_artifact_path(path)
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        what = f"Artifact {path!r} of run {run_id}"
        tried: Any = None
        error: StoreError = NotFoundError(f"Artifact {path!r} not found in run {run_id}")
        for _ in range(_ATTEMPTS):
            row = self.db.read(lambda c: self.artifact_row(c, run_id, path))
            if row is not None and row == tried:
                break  # nothing changed since the last try: its error stands
            if row is not None and is_claimed(row) and owner_is_dead(row.owner):
                self.reclaim(files, run_id, path, row.owner)
                continue
            if row is None or row.size == PENDING_SIZE:
                raise NotFoundError(f"Artifact {path!r} not found in run {run_id}")
            name = row.stored_name or files.artifact_name(run_id, path)
            try:
                return files.open_checked(name, what, size=row.size, sha256=row.sha256,
                                          appended=bool(row.appended))
            except FileNotFoundError:
                # Also what a reader sees when an overwrite switched the row meanwhile.
                error = NotFoundError(f"File of artifact {path!r} of run {run_id} is missing")
            except CorruptArtifactError as exc:
                error = exc
            tried = row
        raise error

    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        path = normalize_artifact_path(path)
        # The one place run logs are written: values of secrets the run read become ***.
        data = self.run_masker(run_id).bytes(bytes(data))  # type: ignore[attr-defined]
        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        for _ in range(_ATTEMPTS):
            rows = self.db.read(lambda c: self.rows_in_the_way(c, run_id, path))
            held = next((r for r in rows if r is not None and is_claimed(r)), None)
            if held is None:
                break
            if not owner_is_dead(held.owner):
                raise being_written(run_id, held.path, held.owner)
            self.reclaim(files, run_id, held.path, held.owner)
        else:
            raise being_written(run_id, path, None)
        exact, ancestor, inside = rows
        error = shape_conflict(run_id, path, ancestor, inside)
        if error is not None:
            raise error
        name = (exact.stored_name if exact is not None else None) or files.artifact_name(
            run_id, path)
        try:
            size = files.append(name, bytes(data))
        except _SHAPE_ERRORS as exc:
            raise _in_the_way(run_id, path, exc) from exc
        sql = _RECORD_APPEND.format(ph=self.db.ph)
        recorded = self.db.write(lambda c: c.exec_driver_sql(
            sql, (run_id, path, size, content_type_of(path), now())).rowcount)
        if not recorded:
            raise ConflictError(f"Artifact {path!r} of run {run_id} began to be written by "
                                "another process while this log was appended to")
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
