"""One-file operations on a datastore, confined: the composites behind the Store's datastore
file methods (``Store.list_datastore_files`` ...), which the REST server serves for the HTTP
store (list, info, ranged read, streamed write, delete). Paths are datastore-relative."""

from __future__ import annotations

import functools
import os
import posixpath
import uuid
from typing import Any, BinaryIO

from ..artifact_io import copy_stream
from ..base import ConflictError, DatastoreFileRecord, InvalidInputError, NotFoundError
from .locations import DatastoreFS, has_glob, normalize_data_path
from .manifest import fingerprint, fresh, list_files


def os_errors(fn: Any) -> Any:
    """A file system error other than "not found" (permissions, a name the file system
    refuses) is bad input naming the cause, never a server error."""
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (FileNotFoundError, InvalidInputError, NotFoundError):
            raise
        except OSError as exc:
            raise InvalidInputError(f"The datastore refused the operation: "
                                    f"{exc.strerror or type(exc).__name__}") from None

    return wrapped


def _entry(dfs: DatastoreFS, full: str, info: dict[str, Any]) -> DatastoreFileRecord:
    size, mtime, etag = fingerprint(info)
    kind = "directory" if info.get("type") == "directory" else "file"
    return DatastoreFileRecord(dfs.rel(full), kind, size if kind == "file" else 0, mtime, etag)


def _checked(dfs: DatastoreFS, path: str) -> tuple[str, str]:
    rel = normalize_data_path(path)
    full = dfs.full(rel)
    fresh(dfs)  # what the server answers is the file as it is now
    if dfs.local and os.path.lexists(full):
        dfs.check_inside(full)
    return rel, full


@os_errors
def list_entries(dfs: DatastoreFS, path: str = "", *, recursive: bool = False,
                 glob: str | None = None) -> list[DatastoreFileRecord]:
    """Files (and, not recursive, folders) under ``path``, or the files a ``glob`` matches."""
    if glob is not None:
        pattern = normalize_data_path(glob, "Glob")
        if not has_glob(pattern):
            return list_entries(dfs, pattern, recursive=True)
        return [DatastoreFileRecord(dfs.rel(p), "file", s, m, e)
                for p, s, m, e in list_files(dfs, pattern)]
    rel, full = _checked(dfs, path)
    if recursive:
        try:
            found = list_files(dfs, rel)
        except InvalidInputError:
            if not dfs.fs.exists(full):
                raise NotFoundError(f"{rel or '/'!r} not found in datastore {dfs.name!r}") \
                    from None
            raise
        return [DatastoreFileRecord(dfs.rel(p), "file", s, m, e) for p, s, m, e in found]
    try:
        listed = dfs.fs.ls(full, detail=True)
    except FileNotFoundError:
        raise NotFoundError(f"{rel or '/'!r} not found in datastore {dfs.name!r}") from None
    out = []
    for info in listed:
        name = info["name"].rstrip("/")
        if dfs.local and os.path.islink(name):
            try:
                dfs.check_inside(name)
            except InvalidInputError:
                continue  # a link out of the datastore is not part of it
        if name.rstrip("/") == full.rstrip("/"):
            info = {**info, "name": full}
            return [_entry(dfs, full, info)]  # ``path`` names a file
        out.append(_entry(dfs, name, info))
    return sorted(out, key=lambda e: e.path)


@os_errors
def file_info(dfs: DatastoreFS, path: str) -> DatastoreFileRecord:
    rel, full = _checked(dfs, path)
    if not rel:  # the root always exists (an object-store prefix has no object of its own)
        return DatastoreFileRecord("", "directory", 0)
    try:
        return _entry(dfs, full, dfs.fs.info(full))
    except FileNotFoundError:
        raise NotFoundError(f"{rel!r} not found in datastore {dfs.name!r}") from None


@os_errors
def open_file(dfs: DatastoreFS, path: str) -> BinaryIO:
    """A readable stream of a file (seekable: fsspec files are)."""
    rel, full = _checked(dfs, path)
    try:
        info = dfs.fs.info(full)
        if info.get("type") == "directory":
            raise InvalidInputError(f"{rel!r} is a folder of datastore {dfs.name!r}")
        return dfs.fs.open(full, "rb")
    except FileNotFoundError:
        raise NotFoundError(f"{rel!r} not found in datastore {dfs.name!r}") from None


@os_errors
def write_file(dfs: DatastoreFS, path: str, source: BinaryIO, *,
               overwrite: bool = False) -> DatastoreFileRecord:
    """Stream ``source`` into a file; a failed write leaves no file behind."""
    rel, full = _checked(dfs, path)
    if not rel:
        raise InvalidInputError("A file path is required")
    if not overwrite and dfs.fs.exists(full):
        raise ConflictError(f"{rel!r} already exists in datastore {dfs.name!r}")
    if dfs.local:
        parent = os.path.dirname(full)
        existing = parent
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        dfs.check_inside(existing)
        os.makedirs(parent, exist_ok=True)
        partial = f"{full}.{uuid.uuid4().hex[:8]}.partial"
        try:
            with open(partial, "wb") as out:
                copy_stream(source, out)
            os.replace(partial, full)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    else:
        parent = posixpath.dirname(full)
        if parent:
            dfs.fs.makedirs(parent, exist_ok=True)
        out = dfs.fs.open(full, "wb")
        try:
            copy_stream(source, out)
        except BaseException:
            # Closing an fsspec file commits it: a broken upload is discarded instead.
            discard = getattr(out, "discard", None)
            if discard is not None:
                discard()
            else:
                out.close()
                if dfs.fs.exists(full):
                    dfs.fs.rm_file(full)
            raise
        out.close()
    return file_info(dfs, rel)


@os_errors
def delete_file(dfs: DatastoreFS, path: str) -> None:
    rel, full = _checked(dfs, path)
    if not rel:
        raise InvalidInputError("The datastore's root cannot be deleted")
    try:
        if dfs.fs.info(full).get("type") == "directory":
            raise InvalidInputError(f"{rel!r} is a folder; delete its files")
        dfs.fs.rm_file(full)
    except FileNotFoundError:
        raise NotFoundError(f"{rel!r} not found in datastore {dfs.name!r}") from None


__all__ = ["delete_file", "file_info", "list_entries", "open_file", "write_file"]
