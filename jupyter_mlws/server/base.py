"""The base of every REST handler: JSON in and out, store errors as HTTP statuses, the
authorization call, and validation of path and query parameters."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from http.client import responses
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from ..store.base import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunRecord,
    Store,
    StoreError,
    WorkspaceRecord,
)
from ..store.serialize import dumps
from .authz import AUTH_RESOURCE, AuthorizationError, MlwsResource, authorize

if TYPE_CHECKING:
    from .app import MlwsApp

T = TypeVar("T")

# Ids the store hands out (uuid hex, "<experiment>_<seconds>_<hex>") and names users choose:
# letters, digits, "_", "-", "." and no leading dot, so a path parameter can never climb.
ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")
# v1 experiment names: ^[a-zA-Z0-9][\w\-]{0,254}$
EXPERIMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$")
METRIC_NAME_MAX = 255
MAX_FILTERS = 10

# Machine-readable error reasons by status, for errors that do not carry their own.
_REASONS = {400: "InvalidInput", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
            416: "RangeNotSatisfiable", 500: "InternalError"}


# A rejected upload body up to this size is read and dropped before the error is answered.
DRAIN_LIMIT_BYTES = 1 << 20


class ApiError(HTTPError):
    """An HTTP error with a message for the client and a machine-readable reason."""

    def __init__(self, status_code: int, message: str, reason: str | None = None) -> None:
        super().__init__(status_code, log_message=message.replace("%", "%%"))
        self.message = message
        self.error_reason = reason or _REASONS.get(status_code, "Error")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "InvalidInput")


def store_error_to_http(exc: StoreError) -> ApiError:
    if isinstance(exc, NotFoundError):
        return ApiError(404, str(exc), "NotFound")
    if isinstance(exc, ConflictError):
        return ApiError(409, str(exc), "Conflict")
    if isinstance(exc, InvalidInputError):
        return ApiError(400, str(exc), "InvalidInput")
    status = getattr(exc, "status_code", 500)
    return ApiError(status if 400 <= status < 600 else 500, str(exc),
                    getattr(exc, "reason", None))


class MlwsHandler(ExtensionHandlerMixin, APIHandler):
    """Parse and validate, authorize, call the store, serialize. Nothing else."""

    auth_resource = AUTH_RESOURCE

    @property
    def mlws(self) -> MlwsApp:
        return self.extensionapp  # type: ignore[return-value]

    @property
    def store(self) -> Store:
        return self.mlws.store

    # ---- errors
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error is ``{"message": ..., "reason": ...}``; internals never leak."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            message, reason = exc.message, exc.error_reason
        elif isinstance(exc, AuthorizationError):
            message, reason = exc.log_message or "", exc.error_reason
        elif isinstance(exc, HTTPError):
            message = exc.log_message or responses.get(status_code, "Error")
            reason = _REASONS.get(status_code, "Error")
        else:
            message = responses.get(status_code, "Unknown HTTP Error")
            reason = _REASONS.get(status_code, "Error")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message, "reason": reason}))

    # ---- authorization
    def authorize(self, action: str, resource: MlwsResource) -> None:
        """The per-asset decision; every handler method calls it before touching the store."""
        authorize(self.current_user, action, resource, self.mlws.authorization_policy)

    async def run_upload_checks(self, checks: Callable[[], Awaitable[None]]) -> None:
        """Run a streamed upload's checks in ``prepare``, before its body is read.

        A failure is answered at once when the body is big or of unknown length, so none of it
        is read. A small body is read (and dropped) first and the error answered from the
        upload method (``raise_deferred_upload_error``): closing a connection with unread bytes
        makes the kernel reset it, and the client could lose the answer."""
        try:
            await checks()
        except HTTPError as exc:
            length = self.request.headers.get("Content-Length", "")
            if length.isdigit() and int(length) <= DRAIN_LIMIT_BYTES:
                self._deferred_upload_error = exc
                return
            raise

    def raise_deferred_upload_error(self) -> None:
        error = getattr(self, "_deferred_upload_error", None)
        if error is not None:
            raise error

    async def require_upload_write(self) -> None:
        """Identity and Jupyter's coarse 'write' permission, checked in a streamed upload's
        ``prepare``: ``@authorized`` would only run once the whole body had been read."""
        if not self.current_user:
            raise ApiError(403, "Authentication required.", "Forbidden")
        allowed = self.authorizer.is_authorized(self, self.current_user, "write",
                                                self.auth_resource)
        if asyncio.iscoroutine(allowed):
            allowed = await allowed
        if not allowed:
            raise ApiError(403, "Not allowed to write mlws.", "Forbidden")

    # ---- store calls
    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store method off the event loop; store errors become HTTP errors."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except StoreError as exc:
            raise store_error_to_http(exc) from exc

    async def load_workspace(self, workspace_id: str) -> WorkspaceRecord:
        return await self.call(self.store.get_workspace_by_id, check_id(workspace_id,
                                                                        "workspace id"))

    async def load_run(self, workspace_id: str, run_id: str) -> RunRecord:
        """The run, only if it belongs to the workspace the request was authorized for."""
        check_id(workspace_id, "workspace id")
        check_id(run_id, "run id")
        record = await self.call(self.store.get_run, run_id, workspace_id)
        if record.workspace_id != workspace_id:
            raise ApiError(404, f"Run {run_id} not found in workspace {workspace_id}.")
        return record

    # ---- responses
    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(body))

    # ---- request parsing
    def json_body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError as exc:
            raise bad_request(f"Request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object.")
        return body

    def query_str(self, name: str, default: str | None = None,
                  max_length: int = 1024) -> str | None:
        values = self.get_query_arguments(name)
        if not values:
            return default
        if len(values) > 1:
            raise bad_request(f"Query parameter {name!r} given more than once.")
        value = values[0]
        if len(value) > max_length:
            raise bad_request(f"Query parameter {name!r} is too long.")
        return value

    def query_int(self, name: str, default: int | None = None, *, minimum: int = 0,
                  maximum: int = 2**53) -> int | None:
        raw = self.query_str(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise bad_request(f"Query parameter {name!r} must be an integer.") from exc
        if not minimum <= value <= maximum:
            raise bad_request(f"Query parameter {name!r} must be in [{minimum}, {maximum}].")
        return value

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.query_str(name)
        if raw is None or raw == "":
            return default
        lowered = raw.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise bad_request(f"Query parameter {name!r} must be true or false.")

    def query_pairs(self, name: str) -> dict[str, str | None] | None:
        """Repeated ``name=k:v`` (or ``name=k`` for "present with any value")."""
        values = self.get_query_arguments(name)
        if not values:
            return None
        if len(values) > MAX_FILTERS:
            raise bad_request(f"At most {MAX_FILTERS} {name!r} filters.")
        pairs: dict[str, str | None] = {}
        for raw in values:
            key, sep, value = raw.partition(":")
            if not key or len(raw) > 256:
                raise bad_request(f"Query parameter {name!r} must look like key:value.")
            pairs[key] = value if sep else None
        return pairs


def check_id(value: str, what: str) -> str:
    if not ID_RE.match(value):
        raise bad_request(f"Invalid {what}: {value[:80]!r}.")
    return value


def check_experiment_name(value: str) -> str:
    if not isinstance(value, str) or not EXPERIMENT_NAME_RE.match(value):
        raise bad_request(
            "Invalid experiment name: use 1-255 letters, digits, '_' or '-', starting with a "
            "letter or digit.")
    return value


def check_metric_name(value: str) -> str:
    if not value or len(value) > METRIC_NAME_MAX or "\x00" in value:
        raise bad_request("Invalid metric name.")
    return value


def check_artifact_path(value: str) -> str:
    """Confine a path to its run through the store's one normalizer."""
    from ..store.paths import normalize_artifact_path

    try:
        return normalize_artifact_path(value)
    except (InvalidInputError, ValueError) as exc:
        raise bad_request(f"Invalid artifact path: {exc}") from exc


def check_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}.")


def check_tags(value: Any, what: str = "tags") -> dict[str, str | None]:
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object of strings.")
    for key, item in value.items():
        if not key or (item is not None and not isinstance(item, str)):
            raise bad_request(f"{what} must map non-empty keys to strings or null.")
    return value


def check_str(body: dict[str, Any], name: str, *, required: bool = False,
              max_length: int = 4096) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name!r} is required.")
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise bad_request(f"{name!r} must be a string of at most {max_length} characters.")
    return value
