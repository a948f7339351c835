"""Answers to the RunDetails widget's requests, dispatched through the operation table.

The front end sends ``{type: "request", id, op, args}``; :meth:`WidgetData.answer` returns the
``{type: "response", id, ok, data | error}`` message. Each widget op is a row of the table
(``Operation.widget``): its arguments are validated by the row's query model, the row's store
call answers it and ``data`` is the REST body of that operation, so the widget and the studio
share one client. A request may name a descendant in ``args.run_id``; only the widget's run and
its descendants are reachable. File operations answer ``{content_type, base64, size}``.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from typing import Any

from ..api.files import artifact_content_type
from ..api.operation import Operation, Request, RequestInvalid
from ..api.table import WIDGET_OPS
from ..exceptions import AzureMLException
from ..execution.cancel import request_cancel
from ..store.base import RunRecord, Store
from ..store.codec import json_safe

MAX_ARTIFACT_BYTES = 20 * 1024 * 1024  # inline downloads travel base64 over the comm
_MAX_DEPTH = 64  # parent chains deeper than this are not a tree we built


def _cancel(store: Store, request: Request) -> Any:
    return request_cancel(store, request.params["run_id"])


# Widget ops whose rows are server services, not store calls: the same work, in the kernel.
SERVICES: dict[str, Callable[[Store, Request], Any]] = {"cancelRun": _cancel}


class RequestError(AzureMLException):
    """A request the widget cannot answer; its message goes back to the front end."""


def _too_large(what: str) -> RequestError:
    return RequestError(
        f"{what} is larger than {MAX_ARTIFACT_BYTES // (1024 * 1024)} MB, too large to show in "
        "the widget; download it with run.download_file() or from the studio.")


class WidgetData:
    """Reads for one widget: its run (``run_id``) and that run's descendants."""

    def __init__(self, store: Store, workspace_id: str, run_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.run_id = run_id

    # ---- dispatch
    def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        """The response message for one request message (never raises)."""
        request_id = message.get("id")
        try:
            op = message.get("op")
            row = WIDGET_OPS.get(op) if isinstance(op, str) else None
            if row is None:
                raise RequestError(f"Unknown op {op!r}; expected one of "
                                   f"{', '.join(WIDGET_OPS)}")
            args = message.get("args") or {}
            if not isinstance(args, dict):
                raise RequestError("'args' must be an object")
            args = dict(args)
            record = self.resolve(args.pop("run_id", None))
            data = self._call(row, record, args)
        except AzureMLException as exc:  # store errors (404, 400...) are user-facing here
            return {"type": "response", "id": request_id, "ok": False, "error": str(exc)}
        except Exception as exc:  # the front end shows it; the kernel must not die of it
            return {"type": "response", "id": request_id, "ok": False,
                    "error": f"{type(exc).__name__}: {exc}"}
        return {"type": "response", "id": request_id, "ok": True, "data": json_safe(data)}

    def _call(self, row: Operation, record: RunRecord, args: dict[str, Any]) -> Any:
        bound = row.widget_args(record) if row.widget_args else {"run_id": record.id}
        if "snapshot_id" in bound and not bound["snapshot_id"]:
            if row.response_kind == "file":
                raise RequestError(f"Run {record.id} has no snapshot.")
            # A run without a snapshot is normal (notebook runs): null, as the client turns
            # the REST route's 404 into null, rather than an error.
            return None
        args = {row.widget_aliases.get(name, name): value for name, value in args.items()}
        try:
            request = row.parse_dict({**args, **bound})
        except RequestInvalid as exc:  # name the fields as the widget does
            message = str(exc)
            for comm, rest in row.widget_aliases.items():
                message = message.replace(f"'{rest}'", f"'{comm}'")
            raise RequestError(message) from None
        for run_id in getattr(request.body, "run_ids", None) or ():
            self.resolve(run_id)  # a body naming runs (a trials chart): descendants only
        if row.id in SERVICES:
            return SERVICES[row.id](self.store, request)
        if row.response_kind != "file":
            return row.invoke(self.store, request)
        if row.id == "downloadArtifact":
            path = request.params["path"]
            content_type, size = artifact_content_type(self.store, record.id, path)
            if size is not None and size > MAX_ARTIFACT_BYTES:
                raise _too_large(f"Artifact {path} ({size} bytes)")
            what = f"Artifact {path}"
        else:
            content_type = mimetypes.guess_type(request.params["path"])[0] or "text/plain"
            what = f"Snapshot file {request.params['path']}"
        with row.execute(self.store, request) as stream:
            data = stream.read(MAX_ARTIFACT_BYTES + 1)
        if len(data) > MAX_ARTIFACT_BYTES:
            raise _too_large(what)
        return {"content_type": content_type, "base64": base64.b64encode(data).decode("ascii"),
                "size": len(data)}

    def resolve(self, run_id: Any) -> RunRecord:
        """The record of ``run_id`` (default: the widget's run) if it is that run or one of its
        descendants in the same workspace; RequestError otherwise."""
        if run_id is None or run_id == self.run_id:
            return self.store.get_run(self.run_id, workspace_id=self.workspace_id)
        if not isinstance(run_id, str) or not run_id:
            raise RequestError("'run_id' must be a non-empty string")
        denied = RequestError(f"Run {run_id} is not {self.run_id} or one of its child runs.")
        try:
            record = self.store.get_run(run_id, workspace_id=self.workspace_id)
        except AzureMLException:
            raise denied from None
        parent = record.parent_run_id
        for _ in range(_MAX_DEPTH):  # up the parent chain until the widget's run
            if parent is None:
                raise denied
            if parent == self.run_id:
                return record
            parent = self.store.get_run(parent, workspace_id=self.workspace_id).parent_run_id
        raise denied


__all__ = ["MAX_ARTIFACT_BYTES", "RequestError", "WidgetData"]
