"""``FileDataset`` (``azureml.data.FileDataset``): files to download, mount or list.

``mount()`` needs no FUSE: the datastore folder itself for a local store (or a folder of links
when the dataset is a subset), and for object stores a local cache of the files (fetched once,
keyed by path, size, mtime and etag) behind a folder of links.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import StoreError
from ..store.data.selection import select_files
from ..store.data.transfer import display_paths, download_entries, mount_entries
from .abstract_dataset import AbstractDataset, user_error
from .tabular_dataset import _count, _probability, _seed

if TYPE_CHECKING:
    from .dataset_consumption_config import DatasetConsumptionConfig


def cache_dir_of(store: Any) -> str:
    settings = getattr(store, "settings", None)
    home = str(getattr(settings, "home", "") or tempfile.gettempdir())
    return os.path.join(home, "cache", "datasets")


class MountContext:
    """``with dataset.mount() as context: context.mount_point`` (also ``start()``/``stop()``)."""

    def __init__(self, dataset: FileDataset, mount_point: str | None) -> None:
        self._dataset = dataset
        self._asked = mount_point
        self.mount_point: str | None = mount_point
        self._made = False

    def start(self) -> None:
        ds = self._dataset
        entries = ds._entries()
        ds._verify(entries)
        store = ds._workspace._store if ds._workspace is not None else None
        try:
            self.mount_point, self._made = mount_entries(
                ds._manifest_loaded(), ds._fs_of_source, entries, self._asked,
                cache_dir_of(store))
        except StoreError as exc:
            raise user_error(exc) from exc

    def stop(self) -> None:
        if self._made and self.mount_point:
            shutil.rmtree(self.mount_point, ignore_errors=True)
        self.mount_point = self._asked
        self._made = False

    def __enter__(self) -> MountContext:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class FileDataset(AbstractDataset):
    """References to files in datastores or at URLs."""

    _type = "file"

    def _entries(self) -> list[Any]:
        """The manifest's files with the transforms applied (take/skip/sample by file)."""
        return select_files(self._manifest_loaded().files,
                            self._definition.get("transforms", []))

    # ---- transforms
    def take(self, count: int) -> FileDataset:
        return self._derive({"op": "take", "n": _count(count, "count")})

    def skip(self, count: int) -> FileDataset:
        return self._derive({"op": "skip", "n": _count(count, "count")})

    def take_sample(self, probability: float, seed: int | None = None) -> FileDataset:
        return self._derive({"op": "sample", "seed": _seed(seed),
                             "probability": _probability(probability, "probability")})

    def random_split(self, percentage: float, seed: int | None = None
                     ) -> tuple[FileDataset, FileDataset]:
        p, s = _probability(percentage, "percentage"), _seed(seed)
        return (self._derive({"op": "sample", "probability": p, "seed": s}),
                self._derive({"op": "sample", "probability": p, "seed": s,
                              "complement": True}))

    # ---- access
    def to_path(self) -> list[str]:
        """The files' paths relative to their common folder, each with a leading '/'."""
        try:
            return ["/" + p for p in display_paths(self._manifest_loaded(), self._entries())]
        except StoreError as exc:
            raise user_error(exc) from exc

    def download(self, target_path: str | None = None, overwrite: bool = False,
                 ignore_not_found: bool = False) -> list[str]:
        """Copy the files under ``target_path`` (a new temporary folder when None); returns
        their local paths. Existing files are an error unless ``overwrite``."""
        entries = self._entries()
        if not ignore_not_found:
            self._verify(entries)
        target = target_path or tempfile.mkdtemp(prefix="mlws-dataset-")
        try:
            return download_entries(self._manifest_loaded(), self._fs_of_source,
                                    os.path.abspath(target), entries, overwrite=overwrite,
                                    ignore_not_found=ignore_not_found)
        except StoreError as exc:
            raise user_error(exc) from exc

    def mount(self, mount_point: str | None = None, **kwargs: Any) -> MountContext:
        """A context that makes the files visible in a local folder (see the module doc)."""
        if mount_point is not None and os.path.exists(mount_point) and os.listdir(mount_point):
            raise UserErrorException(f"mount_point {mount_point!r} is not empty")
        return MountContext(self, mount_point)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        from .dataset_consumption_config import DatasetConsumptionConfig, generated_name

        return DatasetConsumptionConfig(generated_name(self), self, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        from .dataset_consumption_config import DatasetConsumptionConfig, generated_name

        return DatasetConsumptionConfig(generated_name(self), self, "download",
                                        path_on_compute)


__all__ = ["FileDataset", "MountContext"]
