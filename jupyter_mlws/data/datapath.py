"""``DataPath``: a path on a datastore (``azureml.data.datapath``)."""

from __future__ import annotations

from typing import Any

from ..exceptions import UserErrorException


class DataPath:
    """``DataPath(datastore, path_on_datastore)``: the same as a ``(datastore, path)`` tuple
    wherever a dataset factory takes paths."""

    def __init__(self, datastore: Any = None, path_on_datastore: str | None = None,
                 name: str | None = None) -> None:
        if datastore is None:
            raise UserErrorException("DataPath needs a datastore")
        self._datastore = datastore
        self._path_on_datastore = path_on_datastore or ""
        self._name = name

    @property
    def datastore_name(self) -> str:
        return str(self._datastore.name)

    @property
    def path_on_datastore(self) -> str:
        return self._path_on_datastore

    def __repr__(self) -> str:
        return (f"DataPath(datastore_name={self.datastore_name!r}, "
                f"path_on_datastore={self._path_on_datastore!r})")


__all__ = ["DataPath"]
