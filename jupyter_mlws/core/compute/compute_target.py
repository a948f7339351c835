"""``ComputeTarget``: the v1 base class; ``ComputeTarget(ws, name)`` returns the subclass of the
stored target (``AmlCompute``, ``ComputeInstance``, ``DaskCompute``) or the local target.

Targets are workspace assets of kind ``compute`` (not versioned). ``spec`` holds what the user
configured (``computeType``, sizes, addresses), ``state`` what happens at run time
(``provisioningState``, the daemon's pid and scheduler address, errors).
"""

from __future__ import annotations

import contextlib
import importlib
import re
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException, shown
from ...store.base import AssetRecord, ConflictError, NotFoundError

if TYPE_CHECKING:
    from ..workspace import Workspace

ASSET_KIND = "compute"
LOCAL = "local"
# The registry of compute types: computeType -> "module:Class", imported on first use.
# Packages add types under the entry point group below (the name is the computeType).
COMPUTE_TYPES = {"AmlCompute": "jupyter_mlws.core.compute.aml_compute:AmlCompute",
                 "ComputeInstance": "jupyter_mlws.core.compute.compute_instance:ComputeInstance",
                 "Dask": "jupyter_mlws.core.compute.attached:DaskCompute",
                 "AKS": "jupyter_mlws.core.compute.aks_compute:AksCompute"}
COMPUTE_ENTRY_POINTS = "jupyter_mlws.compute_types"
TERMINAL_PROVISIONING = frozenset({"Succeeded", "Failed", "Canceled"})
# v1's rule for compute names: 2-24 characters, a letter first, then letters, digits, "-".
COMPUTE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9\-]{1,23}$")


def validate_compute_name(name: str) -> str:
    if not isinstance(name, str) or not COMPUTE_NAME_RE.match(name) or name == LOCAL:
        raise ComputeTargetException(
            f"Invalid compute name {shown(name)}: use 2-24 letters, digits or '-', starting with a "
            "letter ('local' is reserved).")
    return name


class ComputeTargetNotFound(ComputeTargetException):
    """No compute target of that name: a ComputeTargetException (what v1 raises) that a
    server answers with 404."""

    status_code = 404


def not_found(name: str) -> ComputeTargetException:
    return ComputeTargetNotFound(
        f"ComputeTargetNotFound: Compute Target with name {name} not found in provided "
        "workspace")


def compute_types() -> dict[str, str]:
    """computeType -> "module:Class": this package's types and those of installed plugins."""
    # Deferred: importlib.metadata costs ~15 ms, paid when a stored target is first loaded.
    from importlib.metadata import entry_points

    found = dict(COMPUTE_TYPES)
    found.update({point.name: point.value for point in entry_points(group=COMPUTE_ENTRY_POINTS)})
    return found


def class_for(compute_type: str) -> type[ComputeTarget]:
    """The class of a stored target's ``computeType``, from the registry."""
    if compute_type == LOCAL:
        return LocalTarget
    where = compute_types().get(compute_type)
    if where is None:
        raise ComputeTargetException(f"Unknown compute type {compute_type!r}")
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _iso(epoch: float | None) -> str | None:
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


class ComputeTarget:
    """A place runs execute: ``ComputeTarget(workspace, name)`` loads an existing one."""

    _compute_type = ""
    # Whether ``Experiment.submit`` may send script runs here (the class's ``_launch_run``),
    # and whether ``stop()`` stops it (a cluster's daemon, an instance's kernel).
    runs_scripts = False
    can_stop = False

    def _launch_run(self, spec: dict[str, Any], run: Any) -> None:
        """Start the script run ``spec`` (see docs/internals.md) on this target."""
        raise ComputeTargetException(f"Compute target {self.name!r} cannot run scripts")

    def __new__(cls, workspace: Workspace | None = None, name: str | None = None,
                *args: Any, **kwargs: Any) -> ComputeTarget:
        if workspace is None or name is None:
            return super().__new__(cls)
        target = ComputeTarget._load(workspace, name)
        if cls is not ComputeTarget and not isinstance(target, cls):
            raise ComputeTargetException(
                f"Compute target {name!r} is of type {target.type}, not {cls.__name__}")
        return target

    def __init__(self, workspace: Workspace | None = None, name: str | None = None,
                 *args: Any, **kwargs: Any) -> None:
        """Everything happens in ``__new__`` (it picks the subclass)."""

    # ---- loading
    @staticmethod
    def _load(workspace: Workspace, name: str) -> ComputeTarget:
        if name == LOCAL:
            return LocalTarget._local(workspace)
        try:
            record = workspace._call_store(workspace._store.get_asset, workspace._record.id,
                                           ASSET_KIND, name)
        except NotFoundError as exc:
            raise not_found(name) from exc
        return ComputeTarget._from_record(workspace, record)

    @staticmethod
    def _from_record(workspace: Workspace, record: AssetRecord) -> ComputeTarget:
        klass = class_for(record.spec.get("computeType", ""))
        target = object.__new__(klass)
        target._init(workspace, record)
        return target

    def _init(self, workspace: Workspace, record: AssetRecord) -> None:
        self.workspace = workspace
        self._record = record

    # ---- registry helpers for subclasses
    @staticmethod
    def _register(workspace: Workspace, name: str, spec: dict[str, Any],
                  state: dict[str, Any], tags: dict[str, Any] | None = None,
                  description: str | None = None) -> AssetRecord:
        validate_compute_name(name)
        try:
            return workspace._call_store(
                workspace._store.register_asset, workspace._record.id, ASSET_KIND, name, spec,
                new_version=False, state=state, description=description or "",
                tags={str(k): None if v is None else str(v) for k, v in (tags or {}).items()})
        except ConflictError as exc:
            raise ComputeTargetException(
                f"Compute target {name!r} already exists in workspace "
                f"{workspace.name!r}") from exc

    def _set_state(self, **state: Any) -> None:
        state["modifiedOn"] = time.time()
        self._record = self._store.update_asset_state(
            self.workspace._record.id, ASSET_KIND, self.name, self._record.version, state)

    @property
    def _store(self) -> Any:
        return self.workspace._store

    # ---- v1 attributes
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def type(self) -> str:
        return self._record.spec.get("computeType", self._compute_type)

    @property
    def id(self) -> str:
        return f"{self.workspace._record.id}/computes/{self.name}"

    @property
    def cluster_resource_id(self) -> str:
        return self.id

    @property
    def location(self) -> str:
        return self.workspace.location

    cluster_location = location

    @property
    def tags(self) -> dict[str, str | None]:
        return dict(self._record.tags)

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def created_on(self) -> str | None:
        return _iso(self._record.created_time)

    @property
    def modified_on(self) -> str | None:
        return _iso(self._record.state.get("modifiedOn") or self._record.updated_time)

    @property
    def provisioning_state(self) -> str:
        return self._record.state.get("provisioningState", "Succeeded")

    @property
    def provisioning_errors(self) -> list[dict[str, Any]] | None:
        return self._record.state.get("errors") or None

    # ---- lifecycle
    @staticmethod
    def create(workspace: Workspace, name: str, provisioning_configuration: Any) -> Any:
        """Create (or restart a stopped/dead) target from a ``provisioning_configuration``."""
        create = getattr(provisioning_configuration, "_create", None)
        if create is None:
            raise ComputeTargetException(
                f"{type(provisioning_configuration).__name__} is not a provisioning "
                "configuration; use AmlCompute.provisioning_configuration(...) or "
                "ComputeInstance.provisioning_configuration(...)")
        return create(workspace, name)

    @staticmethod
    def attach(workspace: Workspace, name: str, attach_configuration: Any) -> Any:
        """Attach existing compute (e.g. a Dask scheduler) under ``name``."""
        attach = getattr(attach_configuration, "_attach", None)
        if attach is None:
            raise ComputeTargetException(
                f"{type(attach_configuration).__name__} is not an attach configuration; use "
                "DaskCompute.attach_configuration(address=...)")
        return attach(workspace, name)

    @staticmethod
    def list(workspace: Workspace) -> list[ComputeTarget]:
        """Every target of the workspace, ``local`` first."""
        records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                        ASSET_KIND)
        return [LocalTarget._local(workspace),
                *(ComputeTarget._from_record(workspace, r) for r in records)]

    def refresh_state(self) -> None:
        """Reload the stored state and reconcile it with what really runs."""
        try:
            self._record = self._store.get_asset(self.workspace._record.id, ASSET_KIND,
                                                 self.name)
        except NotFoundError as exc:
            raise not_found(self.name) from exc
        self._reconcile()

    def _reconcile(self) -> None:
        """Subclasses check their process (daemon, scheduler) here."""

    def get_status(self) -> Any:
        self.refresh_state()
        return self.provisioning_state

    def wait_for_completion(self, show_output: bool = False, is_delete_operation: bool = False,
                            timeout_in_minutes: float = 25, **kwargs: Any) -> None:
        """Wait until provisioning ends (or, with ``is_delete_operation``, the target is
        gone); raises ComputeTargetException when it Failed."""
        deadline = time.monotonic() + timeout_in_minutes * 60
        last = None
        while True:
            try:
                self.refresh_state()
            except ComputeTargetException:
                if is_delete_operation:
                    if show_output:
                        print('Provisioning operation finished, operation "Succeeded"')
                    return
                raise
            state = self.provisioning_state
            if show_output and state != last:
                print(state)
                last = state
            if not is_delete_operation and state in TERMINAL_PROVISIONING:
                break
            if time.monotonic() > deadline:
                raise ComputeTargetException(
                    f"Compute target {self.name!r} is still {state} after "
                    f"{timeout_in_minutes} minutes")
            time.sleep(0.1)
        if show_output:
            print(f'Provisioning operation finished, operation "{state}"')
        if state == "Failed":
            raise ComputeTargetException(
                f"Compute target {self.name!r} failed to provision: {self.provisioning_errors}")

    def _delete_record(self) -> None:
        with contextlib.suppress(NotFoundError):
            self._store.delete_asset(self.workspace._record.id, ASSET_KIND, self.name)

    def delete(self) -> None:
        self._delete_record()

    def serialize(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "location": self.location,
                "tags": self.tags, "description": self.description,
                "properties": {"computeType": self.type,
                               "provisioningState": self.provisioning_state,
                               "provisioningErrors": self.provisioning_errors,
                               "createdOn": self.created_on, "modifiedOn": self.modified_on,
                               "properties": dict(self._record.spec)},
                "state": dict(self._record.state)}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ComputeTarget) and other.name == self.name
                and other.workspace == self.workspace)

    def __hash__(self) -> int:
        return hash((self.workspace._record.id, self.name))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(workspace={self.workspace.name!r}, name={self.name!r}, "
                f"type={self.type!r}, provisioning_state={self.provisioning_state!r})")


class LocalTarget(ComputeTarget):
    """``"local"``: this machine, through the local executor; always there."""

    _compute_type = LOCAL

    @classmethod
    def _local(cls, workspace: Workspace) -> LocalTarget:
        target = object.__new__(cls)
        target._init(workspace, AssetRecord(
            workspace_id=workspace._record.id, kind=ASSET_KIND, name=LOCAL, version=1,
            spec={"computeType": LOCAL}, state={"provisioningState": "Succeeded"},
            created_time=workspace._record.created_time))
        return target

    def refresh_state(self) -> None:
        """Nothing to reload: the local target has no stored state."""

    def get_status(self) -> str:
        return "Succeeded"

    def delete(self) -> None:
        raise ComputeTargetException("The 'local' compute target cannot be deleted")


__all__ = ["ASSET_KIND", "ComputeTarget", "LocalTarget", "not_found"]
