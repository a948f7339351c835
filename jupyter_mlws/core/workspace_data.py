"""The data accessors of a Workspace (v1 names): ``datastores``, ``get_default_datastore``,
``set_default_datastore``, ``datasets``; the classes load on first use."""

from __future__ import annotations

from typing import Any


class WorkspaceDataMixin:
    @property
    def datastores(self) -> dict[str, Any]:
        """``{name: datastore}``, the built-in ones included (core/datastore.py)."""
        from .datastore import Datastore

        return Datastore.list(self)

    def get_default_datastore(self) -> Any:
        from .datastore import Datastore

        return Datastore.get_default(self)

    def set_default_datastore(self, name: str) -> None:
        from .datastore import Datastore

        Datastore.get(self, name).set_as_default()

    @property
    def datasets(self) -> dict[str, Any]:
        """``{name: latest version}`` of the registered datasets (core/dataset.py)."""
        from .dataset import Dataset

        return Dataset.get_all(self)


__all__ = ["WorkspaceDataMixin"]
