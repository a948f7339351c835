"""Where a datastore's files are: a spec (the asset's JSON) plus its secret -> an fsspec file
system and a root folder, and the one place datastore-relative paths are confined.

Spec shapes (``type``):

- ``workspace``: the built-in ``workspaceblobstore`` / ``workspacefilestore``: the folder
  ``datastores/<name>`` of the workspace's storage (a local folder or an object-store prefix,
  reached with the workspace storage's own credentials);
- ``local``: ``{"url": "/absolute/folder"}``;
- ``fsspec``: ``{"url": "s3://bucket/prefix", "storage_options": {...}}``: any fsspec URL;
  the secret's keys are merged into the storage options when the file system is opened
  (``key``/``secret`` for S3, ``account_key``/``sas_token``/``client_secret`` for ``adlfs``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from ..base import InvalidInputError
from ..files import join_url

BUILTIN_DATASTORES = {
    "workspaceblobstore": "AzureBlob",
    "workspacefilestore": "AzureFile",
}
DEFAULT_DATASTORE = "workspaceblobstore"
GLOB_CHARS = re.compile(r"[*?\[]")
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255


def builtin_spec(name: str) -> dict[str, Any] | None:
    """The spec of a built-in datastore (names compare case-insensitively), else None."""
    key = name.casefold()
    if key not in BUILTIN_DATASTORES:
        return None
    return {"type": "workspace", "name": key, "datastore_type": BUILTIN_DATASTORES[key],
            "subpath": f"datastores/{key}", "container_name": key, "account_name": "local",
            "protocol": "file", "endpoint": "local", "has_secret": False}


def normalize_data_path(path: Any, what: str = "Datastore path") -> str:
    """A path relative to a datastore's root, '/'-separated, globs allowed; "" is the root.

    One leading '/' means the datastore's root (v1 code writes ``(datastore, "/data/")``) and a
    trailing '/' names a folder. Rejected: ``..`` and ``.`` segments, empty segments (so
    ``//etc`` is refused as absolute), '\\', NUL, drive letters, URLs, ``~`` and paths over
    1024 bytes."""
    if not isinstance(path, str):
        raise InvalidInputError(f"{what} must be a string, got {type(path).__name__}")
    text = path[1:] if path.startswith("/") else path
    text = text[:-1] if text.endswith("/") else text
    if text in ("", "."):
        return ""
    if "\x00" in text:
        raise InvalidInputError(f"{what} must not contain NUL characters")
    if "\\" in text:
        raise InvalidInputError(f"{what} must use '/' separators, not '\\': {path!r}")
    if text.startswith(("/", "~")) or _DRIVE.match(text) or "://" in text:
        raise InvalidInputError(f"{what} {path!r} leaves its datastore: give a path relative "
                                "to the datastore's root")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidInputError(f"{what} is not valid UTF-8: {path[:80]!r}") from exc
    if size > MAX_PATH_BYTES:
        raise InvalidInputError(f"{what} is longer than {MAX_PATH_BYTES} bytes")
    for part in text.split("/"):
        if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidInputError(f"{what} has a name longer than {MAX_SEGMENT_BYTES} bytes: "
                                    f"{part[:40]!r}...")
        if part in ("", ".", ".."):
            raise InvalidInputError(f"{what} {path!r} leaves its datastore or has an empty "
                                    "segment: '..', '.' and '//' are not allowed")
    return text


def normalize_data_file(path: Any) -> str:
    """A datastore-relative path naming a file: as :func:`normalize_data_path`, not the root."""
    text = normalize_data_path(path, "Datastore file path")
    if not text:
        raise InvalidInputError("A datastore file path is required (not the root)")
    return text


def has_glob(path: str) -> bool:
    return bool(GLOB_CHARS.search(path))


@dataclass
class DatastoreFS:
    """The file system of one datastore and its root folder in that file system."""

    fs: Any
    root: str  # no trailing '/'; "" for a URL source (paths are then the file system's own)
    local: bool
    name: str = ""

    def full(self, rel: str) -> str:
        """The file system path of a normalized datastore-relative path."""
        if not self.root:
            return rel
        return join_url(self.root, rel) if rel else self.root

    def rel(self, full: str) -> str:
        if not self.root:
            return full
        root = self.root.rstrip("/")
        if full == root:
            return ""
        if not full.startswith(root + "/"):
            raise InvalidInputError(f"{full!r} is not inside datastore {self.name!r}")
        return full[len(root) + 1:]

    def check_inside(self, full: str) -> None:
        """A local path must resolve (links followed) inside the datastore's root."""
        if not self.local or not self.root:
            return
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(full)
        if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
            raise InvalidInputError(
                f"{self.rel(full)!r} is a link that leaves datastore {self.name!r}")


def is_local_fs(fs: Any) -> bool:
    protocol = fs.protocol
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in protocols or "local" in protocols


def url_fs(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """``fsspec.core.url_to_fs`` with a clear error for a protocol whose package is missing."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url, **(storage_options or {}))
    except ImportError as exc:
        protocol = url.split("://", 1)[0] if "://" in url else "file"
        hint = {"az": "adlfs", "abfs": "adlfs", "abfss": "adlfs", "s3": "s3fs", "gs": "gcsfs",
                "gcs": "gcsfs"}.get(protocol, f"the fsspec implementation of {protocol!r}")
        raise InvalidInputError(f"Reading {protocol}:// URLs needs {hint}: pip install "
                                f"{hint if ' ' not in hint else protocol}") from exc
    except ValueError as exc:
        if "Protocol not known" in str(exc):
            raise InvalidInputError(f"Unknown file system protocol in {url!r}") from exc
        raise


def open_datastore_fs(spec: dict[str, Any], secret: dict[str, Any] | None,
                      workspace_storage_url: str) -> DatastoreFS:
    """The file system of a datastore spec (see the module docstring)."""
    kind = spec.get("type")
    name = str(spec.get("name", ""))
    if kind == "workspace":
        url = join_url(workspace_storage_url, spec["subpath"])
        fs, root = url_fs(url)
        local = is_local_fs(fs)
        if local:
            os.makedirs(root, exist_ok=True)
        return DatastoreFS(fs, root.rstrip("/"), local, name)
    if kind == "local":
        from fsspec.implementations.local import LocalFileSystem

        root = os.path.abspath(spec["url"])
        return DatastoreFS(LocalFileSystem(), root.rstrip(os.sep) or os.sep, True, name)
    if kind == "fsspec":
        if spec.get("unsupported"):
            raise InvalidInputError(f"Datastore {name!r}: {spec['unsupported']}")
        options = {**(spec.get("storage_options") or {}), **(secret or {})}
        fs, root = url_fs(spec["url"], options)
        return DatastoreFS(fs, root.rstrip("/"), is_local_fs(fs), name)
    raise InvalidInputError(f"Datastore {name!r} has an unknown type {kind!r}")


__all__ = ["BUILTIN_DATASTORES", "DEFAULT_DATASTORE", "DatastoreFS", "builtin_spec", "has_glob",
           "is_local_fs", "normalize_data_file", "normalize_data_path", "open_datastore_fs",
           "url_fs"]
