"""Exceptions with the names of ``azureml.exceptions``.

Code written for the v1 SDK catches these by name, so the hierarchy mirrors v1:
everything derives from :class:`AzureMLException`; bad input is a
:class:`UserErrorException`.
"""

from __future__ import annotations

import json
from typing import Any


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` for an error message, cut to about ``limit`` characters: a message
    naming a bad value must stay readable (and small) when the value is a 1 MB string."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}... ({len(text):,} characters)"


class AzureMLException(Exception):
    """Base class of every error raised by jupyter_mlws. ``status_code`` is the HTTP status a
    server answers with when one reaches a route (the server's one mapping reads it)."""

    status_code = 400

    def __init__(self, exception_message: str = "", inner_exception: BaseException | None = None,
                 **kwargs: Any) -> None:
        super().__init__(exception_message)
        self.message = exception_message
        self.inner_exception = inner_exception

    def __str__(self) -> str:
        return self.message


class UserErrorException(AzureMLException):
    """The caller passed something invalid."""


class ProjectSystemException(AzureMLException):
    """A workspace could not be found or loaded."""


class WorkspaceException(ProjectSystemException):
    """Workspace-level failure (create/get/delete)."""


class ExperimentExecutionException(AzureMLException):
    """Submitting or following an experiment's run failed."""


class RunEnvironmentException(AzureMLException):
    """``Run.get_context(allow_offline=False)`` outside a submitted run."""


class SnapshotException(AzureMLException):
    """A snapshot is too large or could not be taken."""


class ComputeTargetException(AzureMLException):
    """A compute target is missing or unusable."""


class WebserviceException(AzureMLException):
    """Model or service errors."""


class ModelNotFoundException(WebserviceException):
    """A registered model does not exist."""


class AuthenticationException(AzureMLException):
    """Authentication failed (kept for import compatibility)."""


class ActivityFailedException(AzureMLException):
    """A waited-on run ended Failed; ``error_details`` holds the run's error as JSON."""

    def __init__(self, error_details: str | dict | None = None, **kwargs: Any) -> None:
        if isinstance(error_details, dict):
            error_details = json.dumps(error_details, indent=4)
        message = error_details or (
            "Detailed error not set on the Run. Please check the logs for details.")
        super().__init__(message, **kwargs)
        self.error_details = error_details


class ServiceException(AzureMLException):
    """A remote jupyter_mlws server answered with an error."""

    def __init__(self, message: str = "", status_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code


__all__ = [
    "ActivityFailedException",
    "AuthenticationException",
    "AzureMLException",
    "ComputeTargetException",
    "ExperimentExecutionException",
    "ModelNotFoundException",
    "ProjectSystemException",
    "RunEnvironmentException",
    "ServiceException",
    "SnapshotException",
    "UserErrorException",
    "WebserviceException",
    "WorkspaceException",
    "shown",
]
