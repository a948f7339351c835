"""``Webservice``: a deployed service (v1 7.2). ``Webservice(ws, name)`` returns the subclass
of its compute type (``LocalWebservice``, ``AciWebservice``, ``AksWebservice``).

The service runs detached (:mod:`jupyter_mlws.execution.serving.daemon`) and survives the
kernel. ``state`` is what the daemon reports -- ``Transitioning`` (deploying or updating),
``Healthy``, ``Unhealthy`` (no replica ready, e.g. crashing), ``Failed`` (the deployment could
not start: its cause is in ``error`` and ``get_logs()``) -- reconciled on every read with the
daemon's liveness (a daemon that died is ``Failed`` with ``ServiceDaemonNotRunning``).
"""

from __future__ import annotations

import importlib
import json
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...exceptions import WebserviceException
from ...execution.serving import control
from ..model_filters import filter_pairs, matches
from . import registry
from .monitoring import service_drift, service_metrics
from .waiting import wait_for_deployment

if TYPE_CHECKING:
    from ..model import Model
    from ..workspace import Workspace

_CLASSES = {"Local": ("local", "LocalWebservice"), "ACI": ("aci", "AciWebservice"),
            "AKS": ("aks", "AksWebservice")}


class WebserviceNotFoundError(WebserviceException):
    """No service of that name in the workspace (HTTP 404 through the server)."""

    status_code = 404


def not_found(name: str, workspace: Workspace) -> WebserviceException:
    return WebserviceNotFoundError(f"WebserviceNotFound: service {name!r} was not found in "
                               f"workspace {workspace.name!r}")


def _class_for(compute_type: str) -> type[Webservice]:
    module, name = _CLASSES.get(compute_type, ("webservice", "Webservice"))
    return getattr(importlib.import_module(f".{module}", __package__), name)


def _iso(epoch: float | None) -> datetime | None:
    return None if not epoch else datetime.fromtimestamp(epoch, timezone.utc)


class Webservice:
    """A deployed service."""

    _compute_type = ""

    def __new__(cls, workspace: Workspace | None = None, name: str | None = None,
                *args: Any, **kwargs: Any) -> Webservice:
        if workspace is None or name is None:
            return super().__new__(cls)
        record = registry.get_record(workspace, name)
        if record is None:
            raise not_found(name, workspace)
        service = Webservice._from_record(workspace, record)
        if cls is not Webservice and not isinstance(service, cls):
            raise WebserviceException(f"Service {name!r} is a {service.compute_type} service, "
                                      f"not a {cls.__name__}")
        return service

    def __init__(self, workspace: Workspace | None = None, name: str | None = None,
                 *args: Any, **kwargs: Any) -> None:
        """Everything happens in ``__new__`` (it picks the subclass)."""

    @staticmethod
    def _from_record(workspace: Workspace, record: Any) -> Webservice:
        service = object.__new__(_class_for(record.spec.get("computeType", "")))
        service.workspace = workspace
        service._record = record
        service._status = None
        service._reconcile()
        return service

    # ------------------------------------------------------------------ state
    @property
    def _state_dir(self) -> Path:
        return Path(self._record.state["stateDir"])

    @property
    def _local(self) -> bool:
        return self._record.state.get("host") == socket.gethostname()

    def _reconcile(self) -> None:
        """Overlay the daemon's live status (same host), or find it dead."""

        state = self._record.state
        if not self._local or state.get("state") == "Deleting":
            return
        status = control.read_status(self._state_dir)
        if status is not None and status.get("pid") == state.get("pid"):
            self._status = status
        alive = control.is_alive(state.get("pid"), state.get("identity"))
        if not alive and state.get("pid") and state.get("state") != "Failed":
            tail = control.logs(self._state_dir, num_lines=15)
            error = {"code": "ServiceDaemonNotRunning", "message": (
                f"The service's daemon process (pid {state.get('pid')}) is not running; "
                "service.reload() or service.update(...) starts it again."
                + (f"\n{tail}" if tail else ""))}
            self._record = registry.set_state(self.workspace, self.name, state="Failed",
                                              error=error)
            self._status = None

    def _live(self, key: str, default: Any = None) -> Any:
        if self._status is not None and key in self._status:
            return self._status[key]
        return self._record.state.get(key, default)

    def refresh(self) -> None:
        record = registry.get_record(self.workspace, self.name)
        if record is None:
            raise not_found(self.name, self.workspace)
        self._record = record
        self._status = None
        self._reconcile()

    # ------------------------------------------------------------------ v1 attributes
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def compute_type(self) -> str:
        return self._record.spec.get("computeType", self._compute_type)

    @property
    def state(self) -> str:
        return self._live("state", "Transitioning")

    @property
    def error(self) -> dict[str, Any] | None:
        return self._live("error")

    @property
    def port(self) -> int | None:
        return self._live("port") or None

    @property
    def scoring_uri(self) -> str | None:
        port = self.port
        return None if not port else f"http://127.0.0.1:{port}/score"

    @property
    def swagger_uri(self) -> str | None:
        port = self.port
        return None if not port else f"http://127.0.0.1:{port}/swagger.json"

    @property
    def auth_enabled(self) -> bool:
        return bool(self._deployment.get("auth_enabled"))

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.state.get("tags") or {})

    @property
    def properties(self) -> dict[str, str]:
        return dict(self._record.state.get("properties") or {})

    @property
    def description(self) -> str:
        return self._record.state.get("description", "")

    @property
    def created_time(self) -> datetime | None:
        return _iso(self._record.created_time)

    @property
    def updated_time(self) -> datetime | None:
        return _iso(self._record.updated_time)

    @property
    def created_by(self) -> str:
        return self._record.spec.get("createdBy", "")

    @property
    def image_id(self) -> None:
        return None  # no container images: the environment is built with uv

    @property
    def _deployment(self) -> dict[str, Any]:
        return dict(self._record.state.get("deployment") or {})

    @property
    def models(self) -> list[Model]:
        from ..model import Model  # on use: loads 6 more modules

        return [Model(self.workspace, m["name"], version=m["version"])
                for m in self._deployment.get("models", [])]

    @property
    def compute_target_name(self) -> str | None:
        return self._deployment.get("computeTarget")

    # ---- beyond v1
    @property
    def replicas(self) -> list[dict[str, Any]]:
        """The replica processes: id, pid, generation, state, restarts, last exit."""
        return list((self._status or {}).get("replicas", []))

    @property
    def restarts(self) -> int:
        return int(self._live("restarts", 0) or 0)

    @property
    def run_id(self) -> str:
        """The monitoring run: request metrics and collected data."""
        return self._record.state["runId"]

    # ------------------------------------------------------------------ waiting
    def wait_for_deployment(self, show_output: bool = False,
                            timeout_sec: float | None = None) -> None:
        """Wait until the last deployment operation ends; WebserviceException (with the
        cause and the logs' tail) when it Failed."""

        wait_for_deployment(self, show_output, timeout_sec)

    # ------------------------------------------------------------------ using it
    def get_logs(self, num_lines: int = 5000, init: bool = False, **kwargs: Any) -> str:
        """The daemon's, the environment build's and every replica's log (tracebacks of
        ``init()``/``run()`` included)."""

        if not self._local:
            raise WebserviceException(f"Service {self.name!r} runs on host "
                                      f"{self._record.state.get('host')!r}; read its logs there")
        return control.logs(self._state_dir, num_lines=num_lines, init=init)

    def get_keys(self) -> tuple[str, str]:
        if not self.auth_enabled:
            raise WebserviceException(f"Service {self.name!r} has key authentication "
                                      "disabled (auth_enabled=False)")
        keys = control.read_keys(self._state_dir) or {}
        return keys.get("primaryKey", ""), keys.get("secondaryKey", "")

    def regen_key(self, key: str, set_key: str | None = None) -> None:
        """A new ``"Primary"`` or ``"Secondary"`` key (``set_key``: that value); replicas use
        it within half a second."""

        if key not in ("Primary", "Secondary"):
            raise WebserviceException("key must be 'Primary' or 'Secondary'")
        if set_key is not None and (not isinstance(set_key, str) or len(set_key) < 8):
            raise WebserviceException("set_key must be a string of at least 8 characters")
        primary, secondary = self.get_keys()
        value = set_key or control.new_key()
        control.write_keys(self._state_dir, {
            "primaryKey": value if key == "Primary" else primary,
            "secondaryKey": value if key == "Secondary" else secondary})

    def get_token(self) -> Any:
        raise WebserviceException("Token authentication is not available here; services use "
                                  "keys (get_keys())")

    def run(self, input_data: Any) -> Any:
        """POST ``input_data`` (a JSON string, or anything JSON-serializable) to the scoring
        URI; returns the decoded answer. A non-200 answer is a WebserviceException."""
        import httpx  # httpx on use

        uri = self.scoring_uri
        if uri is None:
            self.refresh()
            uri = self.scoring_uri
        if uri is None:
            raise WebserviceException(f"Service {self.name!r} is {self.state}: it has no "
                                      "scoring URI")
        body = input_data if isinstance(input_data, (str, bytes)) else json.dumps(input_data)
        headers = {"Content-Type": "application/json"}
        if self.auth_enabled:
            headers["Authorization"] = f"Bearer {self.get_keys()[0]}"
        try:
            response = httpx.post(uri, content=body, headers=headers, timeout=300)
        except httpx.HTTPError as exc:
            raise WebserviceException(f"Could not reach service {self.name!r} at {uri}: "
                                      f"{exc}. Its state is {self.state}.") from exc
        if response.status_code != 200:
            raise WebserviceException(
                "Received bad response from service. More information can be found by "
                "calling `.get_logs()` on the webservice object.\n"
                f"Response Code: {response.status_code}\nContent: {response.text}")
        return response.json()

    # ------------------------------------------------------------------ changes
    def _redeploy(self, *, models: Any = None, inference_config: Any = None,
                  config_changes: dict[str, Any] | None = None, reload: bool = False,
                  tags: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
                  description: str | None = None) -> None:
        from .update import redeploy  # cycle: update imports this module

        redeploy(self, models=models, inference_config=inference_config,
                 config_changes=config_changes or {}, reload=reload, tags=tags,
                 properties=properties, description=description)

    def reload(self, wait: bool = False) -> None:
        """Copy the source folder (entry script included) again and roll the replicas onto
        it; starts a daemon that died."""
        self._redeploy(reload=True)
        if wait:
            self.wait_for_deployment()

    def delete(self, *args: Any, **kwargs: Any) -> None:
        """Stop the daemon (replicas drain, the monitoring data is flushed), complete the
        monitoring run and remove the service."""
        from .update import delete  # cycle: update imports this module

        delete(self)

    # ------------------------------------------------------------------ monitoring
    def get_service_metrics(self, since: float | datetime | None = None,
                            until: float | datetime | None = None) -> dict[str, Any]:
        """Beyond v1: requests, errors, requests/s, error rate and latency percentiles over
        a window (epoch seconds or datetimes; default: the service's whole life)."""

        return service_metrics(self, since, until)

    def get_drift(self, baseline: Any = None, **kwargs: Any) -> Any:
        """Beyond v1: drift of the collected inputs against ``baseline`` (a DataFrame or a
        dataset; default: the first deployed model's ``sample_input_dataset``); see
        :func:`jupyter_mlws.core.drift.collected_inputs_drift`."""

        return service_drift(self, baseline, **kwargs)

    def get_collected_data(self, designation: str = "inputs",
                           dataset_name: str | None = None) -> Any:
        """Beyond v1 (which left collected files in blob storage for users to wrap in a
        dataset): the rows collected for ``designation`` (a ``ModelDataCollector``
        designation, or ``requests`` for sampled bodies) as the registered TabularDataset
        ``<service>-<designation>``, a new version when files arrived since the latest; see
        :mod:`jupyter_mlws.core.webservice.collected_data`."""
        from .collected_data import collected_dataset  # on use: loads the data modules

        return collected_dataset(self, designation, dataset_name)

    def get_collected_data_summary(self) -> dict[str, Any]:
        """Beyond v1: per designation, the files and rows collected so far and the dataset
        versions made from them (what the studio's "Collected data" shows); see
        :func:`jupyter_mlws.core.webservice.collected_data.collected_summary`."""
        from .collected_data import collected_summary  # on use: loads the data modules

        return collected_summary(self)

    # ------------------------------------------------------------------ listing
    @staticmethod
    def list(workspace: Workspace, compute_type: str | None = None,
             image_name: str | None = None, image_id: str | None = None,
             model_name: str | None = None, model_id: str | None = None,
             tags: list[Any] | None = None, properties: list[Any] | None = None,
             image_digest: str | None = None, **kwargs: Any) -> list[Webservice]:
        tag_pairs, prop_pairs = filter_pairs("tags", tags), filter_pairs("properties",
                                                                           properties)
        found = []
        for record in registry.list_records(workspace):
            if compute_type is not None and record.spec.get("computeType") != compute_type:
                continue
            ids = registry.model_ids(record)
            if model_id is not None and model_id not in ids:
                continue
            if model_name is not None and not any(i.rsplit(":", 1)[0] == model_name
                                                  for i in ids):
                continue
            if not (matches(record.state.get("tags") or {}, tag_pairs)
                    and matches(record.state.get("properties") or {}, prop_pairs)):
                continue
            found.append(Webservice._from_record(workspace, record))
        return found

    def serialize(self) -> dict[str, Any]:
        return {"name": self.name, "computeType": self.compute_type, "state": self.state,
                "error": self.error, "scoringUri": self.scoring_uri,
                "swaggerUri": self.swagger_uri, "authEnabled": self.auth_enabled,
                "tags": self.tags, "properties": self.properties,
                "description": self.description, "createdBy": self.created_by,
                "createdTime": None if self.created_time is None
                else self.created_time.isoformat(),
                "models": [f"{m['name']}:{m['version']}"
                           for m in self._deployment.get("models", [])],
                "computeTarget": self.compute_target_name, "replicas": self.replicas,
                "restarts": self.restarts, "runId": self.run_id}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(workspace={self.workspace.name!r}, name={self.name!r}, "
                f"state={self.state!r}, scoring_uri={self.scoring_uri!r})")


__all__ = ["Webservice", "WebserviceNotFoundError", "not_found"]
