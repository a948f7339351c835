"""The one call of the HTTP store: an operation of the table (``jupyter_mlws.api``) as a request,
in the manner of MLflow's ``RestStore._call_endpoint``, and the wire form of its values. Every
mixin of :class:`~jupyter_mlws.store.http.store.HttpStore` builds on :class:`Endpoint`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from ...api.operation import Operation
from ...api.table import operation
from ...api.types import REPEATED
from ..codec import dumps, record
from ..settings import StoreSettings
from .transport import Transport


def _segment(value: str, safe: str) -> str:
    # "." and ".." stay percent-encoded: a client must not resolve them as path segments.
    encoded = quote(value, safe=safe)
    return "/".join(part if part not in (".", "..") else part.replace(".", "%2E")
                    for part in encoded.split("/"))


def wire(value: Any, repeated: bool = False) -> Any:
    """A query value as text: booleans lowercase, key:value filters and repeated parameters
    as a list, other lists joined by commas."""
    if repeated and isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return [key if v is None else f"{key}:{v}" for key, v in value.items()]
    if isinstance(value, (list, tuple)):
        return ",".join(value)
    return value


def _alias(model: Any, name: str) -> str:
    info = model.model_fields[name]
    return info.alias or name


def records(cls: type, items: Iterable[dict[str, Any]]) -> list[Any]:
    """Records of ``cls`` decoded from a list in a JSON answer."""
    return [record(cls, item) for item in items]


class Endpoint:
    """A transport to ``settings.tracking_uri`` and the one call over it; ``settings.token`` goes
    in the Authorization header of every request and nowhere else."""

    def __init__(self, settings: StoreSettings) -> None:
        if not settings.tracking_uri:
            raise ValueError("HttpStore needs settings.tracking_uri")
        self.settings = settings
        self.http = Transport(settings.tracking_uri, settings.token)

    def _path(self, op: Operation, path_params: dict[str, Any]) -> str:
        return op.url_path(path_params, _segment)

    def _call_endpoint(self, operation_id: str, path_params: dict[str, Any] | None = None,
                       body: dict[str, Any] | None = None,
                       query: dict[str, Any] | None = None) -> Any:
        """Send the operation's request and decode its JSON answer (None when empty).
        ``body`` and ``query`` are keyed by the store's argument names (the models' field
        names); None values are left out."""
        op = operation(operation_id)
        params = None
        if query:
            params = {_alias(op.query, k): wire(v, REPEATED in op.query.model_fields[k].metadata)
                      for k, v in query.items() if v is not None}
        content = None
        if op.body_kind == "json":
            fields = {_alias(op.body, k): v for k, v in (body or {}).items() if v is not None}
            content = dumps(fields).encode()
        return self.http.json(op.method, self._path(op, path_params or {}), params=params,
                              content=content)
