"""Files of one workspace through fsspec: run artifacts, logs and snapshot blobs.

Layout under the workspace's ``storage_url`` (names below are relative to it):
``runs/<run_id>/<path>`` an artifact under its own name; ``objects/<run_id>/<id>`` an
artifact's content while it is written (and, on object stores, after an overwrite: see
``sql/artifact_claims.py``); ``snapshots/blobs/<sha256>``. No artifact path can name anything
outside ``runs/<run_id>/``, so the other names never collide with an artifact. Paths handed in
here are already normalized by ``paths.py``. On a local disk every folder created is 0700 and
every file 0600 (``private.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from typing import Any, BinaryIO

from . import private
from .artifact_io import CHUNK, CheckedReader, copy_and_hash, copy_stream


def join_url(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


class WorkspaceFiles:
    """The file system and root folder of one workspace."""

    def __init__(self, storage_url: str) -> None:
        from fsspec.core import url_to_fs  # fsspec on use (cold start)

        self.fs, self.root = url_to_fs(storage_url)
        self.is_local = "file" in _protocols(self.fs)

    # ---- names (relative to the root) and paths
    def full(self, name: str) -> str:
        return join_url(self.root, name)

    @staticmethod
    def artifact_name(run_id: str, path: str) -> str:
        return f"runs/{run_id}/{path}"

    @staticmethod
    def new_object_name(run_id: str) -> str:
        return f"objects/{run_id}/{uuid.uuid4().hex}"

    def run_dir(self, run_id: str) -> str:
        return join_url(self.root, "runs", run_id)

    def run_file(self, run_id: str, path: str) -> str:
        return join_url(self.root, "runs", run_id, path)

    def blob(self, sha256: str) -> str:
        return join_url(self.root, "snapshots", "blobs", sha256)

    # ---- primitives
    def _open_write(self, path: str, mode: str = "wb") -> Any:
        if self.is_local:
            private.make_dirs(os.path.dirname(path))
            return open(path, mode, opener=private.opener)
        return self.fs.open(path, mode)

    def create_empty(self, name: str) -> None:
        """Create a new empty file (local disks; raises FileExistsError if it exists)."""
        self._open_write(self.full(name), "xb").close()

    def write(self, name: str, source: str | BinaryIO) -> tuple[int, str | None]:
        """Copy a local file path or a binary stream into ``name`` in chunks; returns the
        size and the SHA-256 when it was computed on the way (see ``copy_and_hash``).
        On a local disk ``name`` is the empty file made by :meth:`create_empty`."""
        # Not "wb" there: on ext4 truncating a file (even an empty one) makes closing it
        # start the write-back of everything written, which costs a fifth of the speed.
        out = self._open_write(self.full(name), "r+b" if self.is_local else "wb")
        try:
            if isinstance(source, str):
                with open(source, "rb") as src:
                    result = copy_and_hash(src, out)
            else:
                result = copy_and_hash(source, out)
        except BaseException:
            _abandon(out)
            raise
        out.close()
        return result

    def publish(self, name: str, target: str) -> None:
        """Rename ``name`` onto ``target`` in one step (local disks): readers of ``target``
        see its old file or the new one, never a part of either."""
        path = self.full(target)
        private.make_dirs(os.path.dirname(path))
        os.replace(self.full(name), path)

    def open(self, path: str) -> BinaryIO:
        return self.fs.open(path, "rb")

    def open_checked(self, name: str, what: str, *, size: int, sha256: str | None,
                     appended: bool) -> CheckedReader:
        """``name`` opened for reading through the checks of :class:`CheckedReader`.
        FileNotFoundError when it is missing."""
        path = self.full(name)
        if self.is_local:
            raw: Any = open(path, "rb")  # noqa: SIM115 (the reader closes it)
            actual = os.fstat(raw.fileno()).st_size
        else:
            raw = self.fs.open(path, "rb")
            known = getattr(raw, "size", None)
            actual = known if isinstance(known, int) else int(self.fs.size(path))
        return CheckedReader(raw, what, size=size, actual=actual, sha256=sha256,
                             appended=appended)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def has(self, name: str) -> bool:
        return self.exists(self.full(name))

    def size(self, path: str) -> int:
        return int(self.fs.size(path))

    def append(self, name: str, data: bytes) -> int:
        """Append bytes to ``name``; returns the new size."""
        path = self.full(name)
        if self.is_local:
            with self._open_write(path, "ab") as out:
                out.write(data)
                out.flush()
                return os.fstat(out.fileno()).st_size
        try:
            with self.fs.open(path, "ab") as out:
                out.write(data)
        except (NotImplementedError, ValueError):
            # Object stores (S3, GCS) cannot append: read and rewrite. Acceptable for logs,
            # which stay small compared to model outputs.
            old = self.fs.cat_file(path) if self.fs.exists(path) else b""
            with self.fs.open(path, "wb") as out:
                out.write(old + data)
        return self.size(path)

    def remove_file(self, name: str) -> None:
        """Remove one file; a missing one is fine, and a folder is never removed."""
        path = self.full(name)
        if self.is_local:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                os.unlink(path)  # refuses folders
            return
        with contextlib.suppress(FileNotFoundError):
            if self.fs.isfile(path):
                self.fs.rm_file(path)

    def remove(self, path: str) -> None:
        """Remove a whole tree: only for what is deleted as a whole (a run, a workspace)."""
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def remove_run(self, run_id: str) -> None:
        self.remove(self.run_dir(run_id))
        self.remove(join_url(self.root, "objects", run_id))

    def remove_all(self) -> None:
        self.remove(self.root)

    # ---- snapshots
    def blob_size(self, sha256: str) -> int | None:
        """The stored size of a blob, or None when the workspace does not hold it."""
        try:
            return int(self.fs.size(self.blob(sha256)))
        except FileNotFoundError:
            return None

    def put_blob_stream(self, source: BinaryIO, expected_sha256: str | None = None
                        ) -> tuple[str, int]:
        """Store a stream once by content, hashing while copying; returns (sha256, size).

        Written aside then moved, so a concurrent reader never sees a half-written blob; with
        ``expected_sha256`` a stream that hashes otherwise raises ValueError and leaves nothing.
        """
        dest_dir = join_url(self.root, "snapshots", "blobs")
        tmp = join_url(dest_dir, f".{uuid.uuid4().hex}.tmp")
        digest = hashlib.sha256()
        size = 0
        try:
            with self._open_write(tmp) as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256:
                raise ValueError(f"content hashes to {sha}, not {expected_sha256}")
            dest = self.blob(sha)
            if self.fs.exists(dest):
                self.fs.rm(tmp)
            else:
                self.fs.mv(tmp, dest)
        except BaseException:
            self._remove_quietly(tmp)
            raise
        return sha, size

    def _remove_quietly(self, path: str) -> None:
        try:
            if self.fs.exists(path):
                self.fs.rm(path)
        except OSError:
            pass  # the original error matters more than a leftover temporary file


def _abandon(out: Any) -> None:
    """Give up a file being written after an error: publish nothing where the back end allows
    it (s3fs aborts the multipart upload) and leave it closed."""
    from fsspec.spec import AbstractBufferedFile  # fsspec on use (cold start)

    with contextlib.suppress(Exception):
        discard = getattr(out, "discard", None)
        if discard is not None:
            discard()
    if isinstance(out, AbstractBufferedFile):
        out.closed = True  # closing would flush (commit) the discarded buffer
        return
    with contextlib.suppress(Exception):  # the write's own error is the one to report
        out.close()


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


__all__ = ["CHUNK", "WorkspaceFiles", "copy_stream", "join_url"]
