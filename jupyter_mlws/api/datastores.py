"""Datastores: models and operations. The listing shows records without credentials; the
secret is write-only; a datastore's files (list, info, ranged download, streamed upload,
delete) are how the HTTP store reaches them, so credentials never leave the server.

The records themselves are assets of kind ``datastore`` (registered by the SDK through the
asset rows); these rows add what the asset rows cannot: the built-in datastores, the default,
the secret and the files. The resource a policy sees is ``datastore`` named by the datastore
(None for the listing)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, StringConstraints

from ..store.base import DatastoreFileRecord
from .operation import Operation, Request
from .types import DataGlob, DataPath, Key, Model, QueryModel, ResponseModel, Timestamp

MAX_SECRET_FIELDS = 32
SecretValue = Annotated[str, StringConstraints(max_length=16 * 1024)]


class Datastore(ResponseModel):
    """A datastore's record as the API shows it: its spec without storage options (which
    may hold keys) and never a credential; other fields depend on ``type``."""

    model_config = ConfigDict(extra="allow")
    name: str
    type: str = Field(description="workspace (built in) | local | fsspec")
    datastore_type: str = Field(description="v1's type: AzureBlob, AzureFile, "
                                            "AzureDataLakeGen2, S3, Local, Fsspec")
    is_default: bool
    url: str | None = None
    has_secret: bool = Field(False, description="Whether credentials are stored for it")


class DatastoreList(ResponseModel):
    datastores: list[Datastore]
    default: str = Field(description="The default datastore's name")


class DatastoreSecret(Model):
    secret: dict[Key, SecretValue] = Field(
        max_length=MAX_SECRET_FIELDS,
        description="Credential fields (account_key, sas_token, key, secret, ...): stored "
                    "apart from the record, replaced as a whole, never answered")


class DatastoreFile(ResponseModel):
    record: ClassVar[type] = DatastoreFileRecord
    path: str = Field(description="Relative to the datastore's root")
    type: str = Field(description="file | directory")
    size: int = Field(description="0 for a folder")
    mtime: Timestamp | None
    etag: str | None


class DatastoreFileList(ResponseModel):
    files: list[DatastoreFile]


class FilesQuery(QueryModel):
    path: DataPath = Field("", description="A file or folder ('' is the root)")
    recursive: bool = Field(False, description="Every file below, instead of one level")
    glob: DataGlob | None = Field(None, description="The files a glob matches ('**' spans "
                                                    "folders); instead of path")


class FileQuery(QueryModel):
    path: DataPath = Field("", description="A file or folder ('' is the root)")


class OverwriteQuery(QueryModel):
    overwrite: bool = False


def _datastore(request: Request) -> str:
    return str(request.params["datastore_name"])


_BASE = "/workspaces/{workspace_id}/datastores"
_ONE = _BASE + "/{datastore_name}"
_CONTENT = _ONE + "/files/content/{path}"
_READ, _WRITE, _DELETE = (f"workspaces/datastores/{verb}" for verb in ("read", "write",
                                                                       "delete"))


def _files(records: Any, _: Request) -> dict[str, Any]:
    return {"files": records}


OPERATIONS = [
    Operation("listDatastores", "GET", _BASE, _READ, "The workspace's datastores (built-in and "
              "registered) and which is the default; never a credential", "workspace",
              response=DatastoreList, resource="datastore", resource_name=lambda r: None),
    Operation("putDatastoreSecret", "PUT", _ONE + "/secret", _WRITE, "Store (replace) a "
              "datastore's credentials; write-only", "workspace", store="put_datastore_secret",
              body=DatastoreSecret, body_kind="json", response_kind="empty", status=204,
              max_body=64 * 1024, resource="datastore", resource_name=_datastore),
    Operation("deleteDatastoreSecret", "DELETE", _ONE + "/secret", _DELETE, "Forget a "
              "datastore's credentials", "workspace", store="delete_datastore_secret",
              response_kind="empty", status=204, resource="datastore",
              resource_name=_datastore),
    Operation("listDatastoreFiles", "GET", _ONE + "/files", _READ, "Files (and folders) under "
              "a path of a datastore, or the files a glob matches", "workspace",
              store="list_datastore_files", query=FilesQuery, response=DatastoreFileList,
              shape=_files, resource="datastore", resource_name=_datastore),
    Operation("getDatastoreFileInfo", "GET", _ONE + "/files/info", _READ, "One file or "
              "folder of a datastore", "workspace", store="get_datastore_file_info",
              query=FileQuery, response=DatastoreFile, resource="datastore",
              resource_name=_datastore),
    Operation("downloadDatastoreFile", "GET", _CONTENT, _READ, "One file of a datastore, "
              "streamed (single byte ranges honoured)", "workspace",
              store="open_datastore_file", response_kind="file", errors=(416,),
              resource="datastore", resource_name=_datastore),
    Operation("uploadDatastoreFile", "PUT", _CONTENT, _WRITE, "Upload one file into a "
              "datastore, streamed (at most MlwsApp.max_upload_bytes); a failed upload leaves "
              "no file", "workspace", store="upload_datastore_file", query=OverwriteQuery,
              body_kind="stream", response=DatastoreFile, status=201, errors=(409, 413),
              max_body=None, resource="datastore", resource_name=_datastore),
    Operation("deleteDatastoreFile", "DELETE", _CONTENT, _DELETE, "Delete one file of a "
              "datastore", "workspace", store="delete_datastore_file", response_kind="empty",
              status=204, resource="datastore", resource_name=_datastore),
]


__all__ = ["OPERATIONS", "Datastore", "DatastoreFile", "DatastoreFileList", "DatastoreList",
           "DatastoreSecret"]
