"""The file side of a Run: artifacts, the tracked ``outputs/`` folder and snapshots (v1 4.7).

Mixed into :class:`jupyter_mlws.core.run.Run`, which provides ``_store``, ``_record``, ``id``,
``experiment`` and ``_outputs_dir``. Artifact paths are confined to the run by the store's
``normalize_artifact_path``; files are streamed in chunks, never read whole.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from ..exceptions import AzureMLException, SnapshotException, UserErrorException
from ..store.base import InvalidInputError
from ..store.files import copy_stream
from .run_post_processing import OUTPUTS_PREFIX, await_outputs

if TYPE_CHECKING:
    from ..store.base import ArtifactRecord, RunRecord, Store

START_SNAPSHOT_HINT = ("or pass snapshot_directory=None to start_logging() to take no snapshot.")


def _normalize(path: str) -> str:
    from ..store.paths import normalize_artifact_path  # the one confinement point

    return normalize_artifact_path(path)


def _walk_files(folder: str) -> list[tuple[str, str]]:
    """(relative '/' path, absolute path) of every file under ``folder``, sorted.

    File links leading outside ``folder`` are skipped so nothing outside it is uploaded.
    """
    root = os.path.realpath(folder)
    found: list[tuple[str, str]] = []
    # Linked folders are not descended into (followlinks=False): no loops, no escapes.
    for dirpath, _dirnames, filenames in os.walk(folder, followlinks=False):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not _inside(os.path.realpath(path), root):
                continue
            if not os.path.isfile(path):
                continue
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            found.append((rel, path))
    found.sort()
    return found


def _inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _copy_to_file(source: IO[bytes], target_path: str, what: str,
                  expected_size: int | None = None) -> int:
    """Stream ``source`` into ``target_path`` through a temporary name of our own; returns
    the bytes written. The target is replaced only by a complete (and, with
    ``expected_size``, size-checked) copy: on any error an existing file there stays as it
    was."""
    partial = f"{target_path}.{uuid.uuid4().hex[:12]}.partial"
    try:
        with open(partial, "xb") as target:  # "x": never a file that was already there
            written = copy_stream(source, target)
        if expected_size is not None and written != expected_size:
            raise AzureMLException(f"Download of {what} is corrupt: got {written} bytes, "
                                   f"the artifact has {expected_size}")
        os.replace(partial, target_path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return written


class RunFilesMixin:
    """Artifacts and snapshots of a run."""

    _store: Store
    _record: RunRecord
    _outputs_dir: str | None
    id: str
    experiment: Any

    # ------------------------------------------------------------------ upload

    def upload_file(self, name: str, path_or_stream: str | os.PathLike | IO[bytes],
                    datastore_name: str | None = None) -> ArtifactRecord:
        """Upload a local file or a binary stream as the artifact ``name``.

        ``datastore_name`` is accepted for v1 compatibility: a run's artifacts always live in
        the workspace storage. An existing artifact of that name is a ConflictError.
        """
        path = _normalize(name)
        source: str | IO[bytes]
        if hasattr(path_or_stream, "read"):
            source = path_or_stream  # type: ignore[assignment]
        else:
            source = os.fspath(path_or_stream)  # type: ignore[arg-type]
            if not os.path.isfile(source):
                raise UserErrorException(f"Cannot upload {source!r}: no such file")
        return self._store.upload_artifact(self.id, path, source)

    def upload_files(self, names: Sequence[str], paths: Sequence[str | os.PathLike],
                     return_artifacts: bool = False, timeout_seconds: float | None = None,
                     datastore_name: str | None = None) -> list[ArtifactRecord] | None:
        """Upload ``paths[i]`` as artifact ``names[i]``; the records if ``return_artifacts``.

        Every name and file is checked before the first upload, so a bad entry uploads nothing.
        """
        names, paths = list(names), list(paths)
        if len(names) != len(paths):
            raise TypeError(f"names and paths must have the same length "
                            f"(got {len(names)} names and {len(paths)} paths)")
        targets = [_normalize(name) for name in names]
        sources = [os.fspath(p) for p in paths]
        for source in sources:
            if not os.path.isfile(source):
                raise UserErrorException(f"Cannot upload {source!r}: no such file")
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        records = []
        for target, source in zip(targets, sources, strict=True):
            if deadline is not None and time.monotonic() > deadline:
                raise AzureMLException(
                    f"Uploading files to run {self.id} timed out after {timeout_seconds} s; "
                    f"{len(records)} of {len(targets)} files were uploaded")
            records.append(self._store.upload_artifact(self.id, target, source))
        return records if return_artifacts else None

    def upload_folder(self, name: str, path: str | os.PathLike,
                      datastore_name: str | None = None) -> list[ArtifactRecord]:
        """Upload every file under folder ``path`` as ``name/<path relative to the folder>``."""
        folder = os.fspath(path)
        if not os.path.isdir(folder):
            raise UserErrorException(f"Cannot upload folder {folder!r}: no such folder")
        prefix = _normalize(name)
        files = _walk_files(folder)
        targets = [_normalize(f"{prefix}/{rel}") for rel, _ in files]
        return [self._store.upload_artifact(self.id, target, source)
                for target, (_, source) in zip(targets, files, strict=True)]

    def _upload_outputs(self) -> list[ArtifactRecord]:
        """Upload the tracked outputs folder to ``outputs/<relative path>``.

        Called on complete/fail/cancel, possibly more than once: files already uploaded with
        the same size are skipped, changed ones are overwritten.
        """
        folder = getattr(self, "_outputs_dir", None)
        if not folder or not os.path.isdir(folder):
            return []

        existing = {a.path: a.size
                    for a in self._store.list_artifacts(self.id, prefix=OUTPUTS_PREFIX + "/")}
        uploaded = []
        for rel, source in _walk_files(folder):
            try:
                target = _normalize(f"{OUTPUTS_PREFIX}/{rel}")
            except InvalidInputError as exc:
                # One odd file name (a backslash on POSIX) must not cost the other outputs.
                warnings.warn(f"Not uploading {source}: {exc}", UserWarning, stacklevel=2)
                continue
            try:
                size = os.path.getsize(source)
                if existing.get(target) == size:
                    continue
                uploaded.append(self._store.upload_artifact(self.id, target, source,
                                                            overwrite=target in existing))
            except FileNotFoundError:
                continue  # removed by the user's code while we were uploading
        return uploaded

    # ------------------------------------------------------------------ list and download

    def get_file_names(self) -> list[str]:
        """Paths of every artifact of the run (``outputs/model.pkl``, ``logs/...``)."""
        return [a.path for a in self._store.list_artifacts(self.id)]

    def download_file(self, name: str, output_file_path: str | os.PathLike | None = None,
                      _validate_checksum: bool = False) -> None:
        """Download artifact ``name`` to ``output_file_path`` (default: its basename in cwd).

        An existing folder as ``output_file_path`` receives the file under its basename.
        With ``_validate_checksum`` the byte count is checked against the stored size.
        """
        path = _normalize(name)
        await_outputs(self, path, what="download_file")
        target = os.path.basename(path) if output_file_path is None else os.fspath(
            output_file_path)
        if os.path.isdir(target):
            target = os.path.join(target, os.path.basename(path))
        parent = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(parent):
            raise UserErrorException(
                f"Cannot download {path!r} to {target!r}: folder {parent} does not exist")
        expected = None
        if _validate_checksum:
            expected = next((a.size for a in self._store.list_artifacts(self.id, prefix=path)
                             if a.path == path), None)
        self._download_one(path, target, expected)

    def _download_one(self, path: str, target: str, expected_size: int | None = None) -> None:
        source = self._store.open_artifact(self.id, path)
        try:
            _copy_to_file(source, target, repr(path), expected_size)
        finally:
            source.close()

    def download_files(self, prefix: str | None = None,
                       output_directory: str | os.PathLike | None = None,
                       output_paths: Sequence[str | os.PathLike] | None = None,
                       batch_size: int = 100, append_prefix: bool = True,
                       timeout_seconds: float | None = None) -> None:
        """Download every artifact under ``prefix`` (all of them without one), v1 path rules.

        Each file keeps its full artifact path below ``output_directory`` (default: cwd). With
        ``append_prefix=False`` and an ``output_directory`` the prefix is stripped.
        ``output_paths`` (one unique path per matched artifact, in path order) overrides the
        targets. ``batch_size`` is accepted for v1 compatibility (files stream one by one).
        """
        clean_prefix = None
        if prefix:
            clean_prefix = _normalize(prefix.rstrip("/"))
        await_outputs(self, clean_prefix, what="download_files")
        artifacts = sorted(self._store.list_artifacts(
            self.id, prefix=None if clean_prefix is None else clean_prefix + "/"),
            key=lambda a: a.path)
        if clean_prefix is not None:
            # The store's prefix is a plain string prefix; v1 means the folder.
            artifacts = [a for a in artifacts if a.path.startswith(clean_prefix + "/")]
        paths = [a.path for a in artifacts]
        if output_paths is not None:
            targets = [os.fspath(p) for p in output_paths]
            if len(targets) != len(paths):
                raise UserErrorException(
                    f"output_paths has {len(targets)} entries but {len(paths)} artifacts match "
                    f"prefix {prefix!r}")
            if len(set(targets)) != len(targets):
                raise UserErrorException("output_paths must be unique")
        else:
            base = os.getcwd() if output_directory is None else os.fspath(output_directory)
            strip = clean_prefix is not None and not append_prefix and output_directory is not None
            real_base = os.path.realpath(base)
            targets = []
            for path in paths:
                rel = path[len(clean_prefix) + 1:] if strip else path
                target = os.path.join(base, *rel.split("/"))
                if not _inside(os.path.realpath(target), real_base):
                    raise UserErrorException(f"Artifact {path!r} would be written outside {base}")
                targets.append(target)
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        sizes = {a.path: a.size for a in artifacts}
        for path, target in zip(paths, targets, strict=True):
            if deadline is not None and time.monotonic() > deadline:
                raise AzureMLException(
                    f"Downloading files of run {self.id} timed out after {timeout_seconds} s")
            parent = os.path.dirname(os.path.abspath(target))
            os.makedirs(parent, exist_ok=True)
            self._download_one(path, target, sizes[path])

    # ------------------------------------------------------------------ snapshots

    def _set_snapshot(self, snapshot_id: str) -> None:
        self._record = self._store.update_run(self.id, snapshot_id=snapshot_id)
        self._store.add_run_properties(self.id, {"ContentSnapshotId": snapshot_id})
        self._record.properties["ContentSnapshotId"] = snapshot_id

    def take_snapshot(self, file_or_folder_path: str | os.PathLike) -> str:
        """Store a snapshot of a file or folder for this run; returns the snapshot id."""
        from .snapshot import store_snapshot  # on use: zip/hash machinery only for snapshots

        if self.get_snapshot_id() is not None:
            raise SnapshotException(
                f"Run {self.id} already has snapshot {self._record.snapshot_id}; a run can only "
                "have one snapshot")
        record = store_snapshot(self._store, self.experiment.workspace._record.id,
                                file_or_folder_path)
        self._set_snapshot(record.id)
        return record.id

    def get_snapshot_id(self) -> str | None:
        """The id of the run's snapshot, or None."""
        self._record = self._store.get_run(self.id)
        return self._record.snapshot_id

    def restore_snapshot(self, snapshot_id: str | None = None,
                         path: str | os.PathLike | None = None) -> str:
        """Write a snapshot (default: the run's) to a zip file; returns the zip's path.

        ``path`` is the zip file, or a folder receiving ``<snapshot_id>.zip`` (default: cwd).
        """
        from .snapshot import snapshot_to_zip  # on use: zip/hash machinery only for snapshots

        snapshot_id = snapshot_id or self.get_snapshot_id()
        if snapshot_id is None:
            raise SnapshotException(f"Run {self.id} has no snapshot to restore")
        target = os.getcwd() if path is None else os.fspath(path)
        if os.path.isdir(target):
            target = os.path.join(target, f"{snapshot_id}.zip")
        return os.path.abspath(snapshot_to_zip(self._store, snapshot_id, target))

