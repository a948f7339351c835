"""Answers to the RunDetails widget's requests, read from the Store.

The front end sends ``{type: "request", id, op, args}``; :meth:`WidgetData.answer` returns the
``{type: "response", id, ok, data | error}`` message. Each op's ``data`` is the body the REST
route of the same name returns, so the widget and the studio share one client. A request may
name a child in ``args.run_id``; only the widget's run and its descendants are reachable.
"""

from __future__ import annotations

import base64
import codecs
import mimetypes
from collections.abc import Callable
from typing import Any

from ..exceptions import AzureMLException
from ..store.base import RunQuery, RunRecord, Store
from ..store.paths import normalize_artifact_path, normalize_prefix
from ..store.serialize import build_tree, json_safe, metric_series

MAX_ARTIFACT_BYTES = 20 * 1024 * 1024  # inline downloads travel base64 over the comm
LOG_READ_MAX = 1024 * 1024
MAX_POINTS_LIMIT = 100_000
CHILDREN_LIMIT_MAX = 1000
MAX_COLUMNS = 100
CHILD_VALUES_LIMIT = 10_000  # trials read at once (their values travel over the comm)
CHILD_SERIES_RUNS = 50
_MAX_DEPTH = 64  # parent chains deeper than this are not a tree we built


class RequestError(AzureMLException):
    """A request the widget cannot answer; its message goes back to the front end."""


def _int_arg(args: dict[str, Any], key: str, default: int | None, *, minimum: int,
             maximum: int | None = None) -> int | None:
    value = args.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        bound = f"[{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
        raise RequestError(f"'{key}' must be an integer {bound}, got {value!r}")
    return value


def _str_arg(args: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = args.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise RequestError(f"'{key}' must be a non-empty string")
    return value


def _read_capped(stream: Any, what: str) -> bytes:
    data = stream.read(MAX_ARTIFACT_BYTES + 1)
    if len(data) > MAX_ARTIFACT_BYTES:
        raise RequestError(
            f"{what} is larger than {MAX_ARTIFACT_BYTES // (1024 * 1024)} MB, too large to show "
            "in the widget; download it with run.download_file() or from the studio.")
    return data


class WidgetData:
    """Reads for one widget: its run (``run_id``) and that run's descendants."""

    def __init__(self, store: Store, workspace_id: str, run_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.run_id = run_id
        self._ops: dict[str, Callable[[RunRecord, dict[str, Any]], Any]] = {
            "run": self.op_run, "metrics": self.op_metrics, "series": self.op_series,
            "children": self.op_children, "artifacts": self.op_artifacts,
            "artifact": self.op_artifact, "log_tail": self.op_log_tail,
            "snapshot": self.op_snapshot, "snapshot_file": self.op_snapshot_file,
            "cancel": self.op_cancel, "child_keys": self.op_child_keys,
            "child_values": self.op_child_values, "child_series": self.op_child_series,
        }

    # ---- dispatch
    def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        """The response message for one request message (never raises)."""
        request_id = message.get("id")
        try:
            op = message.get("op")
            handler = self._ops.get(op) if isinstance(op, str) else None
            if handler is None:
                raise RequestError(f"Unknown op {op!r}; expected one of {', '.join(self._ops)}")
            args = message.get("args") or {}
            if not isinstance(args, dict):
                raise RequestError("'args' must be an object")
            record = self.resolve(args.get("run_id"))
            data = handler(record, args)
        except AzureMLException as exc:  # store errors (404, 400...) are user-facing here
            return {"type": "response", "id": request_id, "ok": False, "error": str(exc)}
        except Exception as exc:  # the front end shows it; the kernel must not die of it
            return {"type": "response", "id": request_id, "ok": False,
                    "error": f"{type(exc).__name__}: {exc}"}
        return {"type": "response", "id": request_id, "ok": True, "data": json_safe(data)}

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
        if record.workspace_id != self.workspace_id:
            raise denied
        parent = record.parent_run_id
        for _ in range(_MAX_DEPTH):
            if parent is None:
                raise denied
            if parent == self.run_id:
                return record
            parent = self.store.get_run(parent, workspace_id=self.workspace_id).parent_run_id
        raise denied

    # ---- ops (data = the REST body of the same route)
    def op_run(self, record: RunRecord, args: dict[str, Any]) -> Any:
        return record

    def op_cancel(self, record: RunRecord, args: dict[str, Any]) -> Any:
        """The widget's Cancel button: the same request as the REST cancel route."""
        from ..execution.cancel import request_cancel

        return request_cancel(self.store, record.id)

    # ---- a sweep's trials: the bodies of the run-keys / run-values / metrics query routes
    def op_child_keys(self, record: RunRecord, args: dict[str, Any]) -> Any:
        return self.store.list_run_keys(self.workspace_id, RunQuery(parent_run_id=record.id))

    def op_child_values(self, record: RunRecord, args: dict[str, Any]) -> Any:
        columns = args.get("columns") or []
        if not isinstance(columns, list) or len(columns) > MAX_COLUMNS or not all(
                isinstance(c, str) for c in columns):
            raise RequestError(f"'columns' must be a list of at most {MAX_COLUMNS} names")
        query = RunQuery(parent_run_id=record.id, order_by="number", descending=False,
                         limit=CHILD_VALUES_LIMIT)
        return self.store.get_run_values(self.workspace_id, query, columns)

    def op_child_series(self, record: RunRecord, args: dict[str, Any]) -> Any:
        run_ids = args.get("run_ids")
        names = args.get("names")
        if not isinstance(run_ids, list) or not 0 < len(run_ids) <= CHILD_SERIES_RUNS or not all(
                isinstance(r, str) for r in run_ids):
            raise RequestError(f"'run_ids' must be a list of 1-{CHILD_SERIES_RUNS} run ids")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise RequestError("'names' must be a list of metric names")
        max_points = _int_arg(args, "max_points", 500, minimum=2, maximum=MAX_POINTS_LIMIT)
        out = []
        for run_id in dict.fromkeys(run_ids):
            child = self.resolve(run_id)  # only descendants of the widget's run
            if child.parent_run_id != record.id:
                raise RequestError(f"Run {run_id} is not a child run of {record.id}.")
            for info in self.store.list_metrics(child.id):
                if info.name in names and info.kind == "scalar":
                    out.append(metric_series(self.store.get_metric_series(
                        child.id, info.name, max_points=max_points)))
        return {"series": out}

    def op_metrics(self, record: RunRecord, args: dict[str, Any]) -> Any:
        return {"metrics": self.store.list_metrics(record.id)}

    def op_series(self, record: RunRecord, args: dict[str, Any]) -> Any:
        name = _str_arg(args, "name")
        since = _int_arg(args, "since", 0, minimum=0) or 0
        max_points = _int_arg(args, "max_points", None, minimum=2, maximum=MAX_POINTS_LIMIT)
        until = _int_arg(args, "until", None, minimum=since)
        return metric_series(self.store.get_metric_series(record.id, name, since=since,
                                                          max_points=max_points, until=until))

    def op_children(self, record: RunRecord, args: dict[str, Any]) -> Any:
        query = RunQuery(parent_run_id=record.id, order_by="created_time",
                         descending=bool(args.get("descending", True)),
                         limit=_int_arg(args, "limit", 100, minimum=1,
                                        maximum=CHILDREN_LIMIT_MAX),
                         offset=_int_arg(args, "offset", 0, minimum=0) or 0)
        runs = self.store.list_runs(self.workspace_id, query)
        return {"runs": runs, "total": self.store.count_runs(self.workspace_id, query)}

    def op_artifacts(self, record: RunRecord, args: dict[str, Any]) -> Any:
        prefix = args.get("prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise RequestError("'prefix' must be a string")
        records = self.store.list_artifacts(record.id, normalize_prefix(prefix))
        return {"artifacts": records, "tree": build_tree(records)}

    def op_artifact(self, record: RunRecord, args: dict[str, Any]) -> Any:
        path = normalize_artifact_path(_str_arg(args, "path"))
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        for artifact in self.store.list_artifacts(record.id, path):
            if artifact.path == path:
                if artifact.size > MAX_ARTIFACT_BYTES:
                    _read_capped_size_error(path, artifact.size)
                if artifact.content_type != "application/octet-stream":
                    content_type = artifact.content_type
        with self.store.open_artifact(record.id, path) as stream:
            data = _read_capped(stream, f"Artifact {path}")
        return {"content_type": content_type, "base64": base64.b64encode(data).decode("ascii"),
                "size": len(data)}

    def op_log_tail(self, record: RunRecord, args: dict[str, Any]) -> Any:
        path = normalize_artifact_path(_str_arg(args, "path"))
        offset = _int_arg(args, "offset", 0, minimum=0) or 0
        max_bytes = _int_arg(args, "max_bytes", LOG_READ_MAX, minimum=1,
                             maximum=8 * LOG_READ_MAX) or LOG_READ_MAX
        with self.store.open_artifact(record.id, path) as stream:
            size = stream.seek(0, 2)
            stream.seek(min(offset, size))
            data = stream.read(max_bytes)
        # A UTF-8 sequence cut mid-flush stays for the next call instead of becoming U+FFFD.
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(data, final=False)
        pending = len(decoder.getstate()[0])
        return {"data": text, "offset": min(offset, size) + len(data) - pending, "size": size}

    def op_snapshot(self, record: RunRecord, args: dict[str, Any]) -> Any:
        if not record.snapshot_id:
            # A run without a snapshot is normal (notebook runs): null, as the client turns the
            # REST route's 404 into null, rather than an error.
            return None
        return self.store.get_snapshot(record.snapshot_id)

    def op_snapshot_file(self, record: RunRecord, args: dict[str, Any]) -> Any:
        path = normalize_artifact_path(_str_arg(args, "path"))
        if not record.snapshot_id:
            raise RequestError(f"Run {record.id} has no snapshot.")
        with self.store.open_snapshot_file(record.snapshot_id, path) as stream:
            data = _read_capped(stream, f"Snapshot file {path}")
        content_type = mimetypes.guess_type(path)[0] or "text/plain"
        return {"content_type": content_type, "base64": base64.b64encode(data).decode("ascii"),
                "size": len(data)}


def _read_capped_size_error(path: str, size: int) -> None:
    raise RequestError(
        f"Artifact {path} is {size} bytes, larger than "
        f"{MAX_ARTIFACT_BYTES // (1024 * 1024)} MB, too large to show in the widget; download "
        "it with run.download_file() or from the studio.")


__all__ = ["MAX_ARTIFACT_BYTES", "RequestError", "WidgetData"]
