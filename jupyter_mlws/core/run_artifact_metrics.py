"""Metrics whose value lives in an artifact: images and the JSON chart metrics (v1 4.5).

``log_image`` uploads an image file or renders a matplotlib figure to PNG; the four JSON metrics
(confusion matrix, accuracy table, residuals, predictions) upload their document. Either way
the metric point holds the artifact's ``aml://artifactId/ExperimentRun/dcid.<run id>/<path>``
URI, which is what v1's ``get_metrics`` returns for them. Several calls with one name make a
series, one point per call.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import ConflictError
from ..store.paths import normalize_artifact_path

if TYPE_CHECKING:
    from ..store.base import ArtifactRecord, Store

# schema_type -> the schema_version v1 writes for it.
JSON_METRIC_SCHEMAS = {
    "confusion_matrix": "1.0.0",
    "accuracy_table": "1.0.1",
    "residuals": "1.0.0",
    "predictions": "1.0.0",
}
_MAX_NAME_ATTEMPTS = 10_000


def artifact_uri(run_id: str, path: str) -> str:
    """The v1 reference to a run artifact, stored as the value of image/JSON metrics."""
    return f"aml://artifactId/ExperimentRun/dcid.{run_id}/{path}"


def _with_suffix(path: str, n: int) -> str:
    """``dir/name.ext`` -> ``dir/name_<n>.ext`` (suffix before the extension)."""
    head, tail = posixpath.split(path)
    stem, ext = posixpath.splitext(tail)
    if not stem:  # ".png" style names: keep the dot file whole
        stem, ext = tail, ""
    return posixpath.join(head, f"{stem}_{n}{ext}")


def _image_artifact_path(path: str) -> str:
    """v1: a relative path is kept as given; an absolute one (or one leaving cwd) -> basename."""
    rel = path.replace(os.sep, "/")
    if os.path.isabs(path) or rel.startswith("../") or "/../" in rel:
        return os.path.basename(path)
    return posixpath.normpath(rel)


def _check_image(path: str) -> None:
    """Raise UserErrorException unless ``path`` is a readable image (sniffed by Pillow)."""
    from PIL import Image, UnidentifiedImageError  # optional: Pillow only for images

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UserErrorException(
            f"MalformedArgument: {path!r} is not a valid image file ({exc}). log_image "
            "accepts image files such as PNG, JPEG, GIF, BMP or TIFF.") from exc


def _parse_json_metric(kind: str, value: Any) -> dict[str, Any]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise UserErrorException(f"Invalid JSON for {kind} metric: {exc}") from exc
    if not isinstance(value, dict):
        raise UserErrorException(
            f"A {kind} metric must be a dict or a JSON string of an object with schema_type, "
            f"schema_version and data; got {type(value).__name__}")
    schema_type = value.get("schema_type", kind)
    if schema_type != kind:
        raise UserErrorException(
            f"A {kind} metric must have schema_type {kind!r}, got {schema_type!r}")
    if not isinstance(value.get("data"), dict):
        raise UserErrorException(f"A {kind} metric needs a 'data' object")
    document = dict(value)
    document.setdefault("schema_type", kind)
    document.setdefault("schema_version", JSON_METRIC_SCHEMAS[kind])
    try:
        json.dumps(document, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise UserErrorException(f"The {kind} metric is not JSON serializable: {exc}") from exc
    return document


class RunArtifactMetricsMixin:
    """``log_image`` and the JSON artifact metrics of a Run."""

    _store: Store
    id: str
    _log_point: Callable[..., None]

    def _upload_unique(self, path: str, open_source: Callable[[], IO[bytes] | str]
                       ) -> ArtifactRecord:
        """Upload at ``path``, or ``path`` with ``_1``, ``_2``... when that name is taken."""

        base = normalize_artifact_path(path)
        candidate = base
        for n in range(1, _MAX_NAME_ATTEMPTS):
            try:
                return self._store.upload_artifact(self.id, candidate, open_source())
            except ConflictError:
                candidate = _with_suffix(base, n)
        raise UserErrorException(f"Too many artifacts named like {base!r} in run {self.id}")

    def log_image(self, name: str, path: str | os.PathLike | None = None, plot: Any = None,
                  description: str = "") -> None:
        """Log an image file (``path``) or a matplotlib figure/pyplot (``plot``) as metric ``name``.

        A file is uploaded at its relative path (an absolute path at its basename); a plot is
        rendered to PNG and uploaded as ``<name>_<unix seconds>.png``.
        """
        if (path is None) == (plot is None):
            raise UserErrorException(
                "Invalid arguments: log_image needs exactly one of path or plot")
        if path is not None:
            source = os.fspath(path)
            if not os.path.isfile(source):
                raise UserErrorException(f"log_image: image file {source!r} does not exist")
            _check_image(source)
            record = self._upload_unique(_image_artifact_path(source), lambda: source)
        else:
            if not callable(getattr(plot, "savefig", None)):
                raise UserErrorException(
                    "log_image: plot must be a matplotlib Figure or the pyplot module "
                    f"(something with savefig), got {type(plot).__name__}")
            buffer = io.BytesIO()
            plot.savefig(buffer, format="png")
            data = buffer.getvalue()
            record = self._upload_unique(f"{name}_{int(time.time())}.png",
                                         lambda: io.BytesIO(data))
        self._log_point(name, "image", artifact_uri(self.id, record.path),
                        description=description)

    def _log_json_metric(self, kind: str, name: str, value: Any, description: str) -> None:
        document = _parse_json_metric(kind, value)
        data = json.dumps(document).encode("utf-8")
        record = self._upload_unique(name, lambda: io.BytesIO(data))
        self._log_point(name, kind, artifact_uri(self.id, record.path), description=description)

    def log_confusion_matrix(self, name: str, value: dict[str, Any] | str,
                             description: str = "") -> None:
        """Log a confusion matrix (``data``: ``class_labels``, ``matrix``)."""
        self._log_json_metric("confusion_matrix", name, value, description)

    def log_accuracy_table(self, name: str, value: dict[str, Any] | str,
                           description: str = "") -> None:
        """Log an accuracy table (probability/percentile tables and thresholds)."""
        self._log_json_metric("accuracy_table", name, value, description)

    def log_residuals(self, name: str, value: dict[str, Any] | str,
                      description: str = "") -> None:
        """Log a residuals histogram (``data``: ``bin_edges``, ``bin_counts``)."""
        self._log_json_metric("residuals", name, value, description)

    def log_predictions(self, name: str, value: dict[str, Any] | str,
                        description: str = "") -> None:
        """Log predictions vs. truth (``bin_averages``, ``bin_errors``, ``bin_counts``,
        ``bin_edges``)."""
        self._log_json_metric("predictions", name, value, description)
