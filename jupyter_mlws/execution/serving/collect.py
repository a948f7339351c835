"""Collected model data -> Parquet files of the service's monitoring run.

With ``collect_model_data=True`` replicas sample every request body with its answer, and a
scoring script's ``ModelDataCollector`` adds rows of its own (inputs, predictions, ...), as
JSON lines (:mod:`.recorder`). Every ``WRITE_SECONDS`` (and when the daemon stops) the
daemon writes what arrived as one Parquet file per designation, uploaded as an artifact of the
monitoring run: ``data/<designation>/<YYYY-MM-DD>/<first>_<last>_<n>.parquet`` (times in
epoch milliseconds, so files sort by time and a window's files are found by name). Columns:

- ``requests``: ``time`` (timestamp, UTC), ``status``, ``request`` and ``response`` (text);
- a collector's designation: ``time`` and the feature columns (``feature_names``, else
  ``f0``, ``f1``, ... or the keys of dict rows).
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from .recorder import RecordReader

WRITE_SECONDS = 5.0
DATA_PREFIX = "data"


def rows_of(data: Any, features: list[str] | None) -> list[dict[str, Any]]:
    """A collector's ``data`` (a row, a list of rows, a list of dicts) as dict rows."""
    if isinstance(data, dict):
        if "data" in data and len(data) == 1:
            return rows_of(data["data"], features)
        return [data]
    if not isinstance(data, list):
        return [{(features or ["value"])[0]: data}]
    if data and not isinstance(data[0], (list, tuple, dict)):
        data = [data]  # one row
    rows = []
    for row in data:
        if isinstance(row, dict):
            rows.append(row)
        else:
            names = features or [f"f{i}" for i in range(len(row))]
            rows.append(dict(zip(names, row, strict=False)))
    return rows


class Collector:
    def __init__(self, store: Any, run_id: str, folder: Path) -> None:
        self.store, self.run_id = store, run_id
        self.reader = RecordReader(folder, ".jsonl")
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.last_write = time.monotonic()

    def step(self, live_pids: set[int], final: bool = False) -> None:
        for replica, data in self.reader.read(live_pids):
            for line in data.splitlines():
                try:
                    sample = json.loads(line)
                except ValueError:
                    continue
                designation = sample.get("designation") or "requests"
                if designation == "request":
                    self.pending["requests"].append({
                        "time": sample["t"], "replica": replica, "status": sample.get("status"),
                        "request": sample.get("request"), "response": sample.get("response")})
                else:
                    for row in rows_of(sample.get("data"), sample.get("features")):
                        self.pending[designation].append({"time": sample["t"], **row})
        if self.pending and (final or time.monotonic() - self.last_write >= WRITE_SECONDS):
            self.last_write = time.monotonic()
            pending, self.pending = self.pending, defaultdict(list)
            for designation, rows in pending.items():
                self._write(designation, rows)

    def _write(self, designation: str, rows: list[dict[str, Any]]) -> None:
        import pandas as pd

        frame = pd.DataFrame(rows)
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        buffer.seek(0)
        first, last = min(r["time"] for r in rows), max(r["time"] for r in rows)
        day = time.strftime("%Y-%m-%d", time.gmtime(first))
        name = (f"{DATA_PREFIX}/{designation}/{day}/{int(first * 1000):013d}_"
                f"{int(last * 1000):013d}_{len(rows)}_{uuid.uuid4().hex[:8]}.parquet")
        self.store.upload_artifact(self.run_id, name, buffer)


__all__ = ["DATA_PREFIX", "Collector", "rows_of"]
