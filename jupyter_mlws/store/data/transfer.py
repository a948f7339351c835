"""Copies between datastores and local folders: download and mount the files of a manifest,
upload local files into a datastore.

Writes go to a temporary name and are renamed into place, so a reader never sees half a file
and a failed copy leaves nothing behind. Object stores copy with a few threads (many small
files are latency-bound); local files are plain kernel copies.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..artifact_io import copy_stream
from .errors import DatasetExecutionError, DatasetValidationError
from .locations import DatastoreFS
from .manifest import FileEntry, Manifest

THREADS = 8
Progress = Callable[[str, int, int], None]  # (path, files done, files in total)


def display_paths(manifest: Manifest, entries: list[FileEntry] | None = None) -> list[str]:
    """Each file's path relative to the common folder of all files, '/'-separated, no leading
    '/' (v1's ``to_path`` adds one)."""
    chosen = manifest.files if entries is None else entries
    paths = [str(e[1]).lstrip("/") for e in chosen]
    if not paths:
        return []
    folders = [p.rsplit("/", 1)[0] if "/" in p else "" for p in paths]
    common = folders[0]
    for folder in folders[1:]:
        while common and folder != common and not folder.startswith(common + "/"):
            common = common.rsplit("/", 1)[0] if "/" in common else ""
    cut = len(common) + 1 if common else 0
    names = [p[cut:] for p in paths]
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = next(n for n in names if n in seen or seen.add(n))  # type: ignore[func-returns-value]
        raise DatasetValidationError(f"Two files of the dataset map to the same path {dup!r} "
                                     "(they come from different datastores)")
    return names


def _target(folder: str, rel: str) -> str:
    target = os.path.join(folder, *rel.split("/"))
    real_folder = os.path.realpath(folder)
    if not os.path.realpath(target).startswith(real_folder.rstrip(os.sep) + os.sep):
        raise DatasetValidationError(f"File {rel!r} would be written outside {folder!r}")
    return target


def _fetch(dfs: DatastoreFS, path: str, size: int, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.{uuid.uuid4().hex[:8]}.partial"
    try:
        with dfs.fs.open(dfs.full(path), "rb") as source, open(partial, "wb") as out:
            copied = copy_stream(source, out)
        if copied != size:
            raise DatasetExecutionError(
                f"File {path!r} of datastore {dfs.name or 'URL'!r} has {copied} bytes, the "
                f"dataset recorded {size}: it changed while being read")
        os.replace(partial, target)
    except FileNotFoundError:
        raise DatasetExecutionError(f"File {path!r} of datastore {dfs.name!r} is missing") \
            from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def download_entries(manifest: Manifest, fs_of_source: Callable[[int], DatastoreFS],
                     target_dir: str, entries: list[FileEntry] | None = None, *,
                     overwrite: bool = False, ignore_not_found: bool = False,
                     progress: Progress | None = None) -> list[str]:
    """Copy files of a manifest under ``target_dir`` (paths as :func:`display_paths`);
    returns the local paths. An existing file is an error unless ``overwrite``."""
    chosen = manifest.files if entries is None else entries
    names = display_paths(manifest, chosen)
    os.makedirs(target_dir, exist_ok=True)
    targets = [_target(target_dir, name) for name in names]
    if not overwrite:
        existing = [t for t in targets if os.path.exists(t)]
        if existing:
            raise DatasetValidationError(
                f"{len(existing)} file(s) already exist under {target_dir!r}, e.g. "
                f"{existing[0]!r}: pass overwrite=True to replace them")
    done = [0]
    result: list[str | None] = [None] * len(chosen)

    def one(i: int) -> None:
        entry = chosen[i]
        dfs = fs_of_source(int(entry[0]))
        try:
            _fetch(dfs, entry[1], int(entry[2]), targets[i])
            result[i] = targets[i]
        except DatasetExecutionError:
            if not ignore_not_found or dfs.fs.exists(dfs.full(entry[1])):
                raise
        done[0] += 1
        if progress is not None:
            progress(names[i], done[0], len(chosen))

    remote = any(not fs_of_source(int(src)).local for src in {e[0] for e in chosen})
    if remote and len(chosen) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(len(chosen))))
    else:
        for i in range(len(chosen)):
            one(i)
    return [r for r in result if r is not None]


def link_tree(sources: Iterable[tuple[str, str]], mount_point: str) -> None:
    """Symbolic links ``mount_point/<name>`` -> local file, for each (name, local path)."""
    for name, local in sources:
        link = _target(mount_point, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(local, link)


def cache_path(cache_dir: str, source: dict[str, Any], entry: FileEntry) -> str:
    """Where a remote file is cached: keyed by source, path, size, mtime and etag, so a
    changed file is never served from an old copy."""
    key = repr((sorted(source.items()), entry[1], entry[2], entry[3], entry[4]))
    digest = hashlib.sha256(key.encode()).hexdigest()
    return os.path.join(cache_dir, digest[:2], digest)


def upload_files(dfs: DatastoreFS, files: list[tuple[str, str]], *, overwrite: bool = False,
                 progress: Progress | None = None,
                 skipped: Callable[[str, str], None] | None = None) -> list[str]:
    """Copy (local path, datastore-relative target) pairs into the datastore; an existing
    target is skipped (``skipped(local, target)``) unless ``overwrite``. Returns the targets
    written."""
    done = [0]
    written: list[str | None] = [None] * len(files)

    def one(i: int) -> None:
        local, rel = files[i]
        full = dfs.full(rel)
        if not overwrite and dfs.fs.exists(full):
            if skipped is not None:
                skipped(local, rel)
        else:
            _put(dfs, local, full)
            written[i] = rel
        done[0] += 1
        if progress is not None:
            progress(local, done[0], len(files))

    if not dfs.local and len(files) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(len(files))))
    else:
        for i in range(len(files)):
            one(i)
    return [w for w in written if w is not None]


def _put(dfs: DatastoreFS, local: str, full: str) -> None:
    if dfs.local:
        parent = os.path.dirname(full)
        existing = parent
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        dfs.check_inside(existing)  # a linked folder must not lead the write out
        os.makedirs(parent, exist_ok=True)
        partial = f"{full}.{uuid.uuid4().hex[:8]}.partial"
        try:
            shutil.copyfile(local, partial)
            os.replace(partial, full)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        return
    parent = posixpath.dirname(full)
    if parent:
        dfs.fs.makedirs(parent, exist_ok=True)
    dfs.fs.put_file(local, full)




def _walk_files(folder: str) -> set[str]:
    found = set()
    for dirpath, _dirs, names in os.walk(folder):
        found.update(os.path.join(dirpath, n) for n in names)
    return found


def mount_entries(manifest: Manifest, fs_of_source: Callable[[int], DatastoreFS],
                  entries: list[FileEntry], mount_point: str | None, cache_dir: str,
                  temp_parent: str | None = None) -> tuple[str, bool]:
    """A local folder that shows the files of ``entries`` under their display paths, and
    whether it is a folder made for this mount (to remove afterwards).

    Local files: the datastore folder itself when it holds exactly these files and no mount
    point was asked for, else a folder of links to them. Remote files: fetched once into
    ``cache_dir`` (keyed by path, size, mtime and etag) and linked; a cache without room for
    them is a clear error, not a full disk."""
    import tempfile

    names = display_paths(manifest, entries)
    sources = {int(e[0]) for e in entries}
    local = all(fs_of_source(s).local for s in sources)
    if local:
        fulls = [fs_of_source(int(e[0])).full(e[1]) for e in entries]
        if mount_point is None and len(sources) == 1 and fulls:
            name, full = names[0], fulls[0]
            folder = full[: len(full) - len(name)].rstrip("/\\") or "/"
            if _walk_files(folder) == set(fulls):
                return folder, False
    else:
        fulls = []
        missing = []
        for entry in entries:
            path = cache_path(cache_dir, manifest.sources[int(entry[0])], entry)
            fulls.append(path)
            if not os.path.exists(path):
                missing.append((entry, path))
        need = sum(int(e[2]) for e, _p in missing)
        os.makedirs(cache_dir, exist_ok=True)
        free = shutil.disk_usage(cache_dir).free
        if need and need * 1.05 > free:
            raise DatasetExecutionError(
                f"Cannot mount: the files not cached yet need {need:,} bytes in {cache_dir!r}, "
                f"which has {free:,} free. Mounting without FUSE caches files locally; free "
                "some space, or read the data with to_pandas_dataframe()/to_arrow_batches().")

        def fetch(item: tuple[FileEntry, str]) -> None:
            entry, path = item
            _fetch(fs_of_source(int(entry[0])), entry[1], int(entry[2]), path)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(fetch, missing))
    made = mount_point is None
    target = mount_point or tempfile.mkdtemp(prefix="mlws-mount-", dir=temp_parent)
    os.makedirs(target, exist_ok=True)
    link_tree(zip(names, fulls, strict=False), target)
    return target, made


__all__ = ["cache_path", "display_paths", "download_entries", "link_tree", "mount_entries",
           "upload_files"]
