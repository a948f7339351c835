"""Moving an artifact's bytes: copies (in the kernel between real files), hashing while
writing, and reads checked against what was recorded when the file was written."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

from .base import CorruptArtifactError

CHUNK = 1 << 20


def _real_fd(stream: Any) -> int | None:
    if isinstance(stream, CheckedReader):
        return None  # its bytes must pass through its checks
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _sendfile(in_fd: int, out: Any, out_fd: int) -> tuple[int, bool]:
    """Copy in the kernel from ``in_fd``'s offset; (bytes sent, whether it reached the end)."""
    out.flush()
    size = 0
    try:
        while True:
            sent = os.sendfile(out_fd, in_fd, None, 1 << 30)
            if not sent:
                return size, True
            size += sent
    except OSError:
        # e.g. a file system without sendfile: the file offsets moved with what was sent, so
        # a copy in Python continues at the right place
        return size, False


def _copy_chunks(src: Any, out: Any, digest: Any = None) -> int:
    size = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return size
        if digest is not None:
            digest.update(chunk)
        out.write(chunk)
        size += len(chunk)


def copy_stream(src: Any, out: Any) -> int:
    """Copy ``src`` to ``out`` from their current positions; returns the bytes copied.

    Between two real files (local artifacts) the kernel copies them (``os.sendfile``), which
    is as fast as a plain file copy; anything else (object stores, HTTP bodies, memory) streams
    through Python in CHUNK-sized pieces, never whole.
    """
    if isinstance(src, CheckedReader):
        return src.copy_to(out)
    in_fd, out_fd = _real_fd(src), _real_fd(out)
    size = 0
    if in_fd is not None and out_fd is not None and hasattr(os, "sendfile"):
        size, done = _sendfile(in_fd, out, out_fd)
        if done:
            return size
    return size + _copy_chunks(src, out)


def copy_and_hash(src: Any, out: Any) -> tuple[int, str | None]:
    """Like :func:`copy_stream`, plus the SHA-256 of what was copied when the bytes pass
    through Python anyway (streams, object stores). A copy in the kernel between real files
    is left there (hashing would read every byte into Python and cost a third of the speed):
    it returns no hash, and reads of such a file check its size only."""
    in_fd, out_fd = _real_fd(src), _real_fd(out)
    if in_fd is not None and out_fd is not None and hasattr(os, "sendfile"):
        size, done = _sendfile(in_fd, out, out_fd)
        if done:
            return size, None
        return size + _copy_chunks(src, out), None
    digest = hashlib.sha256()
    return _copy_chunks(src, out, digest), digest.hexdigest()


class CheckedReader(io.RawIOBase):
    """A stored artifact read back, checked against what was recorded when it was written.

    The size is checked on opening (a file cut short, or an upload's file of another size, is
    refused before a byte is read). With a recorded SHA-256, reading from the start hashes as
    it goes and the read that reaches the end raises instead of returning the last bytes when
    the content differs, so a consumer never holds the whole of a damaged file. A part read
    after a seek can only be size-checked. ``appended`` files (logs) may have grown since their
    size was recorded; only a shorter file is damaged.
    """

    def __init__(self, raw: Any, what: str, *, size: int, actual: int,
                 sha256: str | None = None, appended: bool = False) -> None:
        super().__init__()
        self._raw = raw
        self._what = what
        self._size = size
        if actual < size or (actual != size and not appended):
            raw.close()
            raise CorruptArtifactError(
                f"{what} is damaged: its stored file holds {actual} bytes but {size} were "
                "written; upload it again (overwrite=True)")
        self._end = actual if appended else size
        self._appended = appended
        self._sha256 = None if appended else sha256
        self._digest = hashlib.sha256() if self._sha256 else None
        self._pos = 0

    # ---- io plumbing
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._raw.seek(offset, whence)
        # Only a read from the very start can be checked against the hash.
        self._digest = hashlib.sha256() if self._sha256 and self._pos == 0 else None
        return self._pos

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a checked artifact stream is read through its checks")

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()

    # ---- reads
    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer) or 0
        self._account(memoryview(buffer)[:n])
        return n

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        data = self._raw.read(size)
        self._account(data)
        return data

    def readall(self) -> bytes:
        parts = []
        while True:
            chunk = self.read(CHUNK)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)

    def _account(self, data: Any) -> None:
        n = len(data)
        if n == 0:
            if self._pos < self._end:
                raise CorruptArtifactError(
                    f"{self._what} is damaged: its stored file ended after {self._pos} of "
                    f"{self._end} bytes while being read")
            return
        if self._digest is not None:
            self._digest.update(data)
        self._pos += n
        if self._pos > self._end and not self._appended:
            raise CorruptArtifactError(
                f"{self._what} is damaged: its stored file grew past the {self._end} bytes "
                "written while being read")
        if self._digest is not None and self._pos == self._end:
            if self._digest.hexdigest() != self._sha256:
                self._fail_hash()
            self._digest = None  # checked: later reads (at the end) have nothing to add

    def _fail_hash(self) -> None:
        self._digest = None
        raise CorruptArtifactError(
            f"{self._what} is damaged: its content does not match the SHA-256 recorded when "
            "it was written; upload it again (overwrite=True)")

    def copy_to(self, out: Any) -> int:
        """Copy the rest to ``out`` (see :func:`copy_stream`): in the kernel when there is no
        hash to check and both ends are real files, through the checks otherwise."""
        in_fd = None
        if self._digest is None and self._sha256 is None:
            in_fd = _real_fd(self._raw)
        out_fd = _real_fd(out)
        if in_fd is not None and out_fd is not None and hasattr(os, "sendfile"):
            self._raw.seek(self._pos)  # the descriptor's offset, past any read-ahead buffer
            size, done = _sendfile(in_fd, out, out_fd)
            self._raw.seek(self._pos + size)  # keep the file object's position in step
            self._pos += size
            if done:
                if self._pos > self._end and not self._appended:
                    raise CorruptArtifactError(
                        f"{self._what} is damaged: its stored file holds more than the "
                        f"{self._end} bytes written")
                self._account(b"")  # the end must be where the record says
                return size
            return size + _copy_chunks(self, out)
        return _copy_chunks(self, out)


__all__ = ["CHUNK", "CheckedReader", "copy_and_hash", "copy_stream"]
