"""The file part of the store interface: run artifacts, logs and content-addressed snapshots.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`ArtifactApi`; the SQL store implements it
in ``sql/artifacts.py``, the HTTP store in ``http/artifacts.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from .records import ArtifactRecord, LogChunk, SnapshotRecord

if TYPE_CHECKING:
    pass


class ArtifactApi(abc.ABC):
    """Files of runs and snapshots of source folders."""

    # ---- files (artifacts of a run; paths are relative, '/'-separated, confined to the run)
    @abc.abstractmethod
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        """``source`` is a local file path or a binary stream. ConflictError if the artifact
        exists and not ``overwrite``."""

    @abc.abstractmethod
    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]: ...

    @abc.abstractmethod
    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        """A readable binary stream; the caller closes it."""

    @abc.abstractmethod
    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        """Append to a text log artifact (created if missing); returns the new size."""

    def tail_log(self, run_id: str, path: str, offset: int = 0,
                 max_bytes: int | None = None) -> LogChunk:
        """Text of a log from byte ``offset`` (see ``store/logs.py``, the one tailer)."""
        from .logs import LOG_READ_DEFAULT, read_log_chunk  # cycle: logs imports base

        with self.open_artifact(run_id, path) as stream:
            return read_log_chunk(stream, offset, max_bytes or LOG_READ_DEFAULT)

    # ---- snapshots (stored deduplicated by content)
    def create_snapshot(self, workspace_id: str, files: dict[str, str]) -> SnapshotRecord:
        """``files`` maps relative path -> local file path. Each file is read once (a file
        changing meanwhile is stored as read); only the blobs the workspace lacks are stored
        (:meth:`missing_snapshot_blobs`, :meth:`put_snapshot_blob`), then the manifest
        (:meth:`create_snapshot_from_manifest`). One composite for every back end:
        :func:`jupyter_mlws.store.snapshots.create_snapshot`."""
        from .snapshots import create_snapshot  # cycle: snapshots imports base

        return create_snapshot(self, workspace_id, files)

    @abc.abstractmethod
    def missing_snapshot_blobs(self, workspace_id: str, sha256s: Sequence[str]) -> list[str]:
        """The hashes (lowercase hex SHA-256, in the given order, without duplicates) whose
        blob the workspace does not hold yet. InvalidInputError on a malformed hash."""

    @abc.abstractmethod
    def put_snapshot_blob(self, workspace_id: str, sha256: str, stream: BinaryIO) -> None:
        """Store one blob read from ``stream`` in chunks, verifying while streaming that the
        content hashes to ``sha256``; on a mismatch InvalidInputError and nothing is kept."""

    @abc.abstractmethod
    def create_snapshot_from_manifest(self, workspace_id: str,
                                      files: dict[str, dict[str, Any]]) -> SnapshotRecord:
        """A snapshot of blobs already stored: ``files`` maps relative path ->
        ``{"sha256": ..., "size": ...}``. Every blob must exist (else InvalidInputError naming
        the missing ones) and have the given size."""

    @abc.abstractmethod
    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord: ...

    @abc.abstractmethod
    def open_snapshot_file(self, snapshot_id: str, path: str) -> BinaryIO: ...
