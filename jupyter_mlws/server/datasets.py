"""Datasets over REST, for the studio: the list, one dataset with its versions, a version's
definition, a paged preview of its first rows (or files), its stored profile (computed on
``POST``), the runs that read or wrote it, a run's datasets, and registering files selected in
the file browser. The SDK itself registers through the asset routes; these read the same rows.

Authorization: resource kind ``dataset`` named by the dataset (None for the list), actions
``read`` and ``write`` (register, compute a profile); a run's datasets need ``read`` on the run.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.base import AssetRecord, RunQuery, StoreError
from ..store.data import registry
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_str
from .compute import _workspace, call_sdk

PREVIEW_MAX = 500
_FORMATS = ("delimited", "parquet", "json_lines")


def check_dataset(value: str) -> str:
    try:
        return registry.check_dataset_name(value)
    except StoreError as exc:
        raise bad_request(str(exc)) from exc


def summary(record: AssetRecord) -> dict[str, Any]:
    spec = record.spec
    manifest = spec.get("manifest") or {}
    return {"name": record.name, "version": record.version, "id": spec.get("id"),
            "type": spec.get("type"), "description": record.description,
            "tags": record.tags, "created_time": record.created_time,
            "files": manifest.get("files"), "bytes": manifest.get("bytes"),
            "has_profile": "profile" in record.state}


def detail(record: AssetRecord) -> dict[str, Any]:
    spec = record.spec
    return {**summary(record), "definition": spec.get("definition"),
            "columns": (spec.get("schema") or {}).get("columns"),
            "data_changed_time": spec.get("data_changed_time")}


class _DatasetHandler(MlwsHandler):
    async def _version(self, workspace_id: str, name: str, version: str | None,
                       action: str = "read") -> AssetRecord:
        check_id(workspace_id, "workspace id")
        check_dataset(name)
        number = None
        if version is not None:
            if not version.isdigit() or not 1 <= int(version) <= 2**31:
                raise bad_request("A dataset version is a positive integer.")
            number = int(version)
        self.authorize(action, MlwsResource("dataset", workspace_id, name))
        return await self.call(self.store.get_asset, workspace_id, registry.DATASET_KIND,
                               name, number)

    async def _dataset(self, workspace_id: str, record: AssetRecord) -> Any:
        self._check_server_may_read(record)
        ws = await self.load_workspace(workspace_id)

        def build() -> Any:
            from ..data.abstract_dataset import AbstractDataset

            return AbstractDataset._from_record(_workspace(self.store, ws), record)

        return await call_sdk(build)


    def _check_server_may_read(self, record: AssetRecord) -> None:
        """The server reads a version only from datastores and from files below its root
        folder: a URL source would make it read with its own access (any local file, its
        cloud credentials) on behalf of a client."""
        root = os.path.realpath(self.settings.get("server_root_dir") or os.getcwd())
        for source in (record.spec.get("definition") or {}).get("sources", []):
            url = source.get("url") if isinstance(source, dict) else None
            if url is None:
                continue
            local = url[len("file://"):] if url.startswith("file://") else url
            if "://" in local or os.path.commonpath(
                    [root, os.path.realpath(local.split("*", 1)[0] or "/")]) != root:
                raise bad_request(f"Dataset {record.name!r} reads {url[:200]!r} directly; the "
                                  "server reads datastores and files below its root folder "
                                  "only. Preview it in the SDK instead.")


class DatasetsHandler(_DatasetHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("dataset", workspace_id, None))
        records = await self.call(self.store.list_assets, workspace_id, registry.DATASET_KIND)
        self.send_json({"datasets": [summary(r) for r in records]})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        """Register files below the server's root folder (the file browser's selection)."""
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"name", "type", "paths", "format", "description",
                            "create_new_version"})
        name = check_dataset(check_str(body, "name", required=True, max_length=200) or "")
        kind = body.get("type", "file")
        fmt = body.get("format") or "delimited"
        paths = body.get("paths")
        if kind not in ("file", "tabular") or fmt not in _FORMATS:
            raise bad_request(f"'type' is file or tabular and 'format' one of {_FORMATS}.")
        if not isinstance(paths, list) or not paths or len(paths) > 10000 or not all(
                isinstance(p, str) for p in paths):
            raise bad_request("'paths' is a non-empty list of paths relative to the server's "
                              "root folder.")
        new_version = body.get("create_new_version", True)
        if not isinstance(new_version, bool):
            raise bad_request("'create_new_version' must be true or false.")
        self.authorize("write", MlwsResource("dataset", workspace_id, name))
        root = os.path.realpath(self.settings.get("server_root_dir") or os.getcwd())
        files = [_confine(root, p) for p in paths]
        ws = await self.load_workspace(workspace_id)
        description = check_str(body, "description") or ""

        def register() -> AssetRecord:
            from ..core.dataset import Dataset

            workspace = _workspace(self.store, ws)
            if kind == "file":
                dataset = Dataset.File.from_files(files)
            else:
                factory = {"delimited": Dataset.Tabular.from_delimited_files,
                           "parquet": Dataset.Tabular.from_parquet_files,
                           "json_lines": Dataset.Tabular.from_json_lines_files}[fmt]
                dataset = factory(files)
            return dataset.register(workspace, name, description=description,
                                    create_new_version=new_version)._record

        self.send_json(detail(await call_sdk(register)), status=201)


def _confine(root: str, value: str) -> str:
    if "\x00" in value or value.startswith(("/", "~")) or "\\" in value:
        raise bad_request(f"Path {value[:80]!r} must be relative to the server's root folder.")
    path = os.path.realpath(os.path.join(root, value))
    if os.path.commonpath([root, path]) != root:
        raise bad_request(f"Path {value[:80]!r} leaves the server's root folder.")
    if not os.path.exists(path):
        raise bad_request(f"Path {value[:80]!r} does not exist.")
    return path


class DatasetHandler(_DatasetHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        latest = await self._version(workspace_id, name, None)
        versions = await self.call(self.store.list_assets, workspace_id, registry.DATASET_KIND,
                                   name, False)
        self.send_json({**detail(latest), "versions": [summary(v) for v in versions]})


class DatasetVersionHandler(_DatasetHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str, version: str) -> None:
        self.send_json(detail(await self._version(workspace_id, name, version)))


class DatasetPreviewHandler(_DatasetHandler):
    """``?offset=&limit=``: rows (tabular: columns and values) or files (file datasets)."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str, version: str) -> None:
        offset = self.query_int("offset", 0, minimum=0) or 0
        limit = self.query_int("limit", 50, minimum=1, maximum=PREVIEW_MAX) or 50
        record = await self._version(workspace_id, name, version)
        dataset = await self._dataset(workspace_id, record)

        def page() -> dict[str, Any]:
            if record.spec.get("type") == "file":
                from ..store.data.transfer import display_paths

                entries = dataset._entries()
                names = display_paths(dataset._manifest_loaded(), entries)
                chosen = list(zip(names, entries, strict=True))[offset:offset + limit]
                return {"kind": "file", "offset": offset, "total": len(entries),
                        "files": [{"path": "/" + n, "size": e[2], "mtime": e[3]}
                                  for n, e in chosen]}
            table = dataset.skip(offset).take(limit + 1).to_arrow()
            more = table.num_rows > limit
            table = table.slice(0, limit)
            rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
            return {"kind": "tabular", "offset": offset, "has_more": more,
                    "columns": [[f.name, str(f.type)] for f in table.schema], "rows": rows}

        self.send_json(await call_sdk(page))


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if not isinstance(value, str) or len(value) <= 2000 else value[:2000]
    return str(value)


class DatasetProfileHandler(_DatasetHandler):
    """GET the stored profile (404 before it was computed); POST computes and stores it."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str, version: str) -> None:
        record = await self._version(workspace_id, name, version)
        profile = record.state.get("profile")
        if not isinstance(profile, dict):
            from .base import ApiError

            raise ApiError(404, f"Dataset {name!r} version {record.version} has no profile "
                                "yet; POST to compute it.")
        self.send_json(profile)

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, name: str, version: str) -> None:
        record = await self._version(workspace_id, name, version, "write")
        dataset = await self._dataset(workspace_id, record)
        self.send_json(await call_sdk(dataset.get_profile))


class DatasetRunsHandler(_DatasetHandler):
    """The runs that read (``inputs``) and wrote (``outputs``) one version."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str, version: str) -> None:
        record = await self._version(workspace_id, name, version)
        self.authorize("read", MlwsResource("run", workspace_id))
        found = {}
        for direction in ("in", "out"):
            key = registry.lineage_key(record, direction)
            query = RunQuery(properties={key: None}, include_children=True, limit=1000)
            found[direction] = await self.call(self.store.list_runs, workspace_id, query)
        self.send_json({"inputs": found["in"], "outputs": found["out"]})


class RunDatasetsHandler(MlwsHandler):
    """A run's input and output datasets, from its lineage properties."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        self.authorize("read", MlwsResource("run", workspace_id, run_id))
        record = await self.load_run(workspace_id, run_id)
        self.send_json(registry.parse_lineage(record.properties))
