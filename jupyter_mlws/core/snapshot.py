"""Snapshots of a source folder: which files go in, the v1 limits, and restoring them as a zip.

A snapshot is taken of ``Experiment.start_logging(snapshot_directory=...)``, of a submitted
script's ``source_directory`` and by ``Run.take_snapshot``. Like v1, every file is included
unless ``.amlignore`` (preferred) or ``.gitignore`` at the top of the folder excludes it with
gitignore patterns. Never taken, whatever the patterns: version-control internals and caches
(``.git``, ``__pycache__``, ``node_modules``, ``.ipynb_checkpoints``), virtual environments
(found by their marker: ``pyvenv.cfg``, ``conda-meta/``, ``bin/activate``; and ``.venv``),
the run's own ``outputs/`` and ``logs/`` at the top of the folder (written while the run goes
on), and the store's own files (``MLWS_HOME``, the SQLite database, local storage) when they
lie inside the folder. Symbolic links pointing outside the folder are not followed, so a
snapshot never reads files it was not given. The store keeps the blobs deduplicated by
content, reading each file once (:func:`jupyter_mlws.store.snapshots.create_snapshot`).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..exceptions import SnapshotException, UserErrorException

if TYPE_CHECKING:
    from ..store.base import SnapshotRecord, Store

# v1 limits for a snapshot (azureml-core: 300 MB, 2000 files).
SNAPSHOT_MAX_SIZE_BYTES = 300 * 1024 * 1024
SNAPSHOT_MAX_FILES = 2000

AMLIGNORE = ".amlignore"
GITIGNORE = ".gitignore"
# Never useful in a snapshot and possibly huge: version-control internals and caches.
ALWAYS_SKIPPED_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", "node_modules",
                                 ".venv"})
# Written by the run itself while it goes on (v1's tracked folders), at the top of the folder.
RUN_OUTPUT_DIRS = frozenset({"outputs", "logs"})
# A folder holding one of these is a virtual environment (venv, conda, virtualenv).
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta", os.path.join("bin", "activate"),
                os.path.join("Scripts", "activate"))

_COPY_CHUNK = 1024 * 1024


def _limit_message(directory: str, what: str, hint: str) -> str:
    return (
        "====================================================================\n\n"
        f"While attempting to take snapshot of {directory}\n"
        f"{what}\n"
        "Please add the files you do not need (data, outputs, checkpoints) to a .amlignore file "
        "(gitignore syntax) in that folder, "
        f"{hint}\n\n"
        "====================================================================\n")


def _ignore_spec(directory: str):  # -> pathspec.GitIgnoreSpec | None
    """The patterns of ``.amlignore`` if present, else ``.gitignore``, else None."""
    for name in (AMLIGNORE, GITIGNORE):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            import pathspec  # only needed when a snapshot is actually taken

            with open(path, encoding="utf-8", errors="replace") as handle:
                return pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
    return None


def _inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _is_excluded(real_path: str, excluded: tuple[str, ...]) -> bool:
    """At or below an excluded path, or one of its SQLite companions (``mlws.db-wal``)."""
    for path in excluded:
        if _inside(real_path, path) or (real_path.startswith(path)
                                        and real_path[len(path):].startswith("-")):
            return True
    return False


def _is_environment(path: str) -> bool:
    return any(os.path.lexists(os.path.join(path, marker)) for marker in _ENV_MARKERS)


def store_paths(store: Any) -> list[str]:
    """The local files of ``store`` a snapshot must never take: its home, local storage root
    and SQLite database (with its -wal/-shm files, which share the database's path prefix)."""
    settings = getattr(store, "settings", None)
    if settings is None:
        return []
    paths = [os.fspath(settings.home)]
    root = str(settings.storage_root)
    if root.startswith("file://"):
        root = root[len("file://"):]
    if "://" not in root:
        paths.append(root)
    url = str(settings.database_url)
    if url.startswith("sqlite:///"):
        database = url[len("sqlite:///"):].split("?", 1)[0]
        if database and database != ":memory:":
            paths.append(database)
    return paths


def collect_snapshot_files(directory: str | os.PathLike,
                           hint: str = "or take the snapshot of a smaller folder.",
                           max_files: int = SNAPSHOT_MAX_FILES,
                           max_bytes: int = SNAPSHOT_MAX_SIZE_BYTES,
                           exclude: Iterable[str | os.PathLike] = ()) -> dict[str, str]:
    """Map each file of ``directory`` to include, as a '/'-separated relative path, to its path.

    A single file gives ``{basename: path}``. Raises :class:`SnapshotException` as soon as the
    files exceed ``max_files`` or ``max_bytes`` (the v1 limits by default); ``hint`` finishes
    the message (``start_logging`` suggests ``snapshot_directory=None``). Files and folders at
    or below a path of ``exclude`` (e.g. :func:`store_paths`) are left out.
    """
    directory = os.fspath(directory)
    if os.path.isfile(directory):
        return {os.path.basename(directory): os.path.abspath(directory)}
    if not os.path.isdir(directory):
        raise UserErrorException(f"Cannot take a snapshot of {directory!r}: no such file or folder")
    root = os.path.abspath(directory)
    real_root = os.path.realpath(root)
    spec = _ignore_spec(root)
    # Only what lies inside the folder: a folder inside the store's home (a run's working
    # copy under MLWS_HOME/runs) is snapshotted as usual.
    excluded = tuple(p for p in (os.path.realpath(os.fspath(x)) for x in exclude)
                     if not _inside(real_root, p))
    files: dict[str, str] = {}
    total = 0
    # Real paths of folders walked, so a link to an ancestor cannot loop forever.
    visited: set[str] = set()
    stack = [("", root)]
    while stack:
        rel_dir, abs_dir = stack.pop()
        real_dir = os.path.realpath(abs_dir)
        if real_dir in visited:
            continue
        visited.add(real_dir)
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError as exc:
            raise SnapshotException(f"Cannot read {abs_dir} for the snapshot: {exc}") from exc
        for entry in entries:
            rel = f"{rel_dir}{entry.name}"
            if entry.is_symlink() and not _inside(os.path.realpath(entry.path), real_root):
                continue
            if excluded and _is_excluded(os.path.realpath(entry.path) if entry.is_symlink()
                                         else os.path.join(real_dir, entry.name), excluded):
                continue
            if entry.is_dir():  # follows links, which are known to stay inside by now
                if entry.name in ALWAYS_SKIPPED_DIRS or (
                        not rel_dir and entry.name in RUN_OUTPUT_DIRS):
                    continue
                if _is_environment(entry.path):
                    continue
                if spec is not None and spec.match_file(rel + "/"):
                    continue
                stack.append((rel + "/", entry.path))
                continue
            if not entry.is_file():
                continue  # sockets, fifos, dangling links
            if spec is not None and spec.match_file(rel):
                continue
            try:
                total += entry.stat().st_size
            except FileNotFoundError:
                continue  # removed while the folder is read
            files[rel] = entry.path
            if len(files) > max_files:
                raise SnapshotException(_limit_message(
                    root, f"Your snapshot has more than the limit of {max_files} files.", hint))
            if total > max_bytes:
                raise SnapshotException(_limit_message(
                    root, "Your total snapshot size exceeds the limit of "
                    f"{max_bytes / (1024 * 1024):.1f} MB.", hint))
    return files


def collect_for_store(store: Store, directory: str | os.PathLike,
                      hint: str = "or take the snapshot of a smaller folder.",
                      **limits: Any) -> dict[str, str]:
    """:func:`collect_snapshot_files` without the files of ``store`` itself."""
    return collect_snapshot_files(directory, hint=hint, exclude=store_paths(store), **limits)


def store_snapshot(store: Store, workspace_id: str, directory: str | os.PathLike,
                   hint: str = "or take the snapshot of a smaller folder.") -> SnapshotRecord:
    """Collect ``directory`` and store it as a snapshot of the workspace."""
    return store.create_snapshot(workspace_id, collect_for_store(store, directory, hint))


def snapshot_to_zip(store: Store, snapshot_id: str, zip_path: str) -> str:
    """Write every file of the snapshot into a zip at ``zip_path`` (streamed); returns the path."""
    record = store.get_snapshot(snapshot_id)
    parent = os.path.dirname(os.path.abspath(zip_path))
    if not os.path.isdir(parent):
        raise UserErrorException(f"Cannot write {zip_path}: folder {parent} does not exist")
    partial = zip_path + ".partial"
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for rel in sorted(record.files):
                source = store.open_snapshot_file(snapshot_id, rel)
                try:
                    with archive.open(rel, "w", force_zip64=True) as target:
                        shutil.copyfileobj(source, target, _COPY_CHUNK)
                finally:
                    source.close()
        os.replace(partial, zip_path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return zip_path
