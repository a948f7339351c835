"""Lineage of datasets read inside a submitted run: the run gets the property
``mlws.dataset.in.<name>.v<version>`` (see ``store/data/registry.py``) the first time this
process reads a registered version, whether it came as a run input or was fetched by name."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_recorded: set[tuple[str, str]] = set()
_lock = threading.Lock()


def record_read(dataset: Any) -> None:
    run_id = os.environ.get("MLWS_RUN_ID") or os.environ.get("AZUREML_RUN_ID")
    record = dataset._record
    if not run_id or record is None or dataset._workspace is None:
        return
    from ..store.base import ConflictError, StoreError
    from ..store.data.registry import lineage_key

    key = lineage_key(record)
    with _lock:
        if (run_id, key) in _recorded:
            return
        _recorded.add((run_id, key))
    store = dataset._workspace._store
    try:
        store.add_run_properties(run_id, {key: json.dumps(
            {"id": record.spec.get("id"), "inputs": [{"name": None, "mode": "direct"}]})})
    except ConflictError:
        pass  # already recorded (as a named input of the run): lineage is immutable
    except StoreError:
        pass  # a run of another store, or deleted: reading the data must not fail for it


__all__ = ["record_read"]
