"""A service's collected model data as a registered ``TabularDataset`` version.

The service daemon writes what ``ModelDataCollector`` (and, with ``collect_model_data``, the
request sampler) collected as Parquet files of the monitoring run
(:mod:`jupyter_mlws.execution.serving.collect`). v1 wrote collected data to the workspace's
blob storage (``modeldata/.../<designation>/<yyyy>/<mm>/<dd>/data.csv``) and users made a
dataset over those files; here, on request, the files not yet exported are copied to the
default datastore at ``modeldata/<service>/<designation>/<YYYY-MM-DD>/<file>.parquet`` (each
file once: they are immutable, so a copy is never redone or rewritten) and the Parquet files
there are registered as dataset ``<service>-<designation>``.

A version is the manifest of the files as they were: a call that finds files the latest
version does not have registers a new version; otherwise it returns the latest one. An older
version keeps reading only its own files. Versions are made when asked, not on a schedule:
a schedule would add versions nobody reads, and the files are in the run meanwhile.

:func:`collected_summary` is what the studio shows: per designation the files and rows
collected and the dataset versions made from them. A store that talks to a server
(``HttpStore``) has the server do both (``store/service_data_api.py``), so no collected file
travels to the client and back.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from ...exceptions import UserErrorException, WebserviceException
from ...store.artifact_io import copy_stream
from ...store.base import InvalidInputError
from ...store.data import registry
from ...store.data.manifest import list_files
from ...store.data.transfer import upload_files

if TYPE_CHECKING:
    from .webservice import Webservice

EXPORT_PREFIX = "modeldata"
SERVICE_TAG = "mlws.service"
DESIGNATION_TAG = "mlws.designation"


class CollectedDataNotFoundError(WebserviceException):
    """Nothing collected yet for a designation (HTTP 404 through the server)."""

    status_code = 404


def _datastore_pattern(service: str, designation: str) -> str:
    # Exact depth and suffix: a copy in progress (``<file>.<id>.partial``) never matches.
    return f"{EXPORT_PREFIX}/{service}/{designation}/*/*.parquet"


def _check_designation(designation: Any) -> str:
    from ...monitoring import check_designation  # on use: loads the monitoring module

    try:
        return check_designation(designation)
    except ValueError as exc:
        raise UserErrorException(str(exc)) from exc


def _collected_files(service: Webservice, designation: str | None = None) -> list[Any]:
    """The run's Parquet files (``data/<designation>/<day>/<file>.parquet``) of
    ``designation`` (None: of every designation)."""
    from ...execution.serving.collect import DATA_PREFIX  # on use: loads 4 more modules

    workspace = service.workspace
    prefix = f"{DATA_PREFIX}/{designation}/" if designation else f"{DATA_PREFIX}/"
    return [a for a in workspace._call_store(workspace._store.list_artifacts, service.run_id,
                                             prefix=prefix)
            if a.path.endswith(".parquet") and a.path.count("/") == 3]


def export_collected(service: Webservice, designation: str) -> tuple[Any, str]:
    """Copy the run's collected files of ``designation`` not yet in the default datastore;
    returns (datastore, glob of the exported files)."""
    from ..datastore import Datastore  # on use: loads the data modules

    _check_designation(designation)
    workspace = service.workspace
    store = workspace._store
    artifacts = _collected_files(service, designation)
    if not artifacts:
        found = sorted({a.path.split("/")[1] for a in _collected_files(service)})
        raise CollectedDataNotFoundError(
            f"Service {service.name!r} has no collected data of designation {designation!r} "
            f"yet (collected designations: {found or 'none'}). Deploy with "
            "collect_model_data=True; collected rows are written every few seconds.")
    datastore = Datastore.get_default(workspace)
    dfs = workspace._call_store(store.datastore_filesystem, workspace._record.id,
                                datastore.name)
    pattern = _datastore_pattern(service.name, designation)
    present = {dfs.rel(path) for path, *_ in list_files(dfs, pattern)}  # a glob: [] if none
    missing = []
    for artifact in artifacts:
        day, name = artifact.path.split("/")[2:]
        target = f"{EXPORT_PREFIX}/{service.name}/{designation}/{day}/{name}"
        if target not in present:
            missing.append((artifact.path, target))
    if missing:
        with tempfile.TemporaryDirectory(prefix="mlws-collected-") as folder:
            pairs = []
            for i, (path, target) in enumerate(missing):
                local = os.path.join(folder, f"{i}.parquet")
                with workspace._call_store(store.open_artifact, service.run_id, path) as src, \
                        open(local, "wb") as out:
                    copy_stream(src, out)
                pairs.append((local, target))
            # An existing target (exported meanwhile by another call) is the same file: skip.
            workspace._call_store(upload_files, dfs, pairs, overwrite=False)
    return datastore, pattern


def _dataset_name(service: Webservice, designation: str, dataset_name: str | None) -> str:
    name = dataset_name or f"{service.name}-{designation}"
    try:
        return registry.check_dataset_name(name)
    except InvalidInputError as exc:
        raise UserErrorException(str(exc)) from exc


def register_collected(service: Webservice, designation: str = "inputs",
                       dataset_name: str | None = None) -> tuple[Any, bool]:
    """(the registered dataset of ``designation``'s collected rows, whether this call made
    that version): the latest version when it holds every collected file, else a new
    version holding them all. Done here, over the store's primitives."""
    from ..dataset import Dataset  # on use: loads 18 more modules

    _check_designation(designation)
    name = _dataset_name(service, designation, dataset_name)  # before any file is copied
    datastore, pattern = export_collected(service, designation)
    current = Dataset.Tabular.from_parquet_files((datastore, pattern))
    try:
        latest = Dataset.get_by_name(service.workspace, name)
    except UserErrorException:
        latest = None
    tags = {SERVICE_TAG: service.name, DESIGNATION_TAG: designation}
    if latest is not None:
        if {k: latest.tags.get(k) for k in tags} != tags:
            raise UserErrorException(
                f"Dataset {name!r} exists and does not hold the collected data of service "
                f"{service.name!r} ({designation!r}): pass another dataset_name")
        if latest._manifest_loaded().files == current._manifest_loaded().files:
            return latest, False
    registered = current.register(
        service.workspace, name, create_new_version=True, tags=tags,
        description=f"Data collected by service {service.name!r} ({designation})")
    return registered, True


def collected_dataset(service: Webservice, designation: str = "inputs",
                      dataset_name: str | None = None) -> Any:
    """The registered dataset of ``designation``'s collected rows (see
    :func:`register_collected`); through the server when the store talks to one."""
    workspace = service.workspace
    _check_designation(designation)
    _dataset_name(service, designation, dataset_name)
    answer = workspace._call_store(workspace._store.register_collected_data,
                                   workspace._record.id, service.name, designation,
                                   dataset_name)
    if answer is None:
        return register_collected(service, designation, dataset_name)[0]
    from ..dataset import Dataset  # on use: loads 18 more modules

    found = answer["dataset"]
    return Dataset.get_by_name(workspace, found["name"], version=found["version"])


def _file_figures(path: str) -> tuple[int, float, float] | None:
    """(rows, first, last epoch seconds) from a collected file's name
    (``<first ms>_<last ms>_<rows>_<id>.parquet``); None for a name not of that shape."""
    parts = path.rsplit("/", 1)[-1].split("_")
    try:
        return int(parts[2]), int(parts[0]) / 1000, int(parts[1]) / 1000
    except (IndexError, ValueError):
        return None


def collected_summary(service: Webservice) -> dict[str, Any]:
    """What the service collected, per designation (sorted): ``files``, ``rows``, ``bytes``,
    ``first_time``/``last_time`` (epoch seconds), the default ``dataset_name``, the dataset
    ``versions`` made from it (tagged with the service and designation, newest first) and
    ``new_files``: collected files not in the latest version of ``dataset_name`` (files are
    only ever added, so a new version would hold that many more)."""
    workspace = service.workspace
    answer = workspace._call_store(workspace._store.collected_data_summary,
                                   workspace._record.id, service.name)
    if answer is not None:
        return answer  # type: ignore[no-any-return]
    figures: dict[str, dict[str, Any]] = {}
    for artifact in _collected_files(service):
        designation = artifact.path.split("/")[1]
        entry = figures.setdefault(designation, {
            "designation": designation, "files": 0, "rows": 0, "bytes": 0,
            "first_time": None, "last_time": None,
            "dataset_name": f"{service.name}-{designation}", "versions": []})
        entry["files"] += 1
        entry["bytes"] += artifact.size
        parsed = _file_figures(artifact.path)
        if parsed is not None:
            rows, first, last = parsed
            entry["rows"] += rows
            entry["first_time"] = min(first, entry["first_time"] or first)
            entry["last_time"] = max(last, entry["last_time"] or last)
    records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                    registry.DATASET_KIND, latest_only=False)
    for record in sorted(records, key=lambda r: (-r.created_time, r.name, -r.version)):
        if record.tags.get(SERVICE_TAG) != service.name:
            continue
        entry = figures.get(str(record.tags.get(DESIGNATION_TAG)))
        if entry is not None:
            entry["versions"].append(registry.version_summary(record))
    for entry in figures.values():
        latest = next((v for v in entry["versions"] if v["name"] == entry["dataset_name"]),
                      None)
        entry["new_files"] = max(0, entry["files"] - int((latest or {}).get("files") or 0))
    return {"service": service.name,
            "collect_model_data": bool(service._deployment.get("collect_model_data")),
            "designations": [figures[d] for d in sorted(figures)]}


__all__ = ["EXPORT_PREFIX", "CollectedDataNotFoundError", "collected_dataset",
           "collected_summary", "export_collected", "register_collected"]
