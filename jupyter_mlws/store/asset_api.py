"""The asset part of the store interface: versioned specs of environments, compute targets,
models, datasets, services (any ``kind``).

:class:`~jupyter_mlws.store.base.Store` inherits :class:`AssetApi`; the SQL store implements it in
``sql/assets.py``, the HTTP store in ``http/assets.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .records import AssetRecord

if TYPE_CHECKING:
    pass


class AssetApi(abc.ABC):
    """Versioned assets by (kind, name)."""

    # ---- assets (environments, compute targets, models, datastores, ...)
    @abc.abstractmethod
    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        """Store ``spec`` under (kind, name). ``new_version=True`` adds version max+1 (1 for a new
        name); ``False`` creates version 1 or ConflictError if the name exists (for assets that
        are not versioned, like compute targets)."""

    @abc.abstractmethod
    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        """The given version, or the latest; NotFoundError if missing."""

    @abc.abstractmethod
    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        """Sorted by name, then version descending."""

    @abc.abstractmethod
    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        """Replace or merge the mutable ``state`` of one version."""

    @abc.abstractmethod
    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        """Delete one version, or every version when ``version`` is None."""

    @abc.abstractmethod
    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Iterable[str] | None = None,
                     description: str | None = None) -> AssetRecord:
        """Merge ``tags`` into one version's tags, drop ``remove_tags``, replace the
        description (None leaves it); the spec never changes."""
