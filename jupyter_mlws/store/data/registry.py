"""Datastores and datasets in the asset registry, and the lineage keys of runs.

- A datastore is an asset of kind ``datastore`` named by its casefolded name (v1 names are
  case-insensitive), version 1; its spec (see ``locations``) never holds a credential: those
  go through ``Store.put_datastore_secret``. ``workspaceblobstore`` and ``workspacefilestore``
  exist in every workspace without a row. The default datastore is the ``state["name"]`` of
  the asset (``datastore_default``, ``default``); without it, ``workspaceblobstore``.
- A dataset version is an asset of kind ``dataset`` (name as given, versions 1, 2, ...) whose
  spec holds ``id`` (a uuid per version), ``type`` (``tabular`` | ``file``), ``definition``
  (sources, format, parse options, transforms), ``manifest`` (the blob reference) and, for
  tabular data, ``schema``. Its profile is stored once in ``state["profile"]``. A dataset used
  by a run without being registered is saved as kind ``saved_dataset`` named by its id.
- Lineage: a run that reads a dataset version carries the property
  ``mlws.dataset.in.<name>.v<version>`` (``mlws.dataset.in@<id>`` for a saved one), and a
  run whose output registered a version ``mlws.dataset.out.<name>.v<version>``; the value is
  JSON (``{"id", "inputs": [{"name", "mode"}]}`` or ``{"id", "output"}``). Properties are
  immutable, so lineage cannot be rewritten, and ``RunQuery(properties={key: None})`` finds
  the runs that used a version.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from ...exceptions import shown
from ..base import AssetRecord, ConflictError, InvalidInputError, NotFoundError
from .locations import BUILTIN_DATASTORES, DEFAULT_DATASTORE, builtin_spec

if TYPE_CHECKING:
    from ..base import Store

DATASTORE_KIND = "datastore"
DEFAULT_KIND = "datastore_default"
DATASET_KIND = "dataset"
SAVED_KIND = "saved_dataset"
DATASTORE_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# Letters, digits, '_', '-', '.', starting with a letter or digit; at most 200 characters so
# a lineage property key (``mlws.dataset.out.<name>.v<version>``) stays within 255.
DATASET_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
INPUT_PREFIX = "mlws.dataset.in"
OUTPUT_PREFIX = "mlws.dataset.out"


def check_datastore_name(name: Any) -> str:
    if not isinstance(name, str) or not DATASTORE_NAME_RE.match(name):
        raise InvalidInputError(
            f"Invalid datastore name {shown(name)}: a datastore name must be 1 to 255 characters "
            "long and contain only letters, digits and '_' (names are case-insensitive).")
    return name


def check_dataset_name(name: Any) -> str:
    if not isinstance(name, str) or not DATASET_NAME_RE.match(name):
        raise InvalidInputError(
            f"Invalid dataset name {shown(name)}: a dataset name must be 1 to 200 characters long, "
            "start with a letter or digit and contain only letters, digits, '_', '-' and '.'.")
    return name


# ---------------------------------------------------------------------------- datastores


def datastore_spec(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    """The spec of a registered or built-in datastore; NotFoundError naming it otherwise."""
    check_datastore_name(name)
    try:
        return store.get_asset(workspace_id, DATASTORE_KIND, name.casefold()).spec
    except NotFoundError:
        builtin = builtin_spec(name)
        if builtin is None:
            raise NotFoundError(f"Datastore {name!r} was not found in workspace "
                                f"{workspace_id}") from None
        return builtin


def list_datastore_specs(store: Store, workspace_id: str) -> list[dict[str, Any]]:
    """Every datastore: the built-ins (unless shadowed) and the registered ones, by name."""
    registered = {r.name: r.spec for r in store.list_assets(workspace_id, DATASTORE_KIND)}
    for key in BUILTIN_DATASTORES:
        registered.setdefault(key, builtin_spec(key))  # type: ignore[arg-type]
    return [registered[k] for k in sorted(registered)]


def default_datastore_name(store: Store, workspace_id: str) -> str:
    try:
        state = store.get_asset(workspace_id, DEFAULT_KIND, "default", 1).state
    except NotFoundError:
        return DEFAULT_DATASTORE
    return str(state.get("name") or DEFAULT_DATASTORE)


def set_default_datastore(store: Store, workspace_id: str, name: str) -> None:
    datastore_spec(store, workspace_id, name)  # must exist
    key = name.casefold()
    try:
        store.register_asset(workspace_id, DEFAULT_KIND, "default", {}, new_version=False,
                             state={"name": key})
    except ConflictError:
        store.update_asset_state(workspace_id, DEFAULT_KIND, "default", 1, {"name": key})


# ---------------------------------------------------------------------------- datasets


def definition_hash(spec: dict[str, Any]) -> str:
    text = json.dumps({"type": spec.get("type"), "definition": spec.get("definition")},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def register_dataset(store: Store, workspace_id: str, name: str, spec: dict[str, Any], *,
                     create_new_version: bool, description: str = "",
                     tags: dict[str, str | None] | None = None) -> AssetRecord:
    """Register ``spec`` (its manifest blob already saved) as a version of ``name``.

    ``create_new_version=False`` returns the latest version when it has the same definition
    and files, and otherwise raises (ConflictError) naming what differs: nothing is written
    then. One row is inserted, so a failure leaves no half-registered version."""
    check_dataset_name(name)
    spec = {**spec, "id": str(uuid.uuid4())}
    if not create_new_version:
        try:
            latest = store.get_asset(workspace_id, DATASET_KIND, name)
        except NotFoundError:
            latest = None
        if latest is None:
            try:
                return store.register_asset(workspace_id, DATASET_KIND, name, spec,
                                            new_version=False, tags=tags or {},
                                            description=description)
            except ConflictError:  # registered meanwhile: compare with that one
                latest = store.get_asset(workspace_id, DATASET_KIND, name)
        _check_same(latest, spec)
        return latest
    return store.register_asset(workspace_id, DATASET_KIND, name, spec, new_version=True,
                                tags=tags or {}, description=description)


def _check_same(latest: AssetRecord, spec: dict[str, Any]) -> None:
    label = f"Dataset {latest.name!r} version {latest.version}"
    if definition_hash(latest.spec) != definition_hash(spec):
        raise ConflictError(
            f"{label} has a different definition (type, paths, parse options or transforms). "
            "Register with create_new_version=True to add a version, or use another name.")
    if latest.spec.get("manifest", {}).get("sha256") != spec.get("manifest", {}).get("sha256"):
        raise ConflictError(
            f"{label} has the same definition but was registered from other files (they "
            "changed, appeared or disappeared since). Register with create_new_version=True "
            "to add a version made of the current files.")


def version_summary(record: AssetRecord) -> dict[str, Any]:
    """A dataset version as listings show it (``api.datasets.DatasetSummary``)."""
    spec = record.spec
    manifest = spec.get("manifest") or {}
    return {"name": record.name, "version": record.version, "id": spec.get("id"),
            "type": spec.get("type"), "description": record.description,
            "tags": record.tags, "created_time": record.created_time,
            "files": manifest.get("files"), "bytes": manifest.get("bytes"),
            "has_profile": "profile" in record.state}


def find_dataset_by_id(store: Store, workspace_id: str, dataset_id: str) -> AssetRecord:
    """A registered dataset version or a saved dataset by its id."""
    if isinstance(dataset_id, str) and 0 < len(dataset_id) <= 255:
        try:
            return store.get_asset(workspace_id, SAVED_KIND, dataset_id, 1)
        except NotFoundError:
            pass
        for record in store.list_assets(workspace_id, DATASET_KIND, latest_only=False):
            if record.spec.get("id") == dataset_id:
                return record
    raise NotFoundError(f"Dataset with id {dataset_id!r} was not found in workspace "
                        f"{workspace_id}")


def save_anonymous(store: Store, workspace_id: str, spec: dict[str, Any]) -> AssetRecord:
    """Save an unregistered dataset a run uses, so the run's lineage can name it."""
    dataset_id = spec.get("id") or str(uuid.uuid4())
    try:
        return store.register_asset(workspace_id, SAVED_KIND, dataset_id,
                                    {**spec, "id": dataset_id}, new_version=False)
    except ConflictError:
        return store.get_asset(workspace_id, SAVED_KIND, dataset_id, 1)


# ---------------------------------------------------------------------------- lineage


def lineage_key(record: AssetRecord, direction: str = "in") -> str:
    """``mlws.dataset.in.<name>.v<version>`` (``out`` for outputs), ``mlws.dataset.in@<id>``
    for a saved dataset; no ':' so the key works in run property filters (``key:value``)."""
    prefix = INPUT_PREFIX if direction == "in" else OUTPUT_PREFIX
    if record.kind == SAVED_KIND:
        return f"{prefix}@{record.name}"
    return f"{prefix}.{record.name}.v{record.version}"


def parse_lineage(properties: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """``{"inputs": [...], "outputs": [...]}`` of a run's properties: each ``{"name",
    "version", "id", "saved", ...value}``."""
    result: dict[str, list[dict[str, Any]]] = {"inputs": [], "outputs": []}
    for key, value in sorted(properties.items()):
        for prefix, bucket in ((INPUT_PREFIX, "inputs"), (OUTPUT_PREFIX, "outputs")):
            rest = key[len(prefix):] if key.startswith(prefix) else None
            if not rest:
                continue
            try:
                extra = json.loads(value)
            except ValueError:
                extra = {}
            if rest.startswith("@"):
                item: dict[str, Any] = {"name": None, "version": None, "saved": True,
                                        "id": rest[1:]}
            elif rest.startswith("."):
                name, _, version = rest[1:].rpartition(".v")
                if not name or not version.isdigit():
                    continue
                item = {"name": name, "version": int(version), "saved": False}
            else:
                continue
            item.update(extra if isinstance(extra, dict) else {})
            result[bucket].append(item)
    return result


__all__ = [
    "DATASET_KIND", "DATASTORE_KIND", "DEFAULT_KIND", "INPUT_PREFIX", "OUTPUT_PREFIX",
    "SAVED_KIND", "check_dataset_name", "check_datastore_name", "datastore_spec",
    "default_datastore_name", "definition_hash", "find_dataset_by_id", "lineage_key",
    "list_datastore_specs", "parse_lineage", "register_dataset", "save_anonymous",
    "set_default_datastore", "version_summary",
]
