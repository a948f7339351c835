"""Files of one workspace through fsspec: run artifacts, logs and snapshot blobs.

Layout under the workspace's ``storage_url``: ``runs/<run_id>/<path>`` and
``snapshots/blobs/<sha256>``. Paths handed in here are already normalized by ``paths.py``.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from typing import Any, BinaryIO

CHUNK = 1 << 20


def join_url(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


class WorkspaceFiles:
    """The file system and root folder of one workspace."""

    def __init__(self, storage_url: str) -> None:
        from fsspec.core import url_to_fs

        self.fs, self.root = url_to_fs(storage_url)
        self.is_local = "file" in _protocols(self.fs)

    # ---- paths
    def run_dir(self, run_id: str) -> str:
        return join_url(self.root, "runs", run_id)

    def run_file(self, run_id: str, path: str) -> str:
        return join_url(self.root, "runs", run_id, path)

    def blob(self, sha256: str) -> str:
        return join_url(self.root, "snapshots", "blobs", sha256)

    # ---- primitives
    def _parent(self, path: str) -> None:
        if self.is_local:
            self.fs.makedirs(self.fs._parent(path), exist_ok=True)

    def write_stream(self, dest: str, source: str | BinaryIO) -> int:
        """Copy a local file path or a binary stream to ``dest`` in chunks; returns the size."""
        self._parent(dest)
        if isinstance(source, str):
            with open(source, "rb") as src, self.fs.open(dest, "wb") as out:
                return copy_stream(src, out)
        with self.fs.open(dest, "wb") as out:
            return copy_stream(source, out)

    def open(self, path: str) -> BinaryIO:
        return self.fs.open(path, "rb")

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def size(self, path: str) -> int:
        return int(self.fs.size(path))

    def append(self, path: str, data: bytes) -> int:
        """Append bytes; returns the new size."""
        self._parent(path)
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

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def remove_run(self, run_id: str) -> None:
        self.remove(self.run_dir(run_id))

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
        self._parent(tmp)
        digest = hashlib.sha256()
        size = 0
        try:
            with self.fs.open(tmp, "wb") as out:
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


def _real_fd(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def copy_stream(src: Any, out: Any) -> int:
    """Copy ``src`` to ``out`` from their current positions; returns the bytes copied.

    Between two real files (local artifacts) the kernel copies them (``os.sendfile``), which
    is as fast as a plain file copy; anything else (object stores, HTTP bodies, memory) streams
    through Python in CHUNK-sized pieces, never whole.
    """
    in_fd, out_fd = _real_fd(src), _real_fd(out)
    size = 0
    if in_fd is not None and out_fd is not None and hasattr(os, "sendfile"):
        out.flush()
        try:
            while True:
                sent = os.sendfile(out_fd, in_fd, None, 1 << 30)
                if not sent:
                    return size
                size += sent
        except OSError:
            pass  # e.g. a file system without sendfile: the file offsets moved with what was
            # sent, so finishing the copy in Python below continues at the right place
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return size
        out.write(chunk)
        size += len(chunk)


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


__all__ = ["CHUNK", "WorkspaceFiles", "copy_stream", "join_url"]
