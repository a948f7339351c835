"""Errors of the store interface. ``status_code`` is the HTTP status a server answers with:
the one mapping from store errors to HTTP, used by every route."""

from __future__ import annotations

from ..exceptions import UserErrorException


class StoreError(UserErrorException):
    """Base class of store errors; ``status_code`` is the HTTP status the server answers with
    (the one mapping, used by every route)."""

    status_code = 500


class NotFoundError(StoreError):
    """The workspace, experiment, run, metric or file does not exist (HTTP 404)."""

    status_code = 404


class ConflictError(StoreError):
    """The operation conflicts with the current state, e.g. a name taken (HTTP 409)."""

    status_code = 409


class InvalidInputError(StoreError):
    """An argument is malformed: bad name, bad path, bad value (HTTP 400)."""

    status_code = 400


class CorruptArtifactError(StoreError):
    """A stored file does not match what was recorded when it was written (its size, or its
    SHA-256): it is never served as if it were whole (HTTP 500, reason ``ArtifactCorrupt``)."""

    status_code = 500
    reason = "ArtifactCorrupt"


__all__ = ["ConflictError", "CorruptArtifactError", "InvalidInputError", "NotFoundError",
           "StoreError"]
