"""``AbstractDatastore``: what every datastore does (``azureml.data.abstract_datastore``):
identity, default, unregister, and v1's file transfers (upload, upload_files, download, path).

Files are reached through ``Store.datastore_filesystem``: the folder itself for local stores,
fsspec for object stores, the server's REST API when the SDK talks to a server. Credentials
never live on these objects; ``repr`` shows none.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import StoreError
from ..store.data import registry
from ..store.data.locations import DatastoreFS, normalize_data_path
from ..store.data.transfer import upload_files as _upload
from ._progress import Progress
from .data_reference import DataReference

if TYPE_CHECKING:
    from ..core.workspace import Workspace


def _user_error(exc: Exception) -> UserErrorException:
    return exc if isinstance(exc, UserErrorException) else UserErrorException(str(exc))


class AbstractDatastore:
    """A named location of files in a workspace."""

    # Attributes v1 shows per type; the concrete classes list theirs.
    _shown: tuple[str, ...] = ("name", "datastore_type")

    def __init__(self, workspace: Workspace, name: str, datastore_type: str,
                 spec: dict[str, Any] | None = None) -> None:
        self.workspace = workspace
        self.name = name
        self.datastore_type = datastore_type
        self._spec = dict(spec or {})

    # ---- identity
    def _fs(self) -> DatastoreFS:
        ws = self.workspace
        return ws._call_store(ws._store.datastore_filesystem, ws._record.id, self.name)

    def set_as_default(self) -> None:
        """Make this the workspace's default datastore."""
        ws = self.workspace
        ws._call_store(registry.set_default_datastore, ws._store, ws._record.id, self.name)

    def unregister(self) -> None:
        """Remove the registration (the files stay where they are) and its credentials."""
        ws = self.workspace
        if self.name.casefold() in ("workspaceblobstore", "workspacefilestore"):
            raise UserErrorException(f"{self.name} is a built-in datastore of the workspace "
                                     "and cannot be unregistered")
        ws._call_store(ws._store.delete_asset, ws._record.id, registry.DATASTORE_KIND,
                       self.name.casefold())
        ws._store.delete_datastore_secret(ws._record.id, self.name)
        if registry.default_datastore_name(ws._store, ws._record.id) == self.name.casefold():
            registry.set_default_datastore(ws._store, ws._record.id, "workspaceblobstore")

    # ---- references
    def path(self, path: str | None = None, data_reference_name: str | None = None
             ) -> DataReference:
        return DataReference(self, data_reference_name, path or "")

    def as_mount(self) -> DataReference:
        return self.path().as_mount()

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_download(path_on_compute)

    def as_upload(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_upload(path_on_compute)

    # ---- transfers
    def upload(self, src_dir: str, target_path: str | None = None, overwrite: bool = False,
               show_progress: bool = True) -> DataReference:
        """Upload ``src_dir`` recursively to ``target_path`` (the root when None); existing
        files are skipped unless ``overwrite``. Returns a DataReference to ``target_path``."""
        if not os.path.isdir(src_dir):
            raise UserErrorException(f"src_dir {src_dir!r} is not a folder")
        files = []
        for dirpath, dirnames, names in os.walk(src_dir):
            dirnames.sort()
            for file_name in sorted(names):
                path = os.path.join(dirpath, file_name)
                if os.path.isfile(path):
                    files.append(path)
        self._upload_many(files, os.path.abspath(src_dir), target_path, overwrite,
                          show_progress)
        return DataReference(self, None, target_path)

    def upload_files(self, files: list[str], relative_root: str | None = None,
                     target_path: str | None = None, overwrite: bool = False,
                     show_progress: bool = True) -> DataReference:
        """Upload the given files; names are relative to ``relative_root`` (default: the
        common folder of the files)."""
        if isinstance(files, str):
            raise UserErrorException("upload_files takes a list of file paths")
        paths = [os.path.abspath(f) for f in files]
        for path in paths:
            if not os.path.isfile(path):
                raise UserErrorException(f"{path!r} is not a file")
        if not paths:
            raise UserErrorException("upload_files needs at least one file")
        root = os.path.abspath(relative_root) if relative_root else (
            os.path.dirname(paths[0]) if len(paths) == 1 else os.path.commonpath(paths))
        for path in paths:
            if os.path.commonpath([root, path]) != root:
                raise UserErrorException(f"{path!r} is not under relative_root {root!r}")
        self._upload_many(paths, root, target_path, overwrite, show_progress)
        return DataReference(self, None, target_path)

    def _upload_many(self, paths: list[str], root: str, target_path: str | None,
                     overwrite: bool, show_progress: bool) -> None:
        try:
            target = normalize_data_path(target_path or "", "target_path")
            pairs = []
            for path in paths:
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                pairs.append((path, normalize_data_path(f"{target}/{rel}" if target else rel)))
            progress = Progress(show_progress, "Uploading")
            progress.start(len(pairs), f"Uploading an estimated of {len(pairs)} files")

            def skipped(local: str, rel: str) -> None:
                progress.note(f"Target already exists. Skipping upload for {rel}")

            written = _upload(self._fs(), pairs, overwrite=overwrite, progress=progress.file,
                              skipped=skipped)
            progress.end(f"Uploaded {len(written)} files")
        except StoreError as exc:
            raise _user_error(exc) from exc

    def download(self, target_path: str, prefix: str | None = None, overwrite: bool = False,
                 show_progress: bool = True) -> int:
        """Download the files under ``prefix`` to ``target_path/<full path>``; existing files
        are skipped unless ``overwrite``. Returns the number of files downloaded."""
        from ..store.data.errors import DataPathNotFoundError
        from ..store.data.manifest import list_files
        from ..store.data.transfer import _fetch

        try:
            dfs = self._fs()
            rel_prefix = normalize_data_path(prefix or "", "prefix")
            try:
                found = list_files(dfs, rel_prefix)
            except DataPathNotFoundError:
                found = []  # v1: nothing under the prefix downloads nothing
            progress = Progress(show_progress, "Downloading")
            progress.start(len(found), f"Downloading an estimated of {len(found)} files")
            count = 0
            for i, (full, size, _mtime, _etag) in enumerate(found, 1):
                rel = dfs.rel(full) if dfs.root else full
                target = os.path.join(target_path, *rel.split("/"))
                if os.path.exists(target) and not overwrite:
                    progress.note(f"Target already exists. Skipping download for {rel}")
                    continue
                _fetch(dfs, rel, size, target)
                count += 1
                progress.file(rel, i, len(found))
            progress.end(f"Downloaded {count} files")
            return count
        except StoreError as exc:
            raise _user_error(exc) from exc

    # ---- display
    def _display(self) -> dict[str, Any]:
        return {key: getattr(self, key, None) for key in self._shown}

    def __repr__(self) -> str:
        import json

        return json.dumps(self._display(), indent=2, default=str)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, AbstractDatastore) and other.workspace == self.workspace
                and other.name.casefold() == self.name.casefold())

    def __hash__(self) -> int:
        return hash((self.workspace, self.name.casefold()))


__all__ = ["AbstractDatastore"]
