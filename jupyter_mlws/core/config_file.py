"""``config.json``: finding, reading and writing the file that names a workspace.

The search order, file shapes and write rules are v1's (see the v1 contract, section 2.2), so a
``.azureml/config.json`` downloaded for Azure ML, or written by either SDK, works unchanged.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from ..exceptions import UserErrorException

AZUREML_DIR = ".azureml"
LEGACY_CONFIG_DIR = "aml_config"
CONFIG_FILENAME = "config.json"
LEGACY_PROJECT_FILENAME = "project.json"

# Priority order: the whole upward walk is done for one (directory, file) pair before the next.
CONFIG_DIRS: tuple[str | None, ...] = (AZUREML_DIR, LEGACY_CONFIG_DIR, None)
CONFIG_FILES: tuple[str, ...] = (CONFIG_FILENAME, LEGACY_PROJECT_FILENAME)

ARM_PROVIDER = "Microsoft.MachineLearningServices"
_REQUIRED_KEYS = ("subscription_id", "resource_group", "workspace_name")


class WorkspaceCoordinates(NamedTuple):
    subscription_id: str
    resource_group: str
    workspace_name: str


def workspace_scope(subscription_id: str, resource_group: str, workspace_name: str) -> str:
    """The ARM-style id v1 writes as ``Scope`` and reports as the workspace ``id``."""
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/{ARM_PROVIDER}/workspaces/{workspace_name}")


def parse_scope(scope: str, source: str = "Scope") -> WorkspaceCoordinates:
    parts = scope.strip().rstrip("/").split("/")
    expected = {1: "subscriptions", 3: "resourcegroups", 5: "providers",
                6: ARM_PROVIDER.lower(), 7: "workspaces"}
    if (len(parts) != 9 or parts[0] != ""
            or any(parts[i].lower() != word for i, word in expected.items())
            or not all(parts[i] for i in (2, 4, 8))):
        raise UserErrorException(
            f"{source} {scope!r} is not a workspace ARM id of the form "
            f"/subscriptions/<subscription>/resourceGroups/<resource group>/providers/"
            f"{ARM_PROVIDER}/workspaces/<workspace name>.")
    return WorkspaceCoordinates(parts[2], parts[4], parts[8])


def _walk_up(start: str, subdir: str | None, file_name: str) -> str | None:
    current = start
    while True:
        candidate = (os.path.join(current, subdir, file_name) if subdir
                     else os.path.join(current, file_name))
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def find_config_file(path: str | os.PathLike[str] | None = None,
                     file_name: str | None = None) -> str:
    """The config file for ``path``: the file itself when ``path`` is one, otherwise the first
    hit of v1's search (``.azureml``, ``aml_config``, then the folder itself; ``config.json``
    before ``project.json``), each walking up from ``path`` to the file system root."""
    raw = "." if path is None else os.fspath(path)
    normalized = os.path.normpath(raw)
    if os.path.isfile(normalized):
        return normalized
    start = os.path.abspath(normalized)
    names = (file_name,) if file_name else CONFIG_FILES
    for subdir in CONFIG_DIRS:
        for name in names:
            found = _walk_up(start, subdir, name)
            if found:
                return found
    wanted = file_name or CONFIG_FILENAME
    raise UserErrorException(
        f"The workspace configuration file {wanted}, could not be found in {start} or its "
        f"parent directories (looked in {AZUREML_DIR}/, {LEGACY_CONFIG_DIR}/ and the "
        f"directories themselves, for {' and '.join(names)}). Please check whether the "
        "workspace configuration file exists, or provide the full path to the configuration "
        "file as an argument. Workspace.write_config() writes one for an existing workspace.")


def read_config_file(config_path: str) -> WorkspaceCoordinates:
    """Coordinates from either JSON shape; ``Scope`` wins when present."""
    try:
        with open(config_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except ValueError as exc:
        raise UserErrorException(
            f"The workspace configuration file {config_path} is not valid JSON: {exc}") from exc
    except OSError as exc:
        raise UserErrorException(
            f"The workspace configuration file {config_path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise UserErrorException(
            f"The workspace configuration file {config_path} must hold a JSON object.")
    scope = data.get("Scope")
    if scope:
        if not isinstance(scope, str):
            raise UserErrorException(
                f"'Scope' in the workspace configuration file {config_path} must be a string.")
        return parse_scope(scope, source=f"'Scope' in {config_path}")
    missing = [k for k in _REQUIRED_KEYS if not isinstance(data.get(k), str) or not data.get(k)]
    if missing:
        raise UserErrorException(
            f"The workspace configuration file {config_path} does not seem to contain the "
            f"required parameters: missing {', '.join(missing)}. Expected either "
            '{"subscription_id": ..., "resource_group": ..., "workspace_name": ...} or '
            '{"Scope": "/subscriptions/.../resourceGroups/.../providers/'
            f'{ARM_PROVIDER}/workspaces/..."}}.')
    return WorkspaceCoordinates(data["subscription_id"], data["resource_group"],
                                data["workspace_name"])


def read_server_settings(config_path: str) -> tuple[str | None, str | None]:
    """(tracking_uri, token) when the config file names a jupyter_mlws server, else Nones.
    These keys are ours (v1 has none): they let a config.json point the SDK at a server."""
    try:
        with open(config_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None, None  # read_config_file has already reported an unreadable file
    if not isinstance(data, dict):
        return None, None
    uri, token = data.get("tracking_uri"), data.get("token")
    return (uri if isinstance(uri, str) and uri else None,
            token if isinstance(token, str) and token else None)


def write_config_file(coordinates: WorkspaceCoordinates,
                      path: str | os.PathLike[str] | None = None,
                      file_name: str | None = None) -> str:
    """Write the Scope form into ``<path>/aml_config`` when that legacy folder exists, else
    ``<path>/.azureml`` (created). Returns the written file's path."""
    base = "." if path is None else os.fspath(path)
    config_dir = os.path.join(base, LEGACY_CONFIG_DIR)
    if not os.path.isdir(config_dir):
        config_dir = os.path.join(base, AZUREML_DIR)
    if file_name is None:
        legacy = os.path.join(config_dir, LEGACY_PROJECT_FILENAME)
        file_name = LEGACY_PROJECT_FILENAME if os.path.isfile(legacy) else CONFIG_FILENAME
    elif not os.path.splitext(file_name)[1]:
        file_name += ".json"
    target = os.path.join(config_dir, file_name)
    content = {"Id": None, "Scope": workspace_scope(*coordinates)}
    try:
        os.makedirs(config_dir, exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(content, fh, indent=4)
            fh.write("\n")
    except OSError as exc:
        raise UserErrorException(
            f"Could not write the workspace configuration file {target}: {exc}") from exc
    return target


__all__ = [
    "AZUREML_DIR",
    "CONFIG_FILENAME",
    "LEGACY_CONFIG_DIR",
    "LEGACY_PROJECT_FILENAME",
    "WorkspaceCoordinates",
    "find_config_file",
    "parse_scope",
    "read_config_file",
    "read_server_settings",
    "workspace_scope",
    "write_config_file",
]
