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
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from ...exceptions import UserErrorException, WebserviceException
from ...store.artifact_io import copy_stream
from ...store.data.manifest import list_files
from ...store.data.transfer import upload_files

if TYPE_CHECKING:
    from .webservice import Webservice

EXPORT_PREFIX = "modeldata"
SERVICE_TAG = "mlws.service"
DESIGNATION_TAG = "mlws.designation"


def _datastore_pattern(service: str, designation: str) -> str:
    # Exact depth and suffix: a copy in progress (``<file>.<id>.partial``) never matches.
    return f"{EXPORT_PREFIX}/{service}/{designation}/*/*.parquet"


def export_collected(service: Webservice, designation: str) -> tuple[Any, str]:
    """Copy the run's collected files of ``designation`` not yet in the default datastore;
    returns (datastore, glob of the exported files)."""
    from ...execution.serving.collect import DATA_PREFIX  # on use: loads 4 more modules
    from ...monitoring import check_designation
    from ..datastore import Datastore  # on use: loads the data modules

    try:
        check_designation(designation)
    except ValueError as exc:
        raise UserErrorException(str(exc)) from exc
    workspace = service.workspace
    store = workspace._store
    prefix = f"{DATA_PREFIX}/{designation}/"
    artifacts = [a for a in workspace._call_store(store.list_artifacts, service.run_id,
                                                  prefix=prefix)
                 if a.path.endswith(".parquet") and a.path.count("/") == 3]
    if not artifacts:
        every = workspace._call_store(store.list_artifacts, service.run_id,
                                      prefix=f"{DATA_PREFIX}/")
        found = sorted({a.path.split("/")[1] for a in every if a.path.count("/") >= 3})
        raise WebserviceException(
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


def collected_dataset(service: Webservice, designation: str = "inputs",
                      dataset_name: str | None = None) -> Any:
    """The registered dataset of ``designation``'s collected rows: the latest version when
    it holds every collected file, else a new version holding them all."""
    from ..dataset import Dataset  # on use: loads 18 more modules

    name = dataset_name or f"{service.name}-{designation}"
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
            return latest
    return current.register(
        service.workspace, name, create_new_version=True, tags=tags,
        description=f"Data collected by service {service.name!r} ({designation})")


__all__ = ["EXPORT_PREFIX", "collected_dataset", "export_collected"]
