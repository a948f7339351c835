"""``Dataset`` (v1 section 9): ``Dataset.Tabular`` / ``Dataset.File`` factories and lookups of
registered datasets. The classes themselves are in :mod:`jupyter_mlws.data`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..data.abstract_dataset import AbstractDataset
from ..data.dataset_factory import FileDatasetFactory, TabularDatasetFactory

if TYPE_CHECKING:
    from .workspace import Workspace


class Dataset:
    """Entry point of datasets, as ``azureml.core.Dataset``."""

    Tabular = TabularDatasetFactory
    File = FileDatasetFactory

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: Any = "latest",
                    **kwargs: Any) -> Any:
        """The given version (``"latest"`` by default) of a registered dataset."""
        return AbstractDataset.get_by_name(workspace, name, version)

    @staticmethod
    def get_by_id(workspace: Workspace, id: str, **kwargs: Any) -> Any:
        """A registered version (or a dataset saved by a run) by its id."""
        return AbstractDataset.get_by_id(workspace, id)

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        """``{name: latest version}`` of every registered dataset."""
        return AbstractDataset.get_all(workspace)


__all__ = ["Dataset"]
