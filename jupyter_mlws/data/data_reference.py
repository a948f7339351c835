"""``DataReference``: what ``Datastore.upload`` and ``Datastore.path`` return (v1's
``azureml.data.data_reference``). A reference names a path on a datastore; to feed data to a
run, use a dataset (``Dataset.File.from_files(datastore.path("x"))`` works)."""

from __future__ import annotations

from typing import Any


class DataReference:
    def __init__(self, datastore: Any, data_reference_name: str | None = None,
                 path_on_datastore: str | None = None, mode: str = "mount",
                 path_on_compute: str | None = None, overwrite: bool = False) -> None:
        self.datastore = datastore
        self.data_reference_name = data_reference_name or datastore.name
        self.path_on_datastore = path_on_datastore
        self.mode = mode
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite

    def _with(self, mode: str, path_on_compute: str | None = None,
              overwrite: bool = False) -> DataReference:
        return DataReference(self.datastore, self.data_reference_name, self.path_on_datastore,
                             mode, path_on_compute, overwrite)

    def as_mount(self) -> DataReference:
        return self._with("mount")

    def as_download(self, path_on_compute: str | None = None,
                    overwrite: bool = False) -> DataReference:
        return self._with("download", path_on_compute, overwrite)

    def as_upload(self, path_on_compute: str | None = None,
                  overwrite: bool = False) -> DataReference:
        return self._with("upload", path_on_compute, overwrite)

    def path(self, path: str | None = None, data_reference_name: str | None = None
             ) -> DataReference:
        joined = "/".join(p.strip("/") for p in (self.path_on_datastore or "", path or "") if p)
        return DataReference(self.datastore, data_reference_name, joined, self.mode,
                             self.path_on_compute, self.overwrite)

    def to_config(self) -> dict[str, Any]:
        return {"dataStoreName": self.datastore.name, "mode": self.mode,
                "pathOnDataStore": self.path_on_datastore,
                "pathOnCompute": self.path_on_compute, "overwrite": self.overwrite}

    def __str__(self) -> str:
        return f"$AZUREML_DATAREFERENCE_{self.data_reference_name}"

    def __repr__(self) -> str:
        return (f"$AZUREML_DATAREFERENCE_{self.data_reference_name} (datastore "
                f"{self.datastore.name!r}, path {self.path_on_datastore!r}, mode {self.mode})")


__all__ = ["DataReference"]
