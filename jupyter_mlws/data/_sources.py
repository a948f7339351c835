"""The paths a dataset factory accepts, turned into the sources of a definition.

Accepted (alone or in a list, not mixing datastores and URLs, as in v1): a ``(datastore,
"path/glob")`` tuple, a ``DataPath``, a ``DataReference`` (``datastore.path("x")``), a URL
string (``s3://``, ``https://``, ``abfs://``... any fsspec URL) or a local path / ``file://``
URL. Sources are ``{"datastore": name, "path": normalized}`` or ``{"url": url}``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import StoreError
from ..store.data.locations import DatastoreFS, is_local_fs, normalize_data_path, url_fs

if TYPE_CHECKING:
    from ..core.workspace import Workspace


def _datastore_item(item: Any) -> tuple[Any, str] | None:
    from .abstract_datastore import AbstractDatastore
    from .data_reference import DataReference
    from .datapath import DataPath

    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], AbstractDatastore):
        return item[0], item[1] or ""
    if isinstance(item, DataPath):
        return item._datastore, item.path_on_datastore
    if isinstance(item, DataReference):
        return item.datastore, item.path_on_datastore or ""
    if isinstance(item, AbstractDatastore):
        return item, ""
    return None


def to_sources(path: Any) -> tuple[list[dict[str, Any]], Workspace | None]:
    """(sources, the workspace of their datastores or None)."""
    items = path if isinstance(path, list) else [path]
    if isinstance(path, tuple) and _datastore_item(path) is None:
        items = list(path)
    if not items:
        raise UserErrorException("path must name at least one file, folder or glob")
    sources: list[dict[str, Any]] = []
    workspace = None
    for item in items:
        found = _datastore_item(item)
        if found is not None:
            datastore, rel = found
            if workspace is not None and datastore.workspace != workspace:
                raise UserErrorException("All datastores of a dataset must be in one workspace")
            workspace = datastore.workspace
            try:
                sources.append({"datastore": datastore.name,
                                "path": normalize_data_path(rel, "Dataset path")})
            except StoreError as exc:
                raise UserErrorException(str(exc)) from exc
            continue
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if not isinstance(item, str) or not item:
            raise UserErrorException(
                f"A dataset path is a (datastore, 'path') tuple, a DataPath, a URL or a local "
                f"path, not {type(item).__name__} {item!r}")
        if "\x00" in item:
            raise UserErrorException("A dataset path must not contain NUL characters")
        url = item if "://" in item else os.path.abspath(os.path.expanduser(item))
        sources.append({"url": url})
    kinds = {"datastore" in s for s in sources}
    if len(kinds) > 1:
        raise UserErrorException("A dataset's paths are either all on datastores or all URLs, "
                                 "not a mix (as in v1)")
    return sources, workspace


def open_source(source: dict[str, Any], workspace: Workspace | None) -> tuple[DatastoreFS, str]:
    """(file system, pattern) of a definition source (see ``manifest.resolve``)."""
    if "datastore" in source:
        if workspace is None:
            raise UserErrorException("This dataset reads datastores: it needs its workspace")
        dfs = workspace._call_store(workspace._store.datastore_filesystem,
                                    workspace._record.id, source["datastore"])
        return dfs, source.get("path", "")
    return url_source_fs(source["url"])


def url_source_fs(url: str) -> tuple[DatastoreFS, str]:
    fs, path = url_fs(url)
    return DatastoreFS(fs, "", is_local_fs(fs), url), path


__all__ = ["open_source", "to_sources", "url_source_fs"]
