"""Errors of datastores and datasets, with the names of ``azureml.data.dataset_error_handling``.

They are :class:`~jupyter_mlws.store.base.InvalidInputError`s (HTTP 400 over REST) and therefore
``UserErrorException``s, as v1 raises for bad input.
"""

from __future__ import annotations

from ..base import InvalidInputError


class DatasetValidationError(InvalidInputError):
    """A dataset's definition cannot be used: no file matches, a file cannot be parsed, the
    schema differs across files, a path leaves its datastore."""


class DataPathNotFoundError(DatasetValidationError):
    """A path given for data does not exist."""


class DatasetExecutionError(InvalidInputError):
    """Reading a dataset failed: a file is missing or unreadable."""


class DataChangedError(DatasetExecutionError):
    """A file of a registered dataset version changed since the version was registered."""


__all__ = ["DataChangedError", "DataPathNotFoundError", "DatasetExecutionError",
           "DatasetValidationError"]
