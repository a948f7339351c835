"""The datastores of the HTTP store, each method the operation of the same name in the table
(``jupyter_mlws.api``). Credentials stay on the server, which reads the files for this client."""

from __future__ import annotations

from typing import BinaryIO

from ...api.table import operation
from ..base import DatastoreFileRecord, InvalidInputError
from ..codec import record
from ..data.locations import DatastoreFS, normalize_data_file
from .endpoint import Endpoint, records, wire
from .rest_fs import DatastoreRestFileSystem


class DatastoreMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- datastores: credentials stay on the server, which reads the files for this client
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        self._call_endpoint("putDatastoreSecret", {"workspace_id": workspace_id,
                                                   "datastore_name": datastore_name},
                            {"secret": secret})

    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        raise InvalidInputError("Datastore credentials are never sent over REST: the server "
                                "reads the datastore for this client")

    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        self._call_endpoint("deleteDatastoreSecret", {"workspace_id": workspace_id,
                                                      "datastore_name": datastore_name})

    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        # One lookup, so an unknown datastore fails here as it does in the SQL store.
        self.get_datastore_file_info(workspace_id, datastore_name)
        return DatastoreFS(DatastoreRestFileSystem(self, workspace_id, datastore_name), "",
                           False, datastore_name)

    def list_datastore_files(self, workspace_id: str, datastore_name: str, path: str = "", *,
                             recursive: bool = False,
                             glob: str | None = None) -> list[DatastoreFileRecord]:
        return records(DatastoreFileRecord, self._call_endpoint(
            "listDatastoreFiles", {"workspace_id": workspace_id,
                                   "datastore_name": datastore_name},
            query={"path": path, "recursive": recursive, "glob": glob})["files"])

    def get_datastore_file_info(self, workspace_id: str, datastore_name: str,
                                path: str = "") -> DatastoreFileRecord:
        return record(DatastoreFileRecord, self._call_endpoint(
            "getDatastoreFileInfo", {"workspace_id": workspace_id,
                                     "datastore_name": datastore_name}, query={"path": path}))

    def open_datastore_file(self, workspace_id: str, datastore_name: str,
                            path: str) -> BinaryIO:
        return self.http.download(self._datastore_file_url(
            "downloadDatastoreFile", workspace_id, datastore_name, path))

    def read_datastore_range(self, workspace_id: str, datastore_name: str, path: str,
                             start: int, end: int | None) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive; None: the end) of a file: one ranged GET of
        downloadDatastoreFile (how the datastore file system over REST reads)."""
        return bytes(self.http.send("GET", self._datastore_file_url(
            "downloadDatastoreFile", workspace_id, datastore_name, path), headers={
                "Range": f"bytes={start}-{'' if end is None else end - 1}"}).content)

    def upload_datastore_file(self, workspace_id: str, datastore_name: str, path: str,
                              source: BinaryIO, *,
                              overwrite: bool = False) -> DatastoreFileRecord:
        return record(DatastoreFileRecord, self.http.upload(self._datastore_file_url(
            "uploadDatastoreFile", workspace_id, datastore_name, path), source,
            params={"overwrite": wire(overwrite)}))

    def delete_datastore_file(self, workspace_id: str, datastore_name: str,
                              path: str) -> None:
        self._call_endpoint("deleteDatastoreFile", {
            "workspace_id": workspace_id, "datastore_name": datastore_name,
            "path": normalize_data_file(path)})

    def _datastore_file_url(self, operation_id: str, workspace_id: str, datastore_name: str,
                            path: str) -> str:
        # Confined before it goes into a URL, as artifact paths are.
        return self._path(operation(operation_id), {
            "workspace_id": workspace_id, "datastore_name": datastore_name,
            "path": normalize_data_file(path)})
