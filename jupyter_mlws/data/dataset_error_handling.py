"""v1's dataset error names (``azureml.data.dataset_error_handling``)."""

from ..store.data.errors import DataChangedError, DatasetExecutionError, DatasetValidationError

__all__ = ["DataChangedError", "DatasetExecutionError", "DatasetValidationError"]
