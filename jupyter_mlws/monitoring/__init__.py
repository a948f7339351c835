"""``ModelDataCollector``, at the import path of v1's ``azureml.monitoring``: a scoring
script collects its inputs and predictions, which the service stores as Parquet files of its
monitoring run when the service was deployed with ``collect_model_data=True``.

```python
from jupyter_mlws.monitoring import ModelDataCollector
inputs_dc = ModelDataCollector("model", designation="inputs", feature_names=["a", "b"])
inputs_dc.collect(data)  # rows: a list of lists, a numpy array or a DataFrame
```
Outside a service, or without ``collect_model_data``, ``collect`` does nothing (as in v1, it
says so once).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from ..exceptions import shown
from ..execution.serving import collector

# A designation names a folder of collected files (and the REST path parameter, api/types.py).
DESIGNATION_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
_DESIGNATION_RE = re.compile(DESIGNATION_PATTERN)


def check_designation(designation: Any) -> str:
    """1-64 letters, digits, '_', '-', a letter first."""
    if not isinstance(designation, str) or not _DESIGNATION_RE.match(designation):
        raise ValueError(f"designation {shown(designation)}: 1-64 letters, digits, '_', '-', "
                         "a letter first")
    return designation


class ModelDataCollector:
    """Collects rows of one designation (``inputs``, ``predictions``, ...) of a model."""

    def __init__(self, model_name: str, designation: str = "default",
                 feature_names: list[str] | None = None, workspace: str = "default/default/default",
                 webservice_name: str = "default", model_version: str = "default",
                 **kwargs: Any) -> None:
        check_designation(designation)
        self.model_name = model_name
        self.designation = designation
        self.feature_names = None if feature_names is None else [str(f) for f in
                                                                 feature_names]
        self._warned = False

    def collect(self, input_data: Any, user_correlation_id: str = "") -> str:
        """Record the rows; returns the correlation id (as v1)."""

        recorder = collector.current()
        if recorder is None or recorder._collect is None:
            if not self._warned:
                self._warned = True
                warnings.warn("Data collection is not enabled: deploy the service with "
                              "collect_model_data=True", UserWarning, stacklevel=2)
            return user_correlation_id
        recorder.collect(self.designation, input_data, self.feature_names)
        return user_correlation_id


__all__ = ["DESIGNATION_PATTERN", "ModelDataCollector", "check_designation"]
