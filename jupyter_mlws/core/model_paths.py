"""``Model.get_model_path``: where a scoring script finds its model's files.

Inside a service the files are laid out as v1 lays them out:
``<app root>/azureml-models/<name>/<version>/<root>``, with ``AZUREML_MODEL_DIR`` pointing at
``azureml-models/<name>/<version>`` (one model) or at ``azureml-models`` (several). Outside a
service the same layout is looked for under ``AML_APP_ROOT`` and the current folder, then
``./<name>``; last, the model is downloaded from the workspace (the one given, or the run
context's) into ``./azureml-models/<name>/<version>``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..exceptions import WebserviceException

if TYPE_CHECKING:
    from .workspace import Workspace

MODELS_FOLDER = "azureml-models"


def _roots() -> list[str]:
    roots = []
    model_dir = os.environ.get("AZUREML_MODEL_DIR")
    if model_dir:
        path = os.path.abspath(model_dir)
        # One model: <root>/azureml-models/<name>/<version>; several: <root>/azureml-models.
        roots += [path, os.path.dirname(os.path.dirname(path))]
    for base in (os.environ.get("AML_APP_ROOT"), os.getcwd()):
        if base:
            roots.append(os.path.join(base, MODELS_FOLDER))
    return list(dict.fromkeys(roots))


def _entry(folder: str) -> str:
    """The single file or folder inside a version folder, or the folder itself."""
    entries = [e for e in os.listdir(folder) if not e.startswith(".")]
    return os.path.join(folder, entries[0]) if len(entries) == 1 else folder


def _local(name: str, version: int | None) -> str | None:
    for root in _roots():
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        versions = sorted((int(v) for v in os.listdir(folder) if v.isdigit()), reverse=True)
        chosen = [v for v in versions if version is None or v == int(version)]
        if chosen:
            return _entry(os.path.join(folder, str(chosen[0])))
    fallback = os.path.join(os.getcwd(), name)
    return fallback if version is None and os.path.exists(fallback) else None


def find_model_path(name: str, version: int | None = None,
                    workspace: Workspace | None = None) -> str:
    found = _local(name, version)
    if found is not None:
        return found
    if workspace is None and (os.environ.get("MLWS_RUN_ID") or os.environ.get("AZUREML_RUN_ID")):
        from .run_context import get_context  # a submitted run: its workspace

        workspace = get_context(allow_offline=False).experiment.workspace
    if workspace is None:
        raise WebserviceException(
            f"Model {name!r}{'' if version is None else f' version {version}'} was not found "
            f"locally (looked in {', '.join(_roots())} and ./{name}); outside a service or a "
            "run, pass _workspace= to download it")
    from .model import Model

    model = Model(workspace, name, version=version)
    target = os.path.join(os.getcwd(), MODELS_FOLDER, model.name, str(model.version))
    model.download(target, exist_ok=True)
    return _entry(target)


__all__ = ["MODELS_FOLDER", "find_model_path"]
