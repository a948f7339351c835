"""Snapshots over the Store's blob primitives, and the checks every store shares.

:func:`create_snapshot` is the one implementation of ``Store.create_snapshot`` for every back
end: it reads each file exactly once, hashing it while copying it into a spool (memory for
small files, a temporary file beyond ``SPOOL_MEMORY_BYTES``) and, when asked, into a working
copy; the blob key is the hash of the bytes actually read. Then it asks the store which blobs it
lacks (:meth:`Store.missing_snapshot_blobs`, one call per batch), uploads those from the spools
(:meth:`Store.put_snapshot_blob`) and records the manifest
(:meth:`Store.create_snapshot_from_manifest`). A file that grows or is rewritten while it is
read is captured as it was read, never rejected for hashing otherwise on a second read; a file
that disappears before it is read is left out.

A blob's name is its lowercase hex SHA-256 and becomes a file name under
``snapshots/blobs/``, so it is checked as strictly as an artifact path.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from .base import InvalidInputError
from .paths import normalize_artifact_path

if TYPE_CHECKING:
    from .base import SnapshotRecord, Store

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
# A file up to this size is spooled in memory; a larger one in a temporary file.
SPOOL_MEMORY_BYTES = 8 << 20
# Spooled bytes held before the store is asked which blobs it lacks (bounds the memory and
# temporary disk a large snapshot needs; a typical source folder is one batch, one call).
BATCH_BYTES = 64 << 20


def check_sha256(value: Any) -> str:
    """``value`` if it is a lowercase hex SHA-256, else InvalidInputError."""
    if not isinstance(value, str) or not SHA256_RE.match(value):
        shown = repr(value)[:80]
        raise InvalidInputError(f"A blob is named by its lowercase hex SHA-256, not {shown}")
    return value


def check_manifest(files: Any) -> dict[str, tuple[str, int | None]]:
    """``{path: {"sha256", "size"}}`` -> ``{normalized path: (sha256, size or None)}``."""
    if not isinstance(files, dict):
        raise InvalidInputError("A snapshot manifest maps paths to {sha256, size}")
    entries: dict[str, tuple[str, int | None]] = {}
    for rel, entry in files.items():
        path = normalize_artifact_path(rel)
        if not isinstance(entry, dict):
            raise InvalidInputError(f"Snapshot file {path!r} must map to {{sha256, size}}")
        size = entry.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                 or size < 0):
            raise InvalidInputError(f"Snapshot file {path!r}: size must be a whole number")
        entries[path] = (check_sha256(entry.get("sha256")), size)
    return entries


class _Captured:
    """One file as it was read: its hash, size and the spooled bytes."""

    __slots__ = ("sha256", "size", "spool")

    def __init__(self, sha256: str, size: int, spool: BinaryIO) -> None:
        self.sha256, self.size, self.spool = sha256, size, spool


def _capture(source: str, copy_to: str | None) -> _Captured:
    """Read ``source`` once: hash it, spool it and (optionally) write it to ``copy_to``."""
    digest, size = hashlib.sha256(), 0
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
    try:
        with open(source, "rb") as src:
            out = None
            if copy_to is not None:
                os.makedirs(os.path.dirname(copy_to), exist_ok=True)
                out = open(copy_to, "wb")  # noqa: SIM115 - closed below
            try:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    spool.write(chunk)
                    if out is not None:
                        out.write(chunk)
                    size += len(chunk)
            finally:
                if out is not None:
                    out.close()
            if copy_to is not None:
                # The working copy keeps the source's mode (scripts may be executable).
                os.chmod(copy_to, os.stat(src.fileno()).st_mode & 0o777)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _Captured(digest.hexdigest(), size, spool)  # type: ignore[arg-type]


def _store_missing(store: Store, workspace_id: str, batch: list[_Captured]) -> None:
    """Upload the blobs of ``batch`` the store lacks, then release the spools."""
    try:
        if not batch:
            return
        by_sha = {c.sha256: c for c in batch}
        for sha in store.missing_snapshot_blobs(workspace_id, list(by_sha)):
            captured = by_sha[sha]
            captured.spool.seek(0)
            store.put_snapshot_blob(workspace_id, sha, captured.spool)
    finally:
        for captured in batch:
            captured.spool.close()
        batch.clear()


def create_snapshot(store: Store, workspace_id: str, files: Mapping[str, str], *,
                    copy_to: str | None = None) -> SnapshotRecord:
    """Store ``files`` (relative path -> local file) as a snapshot of the workspace.

    With ``copy_to``, each file is also written below that folder from the same read, so a
    working copy holds exactly the snapshot's bytes. InvalidInputError for a bad relative path
    or a source that is not a file when called.
    """
    clean: dict[str, str] = {}
    for rel, source in files.items():
        clean[normalize_artifact_path(rel)] = os.fspath(source)
    for source in clean.values():
        if not os.path.isfile(source):
            raise InvalidInputError(f"Snapshot source {source!r} is not a file")
    manifest: dict[str, dict[str, Any]] = {}
    batch: list[_Captured] = []
    pending = 0
    try:
        for rel, source in sorted(clean.items()):
            target = None if copy_to is None else os.path.join(copy_to, *rel.split("/"))
            try:
                captured = _capture(source, target)
            except FileNotFoundError:
                continue  # removed since it was listed: the folder as it is now
            manifest[rel] = {"sha256": captured.sha256, "size": captured.size}
            batch.append(captured)
            pending += captured.size
            if pending >= BATCH_BYTES:
                _store_missing(store, workspace_id, batch)
                pending = 0
        _store_missing(store, workspace_id, batch)
    finally:
        for captured in batch:
            captured.spool.close()
    return store.create_snapshot_from_manifest(workspace_id, manifest)


__all__ = ["SHA256_RE", "check_manifest", "check_sha256", "create_snapshot"]
