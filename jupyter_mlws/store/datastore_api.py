"""The datastore part of the store interface: credentials and the files of a datastore.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`DatastoreApi`; the SQL store implements it
in ``sql/datastores.py``, the HTTP store in ``http/datastores.py``.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, BinaryIO

from .records import DatastoreFileRecord

if TYPE_CHECKING:
    from .data.locations import DatastoreFS


class DatastoreApi(abc.ABC):
    """Datastores' secrets and files (their records are assets of kind ``datastore``)."""

    # ---- datastores (records are assets of kind "datastore", see store/data/registry.py)
    @abc.abstractmethod
    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        """The file system and root of a registered or built-in datastore, opened with its
        secret. Over HTTP the files are reached through the server (the secret stays there)."""

    @abc.abstractmethod
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        """Store (replace) the credentials of a datastore, apart from its record (the SQL
        store: sealed in the key vault, not one of its secrets); never returned over REST."""

    @abc.abstractmethod
    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        """The stored credentials ({} when none). Only where the database is opened."""

    @abc.abstractmethod
    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        """Forget a datastore's credentials (no error when there are none)."""

    # Files of a datastore, by datastore-relative path (confined: store/data/locations.py).
    # Composites over datastore_filesystem for stores that open the file system themselves;
    # the HTTP store sends each to the server, which holds the credentials.
    def list_datastore_files(self, workspace_id: str, datastore_name: str, path: str = "", *,
                             recursive: bool = False,
                             glob: str | None = None) -> list[DatastoreFileRecord]:
        """Files (and, not recursive, folders) under ``path``, or the files ``glob``
        matches; NotFoundError for a missing folder."""
        from .data import files  # cycle: store.data imports base

        return files.list_entries(self.datastore_filesystem(workspace_id, datastore_name),
                                  path, recursive=recursive, glob=glob)

    def get_datastore_file_info(self, workspace_id: str, datastore_name: str,
                                path: str = "") -> DatastoreFileRecord:
        """One file or folder ("" is the root); NotFoundError when missing."""
        from .data import files  # cycle: data imports base

        return files.file_info(self.datastore_filesystem(workspace_id, datastore_name), path)

    def open_datastore_file(self, workspace_id: str, datastore_name: str,
                            path: str) -> BinaryIO:
        """A readable (seekable where the file system is) stream of one file."""
        from .data import files  # cycle: data imports base

        return files.open_file(self.datastore_filesystem(workspace_id, datastore_name), path)

    def upload_datastore_file(self, workspace_id: str, datastore_name: str, path: str,
                              source: BinaryIO, *,
                              overwrite: bool = False) -> DatastoreFileRecord:
        """Stream ``source`` into one file (ConflictError if it exists and not
        ``overwrite``); a failed write leaves no file behind."""
        from .data import files  # cycle: data imports base

        return files.write_file(self.datastore_filesystem(workspace_id, datastore_name), path,
                                source, overwrite=overwrite)

    def delete_datastore_file(self, workspace_id: str, datastore_name: str,
                              path: str) -> None:
        """Delete one file (a folder is InvalidInputError)."""
        from .data import files  # cycle: data imports base

        files.delete_file(self.datastore_filesystem(workspace_id, datastore_name), path)
