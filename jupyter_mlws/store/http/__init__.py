"""The HTTP implementation of the store: every Store method as the REST operation of the same
name in the table (``jupyter_mlws.api``), on a jupyter_mlws server."""

from __future__ import annotations

from .store import HttpStore

__all__ = ["HttpStore"]
