"""The names of ``azureml.data``: ``TabularDataset``, ``FileDataset``,
``OutputFileDatasetConfig``, the datastore classes and ``DataType``; loaded on first access so
``import jupyter_mlws.data`` stays cheap (pyarrow loads only when data is read)."""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "TabularDataset": ".tabular_dataset",
    "FileDataset": ".file_dataset",
    "OutputFileDatasetConfig": ".output_dataset_config",
    "OutputTabularDatasetConfig": ".output_dataset_config",
    "DatasetConsumptionConfig": ".dataset_consumption_config",
    "DataType": ".dataset_factory",
    "TabularDatasetFactory": ".dataset_factory",
    "FileDatasetFactory": ".dataset_factory",
    "DataPath": ".datapath",
    "DataReference": ".data_reference",
    "AbstractDataset": ".abstract_dataset",
    "AbstractDatastore": ".abstract_datastore",
    "AzureBlobDatastore": ".azure_storage_datastore",
    "AzureFileDatastore": ".azure_storage_datastore",
    "AzureDataLakeGen2Datastore": ".azure_data_lake_datastore",
    "LocalDatastore": ".fsspec_datastore",
    "FsspecDatastore": ".fsspec_datastore",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = sorted(_LAZY)
