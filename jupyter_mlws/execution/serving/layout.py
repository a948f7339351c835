"""A service generation's files: its environment, its source folder and its models laid out
as v1 lays them out, and the state folder's file names (shared with the SDK side).

``<state dir>/gen/<generation>/app`` is the copy of the source folder (from the deployment's
snapshot; the replicas' working folder) and ``<state dir>/gen/<generation>/azureml-models/
<name>/<version>/<root>`` holds the models; ``AZUREML_MODEL_DIR`` is
``azureml-models/<name>/<version>`` for one model, ``azureml-models`` for several.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

DEPLOYMENT_FILE = "deployment.json"
KEYS_FILE = "keys.json"
INFO_FILE = "daemon.json"
STATUS_FILE = "status.json"
STOPPED_FILE = "stopped.json"
DAEMON_LOG = "daemon.log"
LOGS_DIR = "logs"
BUILD_LOG = "build.log"
REQUESTS_DIR = "requests"
COLLECT_DIR = "collect"
GENERATIONS_DIR = "gen"
MODELS_FOLDER = "azureml-models"


def write_json(path: Path, data: dict[str, Any], private: bool = False) -> None:
    """Atomically (a reader never sees half a file); ``private``: mode 0600."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with open(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(partial, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _copy(store: Any, snapshot_id: str, rel: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with store.open_snapshot_file(snapshot_id, rel) as source, open(partial, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    os.replace(partial, target)


def prepare_generation(store: Any, deployment: dict[str, Any], folder: Path) -> dict[str, str]:
    """Lay out the source copy and the models of one generation under ``folder``; returns the
    environment variables locating the models. Raises with a message naming what is missing."""
    from ...store.base import NotFoundError

    shutil.rmtree(folder, ignore_errors=True)
    app = folder / "app"
    app.mkdir(parents=True)
    try:
        snapshot = store.get_snapshot(deployment["snapshot_id"])
    except NotFoundError as exc:
        raise RuntimeError(f"The service's source snapshot is missing: {exc}") from exc
    for rel in snapshot.files:
        _copy(store, snapshot.id, rel, app.joinpath(*rel.split("/")))
    models_root = folder / MODELS_FOLDER
    for model in deployment["models"]:
        try:
            record = store.get_asset(deployment["workspace_id"], "model", model["name"],
                                     model["version"])
        except NotFoundError as exc:
            raise RuntimeError(f"Model {model['name']}:{model['version']} no longer exists "
                               "(it was deleted); deploy a registered version") from exc
        target = models_root / model["name"] / str(model["version"])
        for rel in record.spec.get("files", {}):
            try:
                _copy(store, record.spec["snapshotId"], rel, target.joinpath(*rel.split("/")))
            except NotFoundError as exc:
                raise RuntimeError(f"A file of model {model['name']}:{model['version']} is "
                                   f"missing from the store: {exc}") from exc
    models = deployment["models"]
    model_dir = (models_root / models[0]["name"] / str(models[0]["version"])
                 if len(models) == 1 else models_root)
    models_root.mkdir(exist_ok=True)
    return {"AZUREML_MODEL_DIR": str(model_dir), "AML_APP_ROOT": str(app),
            "AZUREML_ENTRY_SCRIPT": deployment["entry_script"]}


def remove_generation(folder: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(folder)


__all__ = ["COLLECT_DIR", "DEPLOYMENT_FILE", "INFO_FILE", "KEYS_FILE", "LOGS_DIR",
           "REQUESTS_DIR", "STATUS_FILE", "STOPPED_FILE", "prepare_generation", "read_json",
           "remove_generation", "write_json"]
