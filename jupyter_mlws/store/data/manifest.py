"""The manifest of a dataset version: the files its paths and globs resolved to.

A manifest lists, per file, its source (a datastore, or a URL given directly), its path (relative
to the datastore's root; the file system's own path for a URL), size, modification time and,
where the file system reports one, its etag. It is what makes a version immutable: reads verify
the files they open against it, and a changed file is reported (:class:`DataChangedError`),
never read as the old version.

Stored out of the asset row as one gzip-compressed JSON blob through the store's
content-addressed blob primitives (the ones snapshots use, so it works unchanged over the HTTP
store): a 100,000-file manifest is a few MB of JSON, about 1 MB compressed. The dataset spec
keeps ``{"snapshot_id", "sha256", "files", "bytes"}``.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    DataChangedError,
    DataPathNotFoundError,
    DatasetExecutionError,
    DatasetValidationError,
)
from .locations import DatastoreFS, has_glob

if TYPE_CHECKING:
    from ..base import Store

FORMAT = 1
MANIFEST_FILE = "manifest.json.gz"
# Up to this many files of one source are checked one by one; more by one listing.
_INFO_ONE_BY_ONE = 64
_SHOWN = 5

# One file: [source index, path, size, mtime (epoch s) or None, etag or None]
FileEntry = list


@dataclass
class Manifest:
    sources: list[dict[str, Any]] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(int(f[2]) for f in self.files)

    def to_bytes(self) -> bytes:
        text = json.dumps({"format": FORMAT, "sources": self.sources, "files": self.files},
                          separators=(",", ":"), allow_nan=False)
        return gzip.compress(text.encode("utf-8"), compresslevel=3, mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        body = json.loads(gzip.decompress(data))
        if body.get("format") != FORMAT:
            raise DatasetExecutionError(f"Unknown manifest format {body.get('format')!r}")
        return cls(sources=body["sources"], files=body["files"])

    def data_changed_time(self) -> float | None:
        times = [f[3] for f in self.files if f[3] is not None]
        return max(times) if times else None


# ---------------------------------------------------------------------------- listing


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fingerprint(info: dict[str, Any]) -> tuple[int, float | None, str | None]:
    """(size, mtime, etag) of an fsspec ``info`` dict, whatever the file system calls them."""
    mtime = None
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        if info.get(key) is not None:
            mtime = _epoch(info[key])
            break
    etag = info.get("ETag") or info.get("etag") or info.get("md5")
    return int(info.get("size") or 0), mtime, (str(etag).strip('"') if etag else None)


def _walk_local(dfs: DatastoreFS, top: str) -> Iterator[tuple[str, int, float]]:
    """Files under a local folder (links checked to stay in the datastore), sorted."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except PermissionError as exc:
            raise DatasetValidationError(f"Cannot read folder {_shown(dfs, folder)}: "
                                         "permission denied") from exc
        subfolders = []
        for entry in entries:
            if entry.is_symlink():
                dfs.check_inside(entry.path)
            if entry.is_dir():
                subfolders.append(entry.path)
            elif entry.is_file():
                st = entry.stat()
                yield entry.path, st.st_size, st.st_mtime
        stack.extend(reversed(subfolders))


def _shown(dfs: DatastoreFS, full: str) -> str:
    if dfs.root:
        try:
            return f"{dfs.rel(full)!r} in datastore {dfs.name!r}"
        except Exception:
            pass
    return repr(full)


def fresh(dfs: DatastoreFS, path: str = "") -> None:
    """Forget what the file system cached of ``path`` (s3fs caches listings): a check must
    see the files as they are now."""
    if not dfs.local and hasattr(dfs.fs, "invalidate_cache"):
        dfs.fs.invalidate_cache(path or None)


def list_files(dfs: DatastoreFS, pattern: str) -> list[tuple[str, int, float | None, str | None]]:
    """Files a datastore-relative path, folder or glob names: (fs path, size, mtime, etag)."""
    full = dfs.full(pattern) if dfs.root else pattern
    fs = dfs.fs
    fresh(dfs)
    if dfs.local and not has_glob(pattern):
        if os.path.islink(full):
            dfs.check_inside(full)
        if os.path.isdir(full):
            return [(p, s, m, None) for p, s, m in _walk_local(dfs, full)]
        if os.path.isfile(full):
            st = os.stat(full)
            return [(full, st.st_size, st.st_mtime, None)]
        raise DataPathNotFoundError(f"Path {_shown(dfs, full)} does not exist")
    if has_glob(pattern):
        found = fs.glob(full, detail=True)
        found = found if isinstance(found, dict) else {p: fs.info(p) for p in found}
    else:
        try:
            info = fs.info(full)
        except FileNotFoundError:
            raise DataPathNotFoundError(f"Path {_shown(dfs, full)} does not exist") from None
        found = {full: info}
    result: list[tuple[str, int, float | None, str | None]] = []
    for path, info in sorted(found.items()):
        if info.get("type") == "directory":
            result.extend(_find(dfs, path))
        else:
            if dfs.local:
                dfs.check_inside(path)
            result.append((path, *fingerprint(info)))
    return result


def _find(dfs: DatastoreFS, folder: str) -> list[tuple[str, int, float | None, str | None]]:
    if dfs.local:
        return [(p, s, m, None) for p, s, m in _walk_local(dfs, folder)]
    found = dfs.fs.find(folder, detail=True)
    return [(p, *fingerprint(i)) for p, i in sorted(found.items())
            if i.get("type") != "directory"]


def resolve(sources: Iterable[dict[str, Any]],
            fs_of: Callable[[dict[str, Any]], tuple[DatastoreFS, str]]) -> Manifest:
    """Resolve ``[{"datastore", "path"} | {"url"}]`` to a manifest; ``fs_of(source)`` gives
    the source's file system and the pattern to list in it (a normalized datastore-relative
    path, or the file system path of a URL). A path or glob that matches no file is a
    DatasetValidationError naming it."""
    manifest = Manifest()
    index_of: dict[str, int] = {}
    seen: set[tuple[int, str]] = set()
    for source in sources:
        dfs, pattern = fs_of(source)
        if "datastore" in source:
            key, base = f"d:{source['datastore']}", {"datastore": source["datastore"]}
            where = f"{source.get('path', '')!r} in datastore {source['datastore']!r}"
        else:
            key, base = f"u:{source['url']}", {"url": source["url"]}
            where = repr(source["url"])
        index = index_of.get(key)
        if index is None:
            index = index_of[key] = len(manifest.sources)
            manifest.sources.append(base)
        files = list_files(dfs, pattern)
        if not files:
            raise DatasetValidationError(f"No file matches {where}")
        for path, size, mtime, etag in files:
            rel = dfs.rel(path) if dfs.root else path
            if (index, rel) in seen:
                continue
            seen.add((index, rel))
            manifest.files.append([index, rel, size, mtime, etag])
    return manifest


# ---------------------------------------------------------------------------- verification


def _current(dfs: DatastoreFS, paths: list[str]) -> dict[str, tuple[int, float | None,
                                                                     str | None] | None]:
    out: dict[str, tuple[int, float | None, str | None] | None] = {}
    if dfs.local:
        for rel in paths:
            try:
                st = os.stat(dfs.full(rel))
                out[rel] = (st.st_size, st.st_mtime, None)
            except FileNotFoundError:
                out[rel] = None
        return out
    fresh(dfs)
    if len(paths) <= _INFO_ONE_BY_ONE:
        for rel in paths:
            try:
                out[rel] = fingerprint(dfs.fs.info(dfs.full(rel)))
            except FileNotFoundError:
                out[rel] = None
        return out
    fulls = [dfs.full(rel) for rel in paths]
    common = os.path.commonpath(fulls) if len(fulls) > 1 else os.path.dirname(fulls[0])
    try:
        listed = dfs.fs.find(common, detail=True)
    except FileNotFoundError:
        listed = {}
    for rel, full in zip(paths, fulls, strict=False):
        info = listed.get(full)
        out[rel] = None if info is None else fingerprint(info)
    return out


def verify(manifest: Manifest, fs_of_source: Callable[[int], DatastoreFS], label: str,
           entries: list[FileEntry] | None = None) -> None:
    """Raise DataChangedError if any of ``entries`` (default: every file) is missing or differs
    from the manifest in size, modification time or etag."""
    chosen = manifest.files if entries is None else entries
    by_source: dict[int, list[FileEntry]] = {}
    for entry in chosen:
        by_source.setdefault(int(entry[0]), []).append(entry)
    problems: list[str] = []
    for index, items in by_source.items():
        dfs = fs_of_source(index)
        now = _current(dfs, [e[1] for e in items])
        for _src, rel, size, mtime, etag in items:
            found = now.get(rel)
            if found is None:
                problems.append(f"{rel!r} is missing")
            elif found[0] != size:
                problems.append(f"{rel!r} changed size ({size} -> {found[0]} bytes)")
            elif etag is not None and found[2] is not None and etag != found[2]:
                problems.append(f"{rel!r} changed content (etag)")
            elif mtime is not None and found[1] is not None and abs(found[1] - mtime) > 1e-6:
                problems.append(f"{rel!r} was modified")
    if problems:
        more = f" and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise DataChangedError(
            f"{label} was registered from files that changed since: "
            f"{'; '.join(problems[:_SHOWN])}{more}. A version never reads other data than it "
            "was registered with: register the current files as a new version "
            "(register(..., create_new_version=True)).")


# ---------------------------------------------------------------------------- storage

_cache: dict[str, Manifest] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 8


def save(store: Store, workspace_id: str, manifest: Manifest) -> dict[str, Any]:
    """Store the manifest blob (once per content) and return its reference for the spec."""
    data = manifest.to_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if store.missing_snapshot_blobs(workspace_id, [sha]):
        store.put_snapshot_blob(workspace_id, sha, io.BytesIO(data))
    snapshot = store.create_snapshot_from_manifest(
        workspace_id, {MANIFEST_FILE: {"sha256": sha, "size": len(data)}})
    _remember(sha, manifest)
    return {"snapshot_id": snapshot.id, "sha256": sha, "files": len(manifest.files),
            "bytes": manifest.total_bytes}


def _remember(sha: str, manifest: Manifest) -> None:
    with _cache_lock:
        _cache[sha] = manifest
        while len(_cache) > _CACHE_MAX:
            _cache.pop(next(iter(_cache)))


def load(store: Store, ref: dict[str, Any]) -> Manifest:
    """The manifest a spec references, its bytes checked against the recorded hash."""
    sha = ref["sha256"]
    with _cache_lock:
        found = _cache.get(sha)
    if found is not None:
        return found
    with store.open_snapshot_file(ref["snapshot_id"], MANIFEST_FILE) as stream:
        data = stream.read()
    if hashlib.sha256(data).hexdigest() != sha:
        raise DatasetExecutionError(f"The stored manifest {ref['snapshot_id']} is corrupt")
    manifest = Manifest.from_bytes(data)
    _remember(sha, manifest)
    return manifest


__all__ = ["MANIFEST_FILE", "Manifest", "fingerprint", "list_files", "load", "resolve", "save",
           "verify"]
