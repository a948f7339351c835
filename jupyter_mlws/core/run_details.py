"""Tags, properties, details and display of a Run (v1 sections 4.1, 4.8, 4.10).

The Run provides ``_store``, ``_record`` (cached RunRecord), ``id`` and ``experiment``.
"""

from __future__ import annotations

import datetime
import html
import warnings
from collections.abc import Iterable
from typing import Any

from ..exceptions import UserErrorException
from ..store.base import ConflictError
from . import lab_link

DOCS_URL = "https://learn.microsoft.com/python/api/azureml-core/azureml.core.run.run"
LOG_PREFIXES = ("logs/", "user_logs/", "azureml-logs/", "system_logs/")


def string_values(kind: str, values: dict[str, Any], allow_none: bool,
               stacklevel: int = 3) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise UserErrorException(f"{kind} keys must be non-empty strings, got {key!r}")
        if value is None and allow_none:
            out[key] = None
        elif isinstance(value, str):
            out[key] = value
        else:
            warnings.warn(f"{kind} {key!r}: converting {type(value).__name__} value to str",
                          UserWarning, stacklevel=stacklevel)
            out[key] = str(value)
    return out


def iso_utc(epoch: float | None) -> str | None:
    """v1 timestamps: ISO 8601 in UTC with a trailing Z."""
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RunDetailsMixin:
    """Tags, properties, get_details, str/html and portal URL of a Run."""

    # ---- tags (mutable)
    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag; a bare tag has the value None."""
        self._set_tags({key: value}, stacklevel=4)

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Merge ``tags`` into the run's tags (keys not given are untouched)."""
        self._set_tags(tags, stacklevel=4)

    def _set_tags(self, tags: dict[str, Any], stacklevel: int) -> None:
        if not isinstance(tags, dict):
            raise UserErrorException(f"set_tags needs a dict, got {type(tags).__name__}")
        if tags:
            self._record.tags = self._store.set_run_tags(
                self.id, string_values("Tag", tags, True, stacklevel))

    def get_tags(self) -> dict[str, str | None]:
        """The run's tags, fresh from the store."""
        self.refresh()
        return dict(self._record.tags)

    def remove_tags(self, tags: Iterable[str]) -> None:
        """Remove the given tag keys (a single key string is accepted too)."""
        keys = [tags] if isinstance(tags, str) else list(tags)
        self._record.tags = self._store.remove_run_tags(self.id, keys)

    @property
    def tags(self) -> dict[str, str | None]:
        """Tags as of the last fetch (use get_tags() for fresh ones)."""
        return dict(self._record.tags)

    # ---- properties (add-only)
    def add_properties(self, properties: dict[str, Any]) -> None:
        """Add immutable properties; changing an existing one raises UserErrorException."""
        if not isinstance(properties, dict):
            raise UserErrorException(
                f"add_properties needs a dict, got {type(properties).__name__}")
        if not properties:
            return
        try:
            self._record.properties = self._store.add_run_properties(
                self.id, string_values("Property", properties, False))
        except ConflictError as exc:
            raise UserErrorException(
                f"Run properties are immutable: {exc}. Use a tag for a value that changes."
            ) from exc

    def get_properties(self) -> dict[str, str]:
        """The run's properties, fresh from the store."""
        self.refresh()
        return dict(self._record.properties)

    @property
    def properties(self) -> dict[str, str]:
        """Properties as of the last fetch."""
        return dict(self._record.properties)

    # ---- details
    def _log_files(self) -> dict[str, str]:
        base = self.experiment.workspace._record.storage_url.rstrip("/")
        return {artifact.path: f"{base}/runs/{self.id}/{artifact.path}"
                for artifact in self._store.list_artifacts(self.id)
                if artifact.path.startswith(LOG_PREFIXES)}

    def get_details(self) -> dict[str, Any]:
        """The run's details with v1's camelCase keys."""
        self.refresh()
        record = self._record
        details: dict[str, Any] = {
            "runId": record.id,
            "target": record.target,
            "status": record.status,
            "startTimeUtc": iso_utc(record.start_time or record.created_time),
        }
        if record.end_time is not None:
            details["endTimeUtc"] = iso_utc(record.end_time)
        details.update({
            "properties": dict(record.properties),
            **_datasets(self, record.properties),
            "runDefinition": dict(record.run_definition),
            "logFiles": self._log_files(),
            "submittedBy": record.properties.get("mlws.submittedBy", ""),
            "displayName": self.display_name,
            "description": record.description,
        })
        if record.error:
            details["error"] = record.error
            warnings_list = record.error.get("warnings")
            if warnings_list:
                details["warnings"] = warnings_list
        return details

    def get_status(self) -> str:
        """The current status (refreshed from the store unless already terminal)."""
        from .status import is_terminal

        if not is_terminal(self._record.status):
            self.refresh()
        return self._record.status

    def get_detailed_status(self) -> dict[str, Any]:
        """``{"status": ..., "details": None}`` (local runs have no queueing message)."""
        return {"status": self.get_status(), "details": None}

    # ---- display
    def get_portal_url(self) -> str:
        """A JupyterLab URL opening this run in a server that serves this run's store; else
        in a notebook ``mlws://runs/<workspace id>/<run id>`` (the studio opens it), and in a
        terminal the run's folder in the workspace storage (see :mod:`.lab_link`)."""
        workspace = self.experiment.workspace._record
        server = lab_link.lab_server_url(self._store)
        if server:
            return f"{server}lab?mlws-run={self.id}&mlws-workspace={workspace.id}"
        if lab_link.in_notebook():
            return f"mlws://runs/{workspace.id}/{self.id}"
        return lab_link.run_folder(workspace.storage_url, self.id)

    def __str__(self) -> str:
        return (f"Run(Experiment: {self.experiment.name},\nId: {self.id},\n"
                f"Type: {self.type},\nStatus: {self._record.status})")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = [html.escape(str(value)) for value in
                 (self.experiment.name, self.id, self.type, self._record.status)]
        url = html.escape(self.get_portal_url(), quote=True)
        head = "".join(f"<th>{name}</th>" for name in
                       ("Experiment", "Id", "Type", "Status", "Details Page", "Docs Page"))
        body = "".join(f"<td>{cell}</td>" for cell in cells)
        body += (f'<td><a href="{url}" target="_blank" rel="noopener">Link to jupyter_mlws '
                 f'run</a></td><td><a href="{DOCS_URL}" target="_blank" rel="noopener">'
                 "Link to Documentation</a></td>")
        return f"<table style=\"width:100%\"><tr>{head}</tr><tr>{body}</tr></table>"


def _datasets(run: Any, properties: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """v1's ``inputDatasets`` / ``outputDatasets`` from the run's lineage properties."""
    if not any(k.startswith("mlws.dataset.") for k in properties):
        return {"inputDatasets": [], "outputDatasets": []}
    from ..store.data.registry import parse_lineage

    lineage = parse_lineage(properties)
    inputs = [{"dataset": _dataset(run, item), "consumptionDetails": {
        "type": "RunInput", "inputName": use.get("name"),
        "mechanism": str(use.get("mode", "direct")).capitalize()}}
        for item in lineage["inputs"] for use in item.get("inputs") or [{}]]
    outputs = [{"dataset": _dataset(run, item), "outputType": "RunOutput",
                "outputDetails": {"outputName": item.get("output")}}
               for item in lineage["outputs"]]
    return {"inputDatasets": inputs, "outputDatasets": outputs}


def _dataset(run: Any, item: dict[str, Any]) -> Any:
    from ..data.abstract_dataset import AbstractDataset

    try:
        return AbstractDataset.get_by_id(run.experiment.workspace, item.get("id") or "")
    except UserErrorException:
        return None  # unregistered since: the lineage keeps its name and version


__all__ = ["RunDetailsMixin", "iso_utc"]
