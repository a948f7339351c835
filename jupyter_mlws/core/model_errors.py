"""The errors of the model registry (``ModelNotFoundError`` is re-exported by :mod:`.model`)."""

from __future__ import annotations

from ..exceptions import ModelNotFoundException, UserErrorException, WebserviceException


class ModelNotFoundError(ModelNotFoundException, UserErrorException):
    """The model (or the version, or the alias) does not exist."""

    status_code = 404


class ModelInUseError(WebserviceException):
    """A model version a service deploys cannot be deleted (HTTP 409 through the server)."""

    status_code = 409


__all__ = ["ModelInUseError", "ModelNotFoundError"]
