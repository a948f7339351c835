"""Model explanations and fairness assessments of a Run, stored as JSON artifacts.

v1 kept these in separate packages (azureml-interpret, azureml-contrib-fairness) uploading
opaque blobs. Here they are two plain, versioned JSON documents that the widget and the studio
render without those packages:

``explanations/<name>.json``::

    {"schema_type": "feature_importance", "schema_version": "1.0.0",
     "data": {"features": [str], "importances": [number],
              "class_labels": [str],               # optional
              "per_class_importances": [[number]]}} # optional, one row per class label

``fairness/<name>.json``::

    {"schema_type": "fairness", "schema_version": "1.0.0",
     "data": {"sensitive_feature": str, "groups": [str],
              "metrics": {metric: [value per group]}, "overall": {metric: value}}}
"""

from __future__ import annotations

import io
import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..exceptions import UserErrorException

SCHEMA_VERSION = "1.0.0"
EXPLANATION_PREFIX = "explanations/"
FAIRNESS_PREFIX = "fairness/"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name:
        raise UserErrorException(
            f"{what} name must be 1-200 characters of letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit; got {name!r}")
    return name


def _number(value: Any, where: str) -> float | int:
    """A finite real number as a plain Python int/float (numpy scalars included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UserErrorException(f"{where} must be a number, got {type(value).__name__}")
    plain = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(plain, float) and not math.isfinite(plain):
        raise UserErrorException(f"{where} must be finite, got {plain}")
    return plain


def _list(value: Any, where: str) -> list[Any]:
    """A list from a list, tuple or 1-D array-like (``tolist`` for numpy/pandas)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise UserErrorException(f"{where} must be a list, got {type(value).__name__}")
    return list(value)


def _strings(value: Any, where: str, *, unique: bool = True) -> list[str]:
    items = _list(value, where)
    if not items:
        raise UserErrorException(f"{where} must not be empty")
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise UserErrorException(
                f"{where}[{index}] must be a non-empty string, got {item!r}")
        out.append(item)
    if unique and len(set(out)) != len(out):
        raise UserErrorException(f"{where} must not contain duplicates")
    return out


def _numbers(value: Any, where: str, length: int, length_of: str) -> list[float | int]:
    items = _list(value, where)
    if len(items) != length:
        raise UserErrorException(
            f"{where} has {len(items)} values but there are {length} {length_of}")
    return [_number(item, f"{where}[{index}]") for index, item in enumerate(items)]


def explanation_document(features: Any, importances: Any, class_labels: Any = None,
                         per_class_importances: Any = None) -> dict[str, Any]:
    """The validated ``feature_importance`` document (raises UserErrorException)."""
    names = _strings(features, "features")
    data: dict[str, Any] = {
        "features": names,
        "importances": _numbers(importances, "importances", len(names), "features"),
    }
    if per_class_importances is not None and class_labels is None:
        raise UserErrorException("per_class_importances needs class_labels (one row per class)")
    if class_labels is not None:
        labels = _strings(class_labels, "class_labels")
        data["class_labels"] = labels
        if per_class_importances is not None:
            rows = _list(per_class_importances, "per_class_importances")
            if len(rows) != len(labels):
                raise UserErrorException(
                    f"per_class_importances has {len(rows)} rows but there are {len(labels)} "
                    "class_labels")
            data["per_class_importances"] = [
                _numbers(row, f"per_class_importances[{i}]", len(names), "features")
                for i, row in enumerate(rows)]
    return {"schema_type": "feature_importance", "schema_version": SCHEMA_VERSION,
            "data": data}


def fairness_document(sensitive_feature: Any, groups: Any, metrics: Any,
                      overall: Any = None) -> dict[str, Any]:
    """The validated ``fairness`` document (raises UserErrorException)."""
    if not isinstance(sensitive_feature, str) or not sensitive_feature:
        raise UserErrorException(
            f"sensitive_feature must be a non-empty string, got {sensitive_feature!r}")
    group_names = _strings(groups, "groups")
    if not isinstance(metrics, Mapping) or not metrics:
        raise UserErrorException("metrics must be a non-empty dict of metric name -> list of "
                                 "values, one per group")
    per_group: dict[str, list[float | int]] = {}
    for metric, values in metrics.items():
        if not isinstance(metric, str) or not metric:
            raise UserErrorException(f"metric names must be non-empty strings, got {metric!r}")
        per_group[metric] = _numbers(values, f"metrics[{metric!r}]", len(group_names),
                                     "groups")
    totals: dict[str, float | int] = {}
    if overall is not None:
        if not isinstance(overall, Mapping):
            raise UserErrorException(
                f"overall must be a dict of metric name -> number, got {type(overall).__name__}")
        for metric, value in overall.items():
            if metric not in per_group:
                raise UserErrorException(
                    f"overall has metric {metric!r} that is not in metrics "
                    f"({', '.join(sorted(per_group))})")
            totals[metric] = _number(value, f"overall[{metric!r}]")
    return {"schema_type": "fairness", "schema_version": SCHEMA_VERSION,
            "data": {"sensitive_feature": sensitive_feature, "groups": group_names,
                     "metrics": per_group, "overall": totals}}


class RunInsightsMixin:
    """``log_explanation`` and ``log_fairness`` of a Run (needs ``_store`` and ``id``)."""

    _store: Any
    id: str

    def _upload_document(self, path: str, document: dict[str, Any]) -> str:
        data = json.dumps(document, allow_nan=False).encode("utf-8")
        # overwrite: logging the same name again replaces the assessment, as re-running a cell
        # that computes it should.
        self._store.upload_artifact(self.id, path, io.BytesIO(data), overwrite=True)
        return path

    def log_explanation(self, name: str, features: Sequence[str], importances: Sequence[float],
                        class_labels: Sequence[str] | None = None,
                        per_class_importances: Sequence[Sequence[float]] | None = None) -> str:
        """Upload a global feature-importance explanation as ``explanations/<name>.json``;
        returns the artifact path."""
        document = explanation_document(features, importances, class_labels,
                                        per_class_importances)
        return self._upload_document(
            f"{EXPLANATION_PREFIX}{_check_name(name, 'Explanation')}.json", document)

    def log_fairness(self, name: str, sensitive_feature: str, groups: Sequence[str],
                     metrics: Mapping[str, Sequence[float]],
                     overall: Mapping[str, float] | None = None) -> str:
        """Upload a fairness assessment (metrics per group of a sensitive feature) as
        ``fairness/<name>.json``; returns the artifact path."""
        document = fairness_document(sensitive_feature, groups, metrics, overall)
        return self._upload_document(
            f"{FAIRNESS_PREFIX}{_check_name(name, 'Fairness assessment')}.json", document)


__all__ = ["RunInsightsMixin", "explanation_document", "fairness_document"]
