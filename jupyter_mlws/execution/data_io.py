"""Dataset inputs and outputs of a submitted run (the spec's ``data`` entry, written by
``jupyter_mlws.data._run_bindings``).

Before the script starts, each input is made available: ``mount`` shows the files in a local
folder (the datastore folder itself, a folder of links, or a local cache for object stores),
``download`` copies them under the run's folder (or ``path_on_compute``), ``direct`` passes the
dataset's id. Every file is checked against the version's manifest first. The placeholders in
the command are replaced by those values, and each input's name becomes an environment
variable holding the same value (plus ``MLWS_DATASET_INPUTS`` as JSON for
``Run.get_context().input_datasets``).

When the run completed, each output folder is uploaded to its datastore path (``mount`` on a
local datastore writes there directly), resolved to a manifest, registered as a new version
(``register_on_complete``) or saved, and recorded as the run's output lineage.
"""

from __future__ import annotations

import fnmatch
import json
import os
from typing import Any

from ..store.data import manifest as manifests
from ..store.data import registry
from ..store.data.errors import DatasetValidationError
from ..store.data.locations import normalize_data_path
from ..store.data.selection import select_files
from ..store.data.transfer import download_entries, mount_entries, upload_files
from .executor import DataInputError


def _fs_of(store: Any, workspace_id: str, manifest: manifests.Manifest) -> Any:
    cache: dict[int, Any] = {}

    def fs_of_source(index: int) -> Any:
        if index not in cache:
            source = manifest.sources[index]
            if "datastore" in source:
                cache[index] = store.datastore_filesystem(workspace_id, source["datastore"])
            else:
                from ..store.data.locations import DatastoreFS, is_local_fs, url_fs

                fs, _path = url_fs(source["url"])
                cache[index] = DatastoreFS(fs, "", is_local_fs(fs), source["url"])
        return cache[index]

    return fs_of_source


def _place(path: str | None, workdir: str, default: str) -> str:
    if not path:
        return default
    return path if os.path.isabs(path) else os.path.join(workdir, path)


def _replace(command: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for arg in command:
        for token, value in values.items():
            arg = arg.replace(token, value)
        out.append(arg)
    return out


def prepare(store: Any, spec: dict[str, Any], workdir: str) -> dict[str, Any]:
    """The spec to start the script with: inputs materialized, placeholders replaced."""
    try:
        return _prepare(store, spec, workdir)
    except Exception as exc:
        raise DataInputError(f"{type(exc).__name__}: {exc}") from exc


def _prepare(store: Any, spec: dict[str, Any], workdir: str) -> dict[str, Any]:
    data = spec.get("data") or {}
    run_dir = os.path.dirname(workdir)
    workspace_id = spec["workspace_id"]
    values: dict[str, str] = {}
    env: dict[str, str] = {}
    described: dict[str, Any] = {}
    for item in data.get("inputs", []):
        record = store.get_asset(workspace_id, item["kind"], item["dataset"], item["version"])
        label = f"Input {item['name']!r} (dataset {record.name!r} version {record.version})"
        if item["mode"] == "direct":
            value = str(record.spec.get("id"))
        else:
            manifest = manifests.load(store, record.spec["manifest"])
            fs_of_source = _fs_of(store, workspace_id, manifest)
            entries = select_files(manifest.files,
                                   record.spec["definition"].get("transforms", []))
            manifests.verify(manifest, fs_of_source, label, entries)
            if item["mode"] == "download":
                target = _place(item.get("path_on_compute"), workdir,
                                os.path.join(run_dir, "inputs", item["name"]))
                download_entries(manifest, fs_of_source, target, entries, overwrite=True)
                value = target
            else:
                home = spec["store"]["home"]
                mount_point = item.get("path_on_compute")
                value, _made = mount_entries(
                    manifest, fs_of_source, entries,
                    _place(mount_point, workdir, "") or None,
                    os.path.join(home, "cache", "datasets"), temp_parent=run_dir)
        values[item["token"]] = value
        env[item["name"]] = value
        described[item["name"]] = {"mode": item["mode"], "path": value, "id": item["id"]}
    outputs: dict[str, Any] = {}
    for item in data.get("outputs", []):
        folder = _output_folder(store, spec, item, workdir)
        os.makedirs(folder, exist_ok=True)
        values[item["token"]] = folder
        env[item["name"]] = folder
        outputs[item["name"]] = {"path": folder}
    variables = {**(spec.get("environment_variables") or {}), **env,
                 "MLWS_DATASET_INPUTS": json.dumps(described),
                 "MLWS_DATASET_OUTPUTS": json.dumps(outputs)}
    return {**spec, "command": _replace(list(spec["command"]), values),
            "environment_variables": variables}


def _destination(spec: dict[str, Any], item: dict[str, Any]) -> str:
    path = str(item.get("path") or "").replace("{run-id}", spec["run_id"])
    return normalize_data_path(path.replace("{output-name}", item["name"]), "Output path")


def _output_folder(store: Any, spec: dict[str, Any], item: dict[str, Any],
                   workdir: str) -> str:
    if item.get("mode") == "mount":
        dfs = store.datastore_filesystem(spec["workspace_id"], item["datastore"])
        if dfs.local:
            return dfs.full(_destination(spec, item))  # written in place, nothing to upload
    return _place(item.get("source"), workdir,
                  os.path.join(os.path.dirname(workdir), "outputs_data", item["name"]))


def finish(store: Any, spec: dict[str, Any], workdir: str) -> None:
    """Upload, register and record the outputs of a completed run."""
    data = spec.get("data") or {}
    workspace_id = spec["workspace_id"]
    for item in data.get("outputs", []):
        target = _destination(spec, item)
        folder = _output_folder(store, spec, item, workdir)
        dfs = store.datastore_filesystem(workspace_id, item["datastore"])
        in_place = item.get("mode") == "mount" and dfs.local
        if not in_place:
            pairs = []
            for dirpath, _dirs, names in os.walk(folder):
                for file_name in sorted(names):
                    local = os.path.join(dirpath, file_name)
                    rel = os.path.relpath(local, folder).replace(os.sep, "/")
                    globs = item.get("source_globs")
                    if os.path.islink(local) or (globs and not any(
                            fnmatch.fnmatch(rel, g) for g in globs)):
                        continue
                    pairs.append((local, f"{target}/{rel}" if target else rel))
            upload_files(dfs, pairs, overwrite=bool(item.get("overwrite")))
        _record_output(store, spec, item, target)


def _record_output(store: Any, spec: dict[str, Any], item: dict[str, Any], target: str) -> None:
    workspace_id = spec["workspace_id"]
    tabular = item.get("tabular")
    path = target
    if tabular and tabular.get("path_glob"):
        path = f"{target}/{tabular['path_glob']}" if target else tabular["path_glob"]
    sources = [{"datastore": item["datastore"], "path": path}]

    def fs_of(source: dict[str, Any]) -> tuple[Any, str]:
        return store.datastore_filesystem(workspace_id, source["datastore"]), source["path"]

    try:
        manifest = manifests.resolve(sources, fs_of)
    except DatasetValidationError:
        return  # the run wrote nothing: there is no output dataset to record
    ref = manifests.save(store, workspace_id, manifest)
    if tabular:
        definition = {"sources": sources, "format": tabular["format"],
                      "include_path": tabular.get("include_path", False),
                      "set_column_types": {}, "transforms": []}
        spec_body = {"type": "tabular", "definition": definition}
    else:
        spec_body = {"type": "file", "definition": {"sources": sources, "transforms": []}}
    spec_body.update({"manifest": ref, "data_changed_time": manifest.data_changed_time()})
    register = item.get("register")
    if register:
        record = registry.register_dataset(
            store, workspace_id, register["name"], spec_body, create_new_version=True,
            description=register.get("description") or "", tags=register.get("tags") or {})
    else:
        record = registry.save_anonymous(store, workspace_id, spec_body)
    store.add_run_properties(spec["run_id"], {registry.lineage_key(record, "out"): json.dumps(
        {"id": record.spec.get("id"), "output": item["name"]})})


__all__ = ["DataInputError", "finish", "prepare"]
