"""Snapshots of a source folder: which files go in, the v1 limits, and restoring them as a zip.

A snapshot is taken of ``Experiment.start_logging(snapshot_directory=...)``, of a submitted
script's ``source_directory`` and by ``Run.take_snapshot``. Like v1, every file is included
unless ``.amlignore`` (preferred) or ``.gitignore`` at the top of the folder excludes it with
gitignore patterns; ``.git`` and a few caches are always left out. Symbolic links pointing
outside the folder are not followed, so a snapshot never reads files it was not given.
The store keeps the blobs deduplicated by content (``Store.create_snapshot``).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from typing import TYPE_CHECKING

from ..exceptions import SnapshotException, UserErrorException

if TYPE_CHECKING:
    from ..store.base import SnapshotRecord, Store

# v1 limits for a snapshot (azureml-core: 300 MB, 2000 files).
SNAPSHOT_MAX_SIZE_BYTES = 300 * 1024 * 1024
SNAPSHOT_MAX_FILES = 2000

AMLIGNORE = ".amlignore"
GITIGNORE = ".gitignore"
# Never useful in a snapshot and possibly huge: version-control internals and caches.
ALWAYS_SKIPPED_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints"})

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


def collect_snapshot_files(directory: str | os.PathLike,
                           hint: str = "or take the snapshot of a smaller folder.",
                           max_files: int = SNAPSHOT_MAX_FILES,
                           max_bytes: int = SNAPSHOT_MAX_SIZE_BYTES) -> dict[str, str]:
    """Map each file of ``directory`` to include, as a '/'-separated relative path, to its path.

    A single file gives ``{basename: path}``. Raises :class:`SnapshotException` as soon as the
    files exceed ``max_files`` or ``max_bytes`` (the v1 limits by default); ``hint`` finishes
    the message (``start_logging`` suggests ``snapshot_directory=None``).
    """
    directory = os.fspath(directory)
    if os.path.isfile(directory):
        return {os.path.basename(directory): os.path.abspath(directory)}
    if not os.path.isdir(directory):
        raise UserErrorException(f"Cannot take a snapshot of {directory!r}: no such file or folder")
    root = os.path.abspath(directory)
    real_root = os.path.realpath(root)
    spec = _ignore_spec(root)
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
            if entry.is_dir():  # follows links, which are known to stay inside by now
                if entry.name in ALWAYS_SKIPPED_DIRS:
                    continue
                if spec is not None and spec.match_file(rel + "/"):
                    continue
                stack.append((rel + "/", entry.path))
                continue
            if not entry.is_file():
                continue  # sockets, fifos, dangling links
            if spec is not None and spec.match_file(rel):
                continue
            files[rel] = entry.path
            total += entry.stat().st_size
            if len(files) > max_files:
                raise SnapshotException(_limit_message(
                    root, f"Your snapshot has more than the limit of {max_files} files.", hint))
            if total > max_bytes:
                raise SnapshotException(_limit_message(
                    root, "Your total snapshot size exceeds the limit of "
                    f"{max_bytes / (1024 * 1024):.1f} MB.", hint))
    return files


def store_snapshot(store: Store, workspace_id: str, directory: str | os.PathLike,
                   hint: str = "or take the snapshot of a smaller folder.") -> SnapshotRecord:
    """Collect ``directory`` and store it as a snapshot of the workspace."""
    files = collect_snapshot_files(directory, hint=hint)
    return store.create_snapshot(workspace_id, files)


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
