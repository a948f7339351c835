"""Server services of the dataset rows (``api/datasets.py``), for the studio: the listing, one
dataset with its versions, a version, a paged preview, the stored profile (computed on POST),
the runs that read or wrote a version, a run's datasets, and registering a file-browser
selection. They read the asset rows the SDK writes (kind ``dataset``); previews, profiles and
registrations go through the SDK (``jupyter_mlws.data``), the one place datasets are read.

The server reads a version only from datastores and from files below its root folder: a URL
source would make it read with its own access (any local file, its cloud credentials) on a
client's behalf.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..api.operation import Request
from ..core.workspace import Workspace
from ..store.base import AssetRecord, InvalidInputError, NotFoundError, RunQuery, Store
from ..store.data import registry
from ..store.data.transfer import display_paths
from .authz import MlwsResource

if TYPE_CHECKING:
    from .routes import OperationHandler

CELL_MAX_CHARS = 2000  # a preview cell longer than this is cut
LINEAGE_RUNS_MAX = 1000


summary = registry.version_summary


def detail(record: AssetRecord) -> dict[str, Any]:
    spec = record.spec
    return {**summary(record), "definition": spec.get("definition"),
            "columns": (spec.get("schema") or {}).get("columns"),
            "data_changed_time": spec.get("data_changed_time")}


def _workspace(store: Store, workspace_id: str) -> Workspace:
    return Workspace._from_record(store, store.get_workspace_by_id(workspace_id))


def _version(store: Store, workspace_id: str, name: str,
             version: int | None = None) -> AssetRecord:
    return store.get_asset(workspace_id, registry.DATASET_KIND, name, version)


def check_server_may_read(root: str, record: AssetRecord) -> None:
    """Refuse a version with a source outside the datastores and ``root`` (see above)."""
    root = os.path.realpath(root)
    for source in (record.spec.get("definition") or {}).get("sources", []):
        url = source.get("url") if isinstance(source, dict) else None
        if url is None:
            continue
        local = url[len("file://"):] if url.startswith("file://") else url
        if "://" in local or os.path.commonpath(
                [root, os.path.realpath(local.split("*", 1)[0] or "/")]) != root:
            raise InvalidInputError(
                f"Dataset {record.name!r} reads {url[:200]!r} directly; the server reads "
                "datastores and files below its root folder only. Preview it in the SDK "
                "instead.")


def _dataset(store: Store, root: str, workspace_id: str, name: str, version: int) -> Any:
    from ..data.abstract_dataset import AbstractDataset  # on use: loads 5 more modules

    record = _version(store, workspace_id, name, version)
    check_server_may_read(root, record)
    return AbstractDataset._from_record(_workspace(store, workspace_id), record)


# ---- the operations, blocking (called off the event loop)


def list_datasets(store: Store, workspace_id: str) -> dict[str, Any]:
    store.get_workspace_by_id(workspace_id)  # 404 for an unknown workspace, not []
    return {"datasets": [summary(r) for r in
                         store.list_assets(workspace_id, registry.DATASET_KIND)]}


def get_dataset(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    latest = _version(store, workspace_id, name)
    versions = store.list_assets(workspace_id, registry.DATASET_KIND, name, latest_only=False)
    return {**detail(latest), "versions": [summary(v) for v in versions]}


def preview(store: Store, root: str, workspace_id: str, name: str, version: int, offset: int,
            limit: int) -> dict[str, Any]:
    dataset = _dataset(store, root, workspace_id, name, version)
    if dataset._record.spec.get("type") == "file":
        entries = dataset._entries()
        names = display_paths(dataset._manifest_loaded(), entries)
        chosen = list(zip(names, entries, strict=True))[offset:offset + limit]
        return {"kind": "file", "offset": offset, "total": len(entries),
                "files": [{"path": "/" + n, "size": e[2], "mtime": e[3]} for n, e in chosen]}
    table = dataset.skip(offset).take(limit + 1).to_arrow()
    more = table.num_rows > limit
    table = table.slice(0, limit)
    rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    return {"kind": "tabular", "offset": offset, "has_more": more,
            "columns": [[f.name, str(f.type)] for f in table.schema], "rows": rows}


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return text[:CELL_MAX_CHARS]


def stored_profile(store: Store, workspace_id: str, name: str, version: int) -> dict[str, Any]:
    record = _version(store, workspace_id, name, version)
    profile = record.state.get("profile")
    if not isinstance(profile, dict):
        raise NotFoundError(f"Dataset {name!r} version {record.version} has no profile yet; "
                            "POST to compute it.")
    return profile


def compute_profile(store: Store, root: str, workspace_id: str, name: str,
                    version: int) -> dict[str, Any]:
    return _dataset(store, root, workspace_id, name, version).get_profile()


def dataset_runs(store: Store, workspace_id: str, name: str, version: int) -> dict[str, Any]:
    record = _version(store, workspace_id, name, version)
    found = {}
    for direction in ("in", "out"):
        query = RunQuery(properties={registry.lineage_key(record, direction): None},
                         include_children=True, limit=LINEAGE_RUNS_MAX)
        found[direction] = store.list_runs(workspace_id, query)
    return {"inputs": found["in"], "outputs": found["out"]}


def confine(root: str, value: str) -> str:
    """A selected path (relative to the server's root folder) as an existing real path in
    it."""
    root = os.path.realpath(root)
    if "\x00" in value or value.startswith(("/", "~")) or "\\" in value:
        raise InvalidInputError(f"Path {value[:80]!r} must be relative to the server's root "
                                "folder.")
    path = os.path.realpath(os.path.join(root, value))
    if os.path.commonpath([root, path]) != root:
        raise InvalidInputError(f"Path {value[:80]!r} leaves the server's root folder.")
    if not os.path.exists(path):
        raise InvalidInputError(f"Path {value[:80]!r} does not exist.")
    return path


def register_from_files(store: Store, root: str, workspace_id: str, body: Any) -> dict[str, Any]:
    from ..core.dataset import Dataset  # on use: loads 12 more modules

    files = [confine(root, p) for p in body.paths]
    workspace = _workspace(store, workspace_id)
    if body.type == "file":
        dataset = Dataset.File.from_files(files)
    else:
        factory = {"delimited": Dataset.Tabular.from_delimited_files,
                   "parquet": Dataset.Tabular.from_parquet_files,
                   "json_lines": Dataset.Tabular.from_json_lines_files}[body.format]
        dataset = factory(files)
    registered = dataset.register(workspace, body.name, description=body.description,
                                  create_new_version=body.create_new_version)
    return detail(registered._record)


# ---- the services, as routes.py calls them


def _root(handler: OperationHandler) -> str:
    return str(handler.settings.get("server_root_dir") or os.getcwd())


def _key(request: Request) -> tuple[str, str, int]:
    params = request.params
    return params["workspace_id"], params["dataset_name"], params["version"]


async def datasets_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(list_datasets, request.params["workspace_id"])


async def register_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(register_from_files, _root(handler),
                                    request.params["workspace_id"], request.body)


async def dataset_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(get_dataset, request.params["workspace_id"],
                                    request.params["dataset_name"])


async def version_service(handler: OperationHandler, request: Request) -> Any:
    return detail(await handler.call_store(_version, *_key(request)))


async def preview_service(handler: OperationHandler, request: Request) -> Any:
    query: Any = request.query
    return await handler.call_store(preview, _root(handler), *_key(request), query.offset,
                                    query.limit)


async def profile_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(stored_profile, *_key(request))


async def compute_profile_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(compute_profile, _root(handler), *_key(request))


async def dataset_runs_service(handler: OperationHandler, request: Request) -> Any:
    # The runs are assets of their own: listing them needs read on the workspace's runs too.
    handler.mlws.authz.check_resource(handler.current_user, "read", MlwsResource(
        "run", request.params["workspace_id"], None,
        "Microsoft.MachineLearningServices/workspaces/experiments/runs/read",
        "listDatasetRuns"))
    return await handler.call_store(dataset_runs, *_key(request))


async def run_datasets_service(handler: OperationHandler, request: Request) -> Any:
    run = await handler.call_store(lambda s: s.get_run(request.params["run_id"]))
    return registry.parse_lineage(run.properties)


__all__ = ["check_server_may_read", "compute_profile", "confine", "dataset_runs", "detail",
           "get_dataset", "list_datasets", "preview", "register_from_files", "stored_profile",
           "summary"]
