"""The API contract of jupyter_mlws: one table of operations (``table.py``) with their pydantic
models. Neutral: the server, the HTTP store and the widget all import it; it imports only the
store's records and errors (and pydantic)."""

from __future__ import annotations

from .operation import ACTION_PREFIX, API_PREFIX, Operation, Request, RequestInvalid
from .table import OPERATIONS, WIDGET_OPS, operation

__all__ = ["ACTION_PREFIX", "API_PREFIX", "OPERATIONS", "WIDGET_OPS", "Operation", "Request",
           "RequestInvalid", "operation"]
