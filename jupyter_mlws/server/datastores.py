"""Server side of the datastore rows that are not one plain store call (``api/datastores.py``):
the listing (records without storage options, never a credential), a file of a datastore
streamed out (ranges honoured) and one streamed in. Validation and authorization happened
before (``routes.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO

from ..api.operation import Operation, Request
from ..store.base import Store
from ..store.data import registry
from .files import ArtifactUpload, send_stream

if TYPE_CHECKING:
    from .routes import OperationHandler

# Spec fields REST never shows: storage options may name keys, the subpath is internal.
HIDDEN_SPEC_FIELDS = frozenset({"storage_options", "subpath"})


def public_spec(spec: dict[str, Any], default: str) -> dict[str, Any]:
    """A datastore record as REST shows it (credentials are never in specs; storage options
    may still name them, so they are left out too)."""
    shown = {k: v for k, v in spec.items() if k not in HIDDEN_SPEC_FIELDS}
    shown["is_default"] = str(spec.get("name", "")).casefold() == default
    return shown


def list_datastores(store: Store, workspace_id: str) -> dict[str, Any]:
    store.get_workspace_by_id(workspace_id)  # 404 for an unknown workspace, not built-ins
    default = registry.default_datastore_name(store, workspace_id)
    return {"datastores": [public_spec(s, default)
                           for s in registry.list_datastore_specs(store, workspace_id)],
            "default": default}


async def datastores_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(list_datastores, request.params["workspace_id"])


async def download_datastore_file(handler: OperationHandler, op: Operation,
                                  request: Request) -> None:
    # User content served from the Jupyter origin: never let it script.
    handler.set_header("Content-Security-Policy", handler.content_security_policy + "; sandbox")
    stream = await handler.call_store(lambda s: op.execute(s, request))
    await send_stream(handler, stream, "application/octet-stream", None, ranges=True)


class DatastoreUpload(ArtifactUpload):
    """Chunks through the same bounded pipe as artifacts, into
    ``Store.upload_datastore_file`` (which leaves no file behind when it fails)."""

    def write(self, store: Store, source: BinaryIO) -> Any:
        params = self.request.params
        return store.upload_datastore_file(
            params["workspace_id"], params["datastore_name"], params["path"], source,
            overwrite=bool(getattr(self.request.query, "overwrite", False)))


__all__ = ["DatastoreUpload", "datastores_service", "download_datastore_file",
           "list_datastores", "public_spec"]
