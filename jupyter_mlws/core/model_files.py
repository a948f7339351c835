"""The files of a registered model: what a registration stores and where a download or a
deployment lays them out.

A model version's files are a snapshot of the workspace (content-addressed blobs plus a
manifest, the same storage runs' snapshots use, so identical files are stored once and every
store back end, HTTP included, works). Paths in the manifest start with the model's *root*:
the registered file's name (``model.pkl``) or folder's name (``sk_model/...``), as v1 keeps
them, so a download lands at ``<target>/<root>``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException, WebserviceException
from ..store.base import InvalidInputError, NotFoundError
from .run_files import _copy_to_file, _inside, _walk_files

if TYPE_CHECKING:
    from ..store.base import Store


def _rel(path: str) -> str:
    from ..store.paths import normalize_artifact_path  # the one confinement point

    return normalize_artifact_path(path)


def local_model_files(model_path: str | os.PathLike,
                      child_paths: Sequence[str] | None = None) -> tuple[str, dict[str, str]]:
    """(root, {manifest path: local file}) of a local file or folder to register; only the
    ``child_paths`` (relative to the folder) when given."""
    path = os.fspath(model_path)
    if not os.path.exists(path):
        raise WebserviceException(f"Error registering model: model_path {path!r} does not "
                                  "exist. Give a local file or folder.")
    root = os.path.basename(os.path.normpath(os.path.abspath(path)))
    _rel(root)  # a root that cannot be a path segment fails here, not half-way
    if os.path.isfile(path):
        if child_paths:
            raise WebserviceException("child_paths can only be given when model_path is a "
                                      f"folder; {path!r} is a file")
        return root, {root: path}
    files = dict(_walk_files(path))
    if child_paths is not None:
        wanted: dict[str, str] = {}
        real = os.path.realpath(path)
        for child in child_paths:
            try:
                rel = _rel(str(child))
            except InvalidInputError as exc:
                raise WebserviceException(f"child path {child!r} leads outside {path!r} "
                                          f"or is not a relative path ({exc})") from exc
            local = os.path.join(path, *rel.split("/"))
            if not _inside(os.path.realpath(local), real):
                raise WebserviceException(f"child path {child!r} leads outside {path!r}")
            if os.path.isfile(local):
                wanted[rel] = local
            elif os.path.isdir(local):
                wanted.update({f"{rel}/{r}": p for r, p in _walk_files(local)})
            else:
                raise WebserviceException(f"child path {child!r} does not exist in {path!r}")
        files = wanted
    if not files:
        raise WebserviceException(f"Error registering model: folder {path!r} holds no files")
    return root, {f"{root}/{rel}": local for rel, local in sorted(files.items())}


class RunArtifactFiles:
    """The files of a run's artifact (a file or a folder prefix) copied to a temporary folder,
    ready for :func:`store_files`; use as a context manager."""

    def __init__(self, store: Store, run_id: str, model_path: str,
                 local_outputs: str | None = None) -> None:
        self.store, self.run_id = store, run_id
        self.path = _rel(model_path.rstrip("/"))
        self.local_outputs = local_outputs
        self.folder = tempfile.mkdtemp(prefix="mlws-model-")

    def __enter__(self) -> tuple[str, dict[str, str]]:
        try:
            return self._fetch()
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _fetch(self) -> tuple[str, dict[str, str]]:
        root = self.path.rsplit("/", 1)[-1]
        artifacts = {a.path: a.size for a in self.store.list_artifacts(self.run_id,
                                                                       prefix=self.path)}
        if self.path in artifacts:
            chosen = {self.path: root}
        else:
            chosen = {p: f"{root}/{p[len(self.path) + 1:]}" for p in artifacts
                      if p.startswith(self.path + "/")}
        if not chosen:
            local = self._local_fallback()
            if local is not None:
                return local_model_files(local)
            names = sorted(a.path for a in self.store.list_artifacts(self.run_id))
            shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
            raise WebserviceException(
                f"Could not register the model: model_path {self.path!r} is not a file or "
                f"folder among the files of run {self.run_id} ({shown or 'it has none'}). "
                "Files under outputs/ are uploaded when the run ends; upload others with "
                "run.upload_file(...).")
        files: dict[str, str] = {}
        for artifact, rel in sorted(chosen.items()):
            target = os.path.join(self.folder, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            source = self.store.open_artifact(self.run_id, artifact)
            try:
                _copy_to_file(source, target, repr(artifact), artifacts[artifact])
            finally:
                source.close()
            files[rel] = target
        return root, files

    def _local_fallback(self) -> str | None:
        """A run still writing its ``outputs/`` in this process: the local file (v1 scripts
        register ``outputs/model.pkl`` before the folder is uploaded at the run's end)."""
        if not self.local_outputs or not self.path.startswith("outputs/"):
            return None
        local = os.path.join(self.local_outputs, *self.path.split("/")[1:])
        return local if os.path.exists(local) else None


def store_files(store: Store, workspace_id: str, files: dict[str, str]) -> dict[str, Any]:
    """Store the files; ``{"snapshotId", "files": {path: size}}`` for the model's spec."""
    snapshot = store.create_snapshot(workspace_id, files)
    return {"snapshotId": snapshot.id,
            "files": {p: e.get("size") for p, e in sorted(snapshot.files.items())}}


def write_files(store: Store, snapshot_id: str, paths: Iterable[str], target_dir: str,
                exist_ok: bool) -> None:
    """Write the model files ``paths`` (manifest paths) under ``target_dir``; each file is
    replaced only by a complete copy. An existing file is an error unless ``exist_ok``."""
    base = os.path.realpath(target_dir)
    plan = []
    for rel in paths:
        target = os.path.join(target_dir, *_rel(rel).split("/"))
        if not _inside(os.path.realpath(target), base):
            raise UserErrorException(f"Model file {rel!r} would be written outside "
                                     f"{target_dir}")
        if os.path.exists(target) and not exist_ok:
            raise WebserviceException(f"File {target} already exists; pass exist_ok=True to "
                                      "overwrite it")
        plan.append((rel, target))
    for rel, target in plan:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            source = store.open_snapshot_file(snapshot_id, rel)
        except NotFoundError as exc:
            raise WebserviceException(f"The stored files of this model are missing ({exc})") \
                from exc
        try:
            _copy_to_file(source, target, repr(rel))
        finally:
            source.close()


__all__ = ["RunArtifactFiles", "local_model_files", "store_files", "write_files"]
