"""Checks and hashing shared by every store's snapshot methods.

A blob's name is its lowercase hex SHA-256 and becomes a file name under
``snapshots/blobs/``, so it is checked as strictly as an artifact path.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .base import InvalidInputError
from .paths import normalize_artifact_path

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


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


def sha256_of_file(local_path: str) -> tuple[str, int]:
    """(hex SHA-256, size) of a local file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(local_path, "rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


__all__ = ["SHA256_RE", "check_manifest", "check_sha256", "sha256_of_file"]
