"""The one place where artifact and snapshot paths are confined.

Every relative path that reaches a file system goes through :func:`normalize_artifact_path`, so a
crafted name can never escape its run or workspace folder, whatever the fsspec backend.
"""

from __future__ import annotations

import re

from .base import InvalidInputError

_DRIVE = re.compile(r"^[A-Za-z]:")
# File systems refuse longer names (ENAMETOOLONG on Linux, macOS and most object stores'
# key limits), so they are a bad input here rather than an OS error deep in a write.
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024


def normalize_artifact_path(path: str) -> str:
    """Return ``path`` as a clean relative '/'-separated path or raise InvalidInputError.

    Rejected: empty paths, absolute paths, ``..`` or ``.`` segments, empty segments (``a//b``),
    NUL characters, backslashes and drive letters, a segment longer than 255 bytes or a path
    longer than 1024 bytes (UTF-8). A single trailing slash is not allowed either, because an
    artifact names a file.
    """
    if not isinstance(path, str):
        raise InvalidInputError(f"Artifact path must be a string, got {type(path).__name__}")
    if not path:
        raise InvalidInputError("Artifact path must not be empty")
    if "\x00" in path:
        raise InvalidInputError("Artifact path must not contain NUL characters")
    if "\\" in path:
        raise InvalidInputError(f"Artifact path must use '/' separators, not '\\': {path!r}")
    if path.startswith("/") or path.startswith("~"):
        raise InvalidInputError(f"Artifact path must be relative: {path!r}")
    if _DRIVE.match(path) or "://" in path:
        raise InvalidInputError(f"Artifact path must not name a drive or URL: {path!r}")
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot name a file anywhere
        raise InvalidInputError(f"Artifact path is not valid UTF-8: {path[:80]!r}") from exc
    if len(encoded) > MAX_PATH_BYTES:
        raise InvalidInputError(f"Artifact path is longer than {MAX_PATH_BYTES} bytes")
    parts = path.split("/")
    for part in parts:
        if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidInputError(
                f"Artifact path segment is longer than {MAX_SEGMENT_BYTES} bytes: "
                f"{part[:40]!r}...")
        if part == "":
            raise InvalidInputError(f"Artifact path has an empty segment: {path!r}")
        if part in (".", ".."):
            raise InvalidInputError(f"Artifact path must not contain '.' or '..': {path!r}")
    return "/".join(parts)


def normalize_prefix(prefix: str | None) -> str | None:
    """A listing prefix: same rules, but a trailing '/' is allowed and kept."""
    if prefix is None or prefix == "":
        return None
    trailing = prefix.endswith("/")
    clean = normalize_artifact_path(prefix.rstrip("/") if trailing else prefix)
    return clean + "/" if trailing else clean
