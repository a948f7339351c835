"""Notebook widgets: ``from jupyter_mlws.widgets import RunDetails`` (v1 ``azureml.widgets``)."""

from .run_details import RunDetails

__all__ = ["RunDetails"]
