"""Metric writes of the SQL store: batched appends into packed column chunks (``metric_chunk``)
with their rollups, and the last values kept on the ``metric`` row at write time. Reads are
``metric_reads``."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError, MetricPoint, NotFoundError
from ..chunk_codec import CHUNK_POINTS
from ..columns import (
    RejectedValue,
    SeriesChunk,
    check_text,
    group_points,
)
from ..values import (
    JSON,
    encode_step,
    encode_value,
)
from . import schema as t
from .metric_blocks import UPSERT_SQL
from .metric_chunks import (
    INSERT_SQL,
    UPDATE_SQL,
    chunk_start,
    plan_append,
    read_tails,
)
from .metric_reads import MetricReadMixin, declared_columns

_MAX_RETRIES = 20
_CHUNK = 500  # ids per IN (...) list
_NAME_LIMIT = 255
_KIND_LIMIT = 32


class _StaleIds(Exception):
    """Cached metric ids whose rows are gone (their run was deleted): resolve them again."""

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__(keys)
        self.keys = keys


def _merge_by_series(chunks: Sequence[SeriesChunk]) -> list[SeriesChunk]:
    """One chunk per (run, metric): a batch may name a series twice (e.g. two batches queued
    by a retry); their points are concatenated in order."""
    merged: dict[tuple[str, str], SeriesChunk] = {}
    for chunk in chunks:
        key = (chunk.run_id, chunk.name)
        seen = merged.get(key)
        if seen is None:
            merged[key] = chunk
        else:
            merged[key] = SeriesChunk(
                seen.run_id, seen.name, seen.kind, seen.description,
                list(seen.step) + list(chunk.step), list(seen.time) + list(chunk.time),
                list(seen.value) + list(chunk.value), seen.columns or chunk.columns)
    return list(merged.values())


def _check_chunk(chunk: SeriesChunk) -> None:
    """InvalidInputError for a chunk naming something no store can hold."""
    try:
        check_text("The run id", chunk.run_id)
        check_text("The metric name", chunk.name)
        if not chunk.name or len(chunk.name) > _NAME_LIMIT:
            raise RejectedValue(f"A metric name must have 1 to {_NAME_LIMIT} characters")
        check_text(f"The kind of metric {chunk.name!r}", chunk.kind)
        if len(chunk.kind) > _KIND_LIMIT:
            raise RejectedValue(f"Unknown metric kind {chunk.kind[:40]!r}")
        check_text(f"The description of metric {chunk.name!r}", chunk.description or "")
        for column in chunk.columns or ():
            check_text(f"A column name of table {chunk.name!r}", column)
        if not len(chunk.step) == len(chunk.time) == len(chunk.value):
            raise RejectedValue(f"Metric {chunk.name!r}: the step, time and value columns "
                                "differ in length")
    except RejectedValue as exc:
        raise InvalidInputError(str(exc)) from exc


class MetricMixin(MetricReadMixin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (run_id, name) -> metric id, only ever filled after a commit.
        self._metric_ids: dict[tuple[str, str], int] = {}
        self._metric_lock = threading.Lock()

    # ---- writes
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        chunks = _merge_by_series(group_points(points))
        if not chunks:
            return
        for chunk in chunks:
            _check_chunk(chunk)
        with self._metric_lock:
            for attempt in range(_MAX_RETRIES):
                try:
                    ids = self.db.write(lambda c: self._append(c, chunks))
                except (sa.exc.IntegrityError, _StaleIds) as exc:
                    # A deleted run (its metrics went with it) or a concurrent creator:
                    # forget what we cached and resolve again.
                    stale = exc.keys if isinstance(exc, _StaleIds) else [
                        (c.run_id, c.name) for c in chunks]
                    for key in stale:
                        self._metric_ids.pop(key, None)
                    if attempt == _MAX_RETRIES - 1:
                        raise
                    continue
                except RejectedValue as exc:
                    raise InvalidInputError(str(exc)) from exc
                except sa.exc.DataError as exc:
                    raise InvalidInputError(f"The store rejected a metric batch: {exc.orig}",
                                            ) from exc
                self._metric_ids.update(ids)
                return

    def _append(self, conn: Connection, chunks: list[SeriesChunk],
                ) -> dict[tuple[str, str], int]:
        ph = self.db.ph
        fetch = self._fetcher(conn)
        ids = {(c.run_id, c.name): self._metric_ids[(c.run_id, c.name)] for c in chunks
               if (c.run_id, c.name) in self._metric_ids}
        missing = [c for c in chunks if (c.run_id, c.name) not in ids]
        if missing:
            self._resolve_metrics(conn, missing, ids)
        # Lock the metric rows (PostgreSQL; SQLite's write transaction already excludes other
        # writers) and read how many points each holds: that says where new points go.
        state: dict[int, tuple] = {}
        lock = "" if self.db.is_sqlite else " FOR UPDATE"
        mids = sorted(set(ids.values()))
        for start in range(0, len(mids), _CHUNK):
            part = mids[start:start + _CHUNK]
            for mid, *row in fetch(
                    f"SELECT id, count, last_type, last_text FROM metric WHERE id IN "
                    f"({', '.join([ph] * len(part))}) ORDER BY id{lock}", tuple(part)):
                state[mid] = tuple(row)
        gone = [key for key, mid in ids.items() if mid not in state]
        if gone:
            raise _StaleIds(gone)
        tails = read_tails(fetch, ph, {
            ids[(c.run_id, c.name)]: chunk_start(state[ids[(c.run_id, c.name)]][0])
            for c in chunks if len(c) and state[ids[(c.run_id, c.name)]][0] % CHUNK_POINTS})

        inserts: list[tuple] = []
        updates: list[tuple] = []
        rollups: list[tuple] = []
        metric_rows: list[tuple] = []
        declared: list[tuple] = []
        for chunk in chunks:
            mid = ids[(chunk.run_id, chunk.name)]
            count, last_type, last_text = state[mid]
            if not len(chunk):
                if chunk.columns and count == 0:
                    columns = dict.fromkeys(declared_columns(last_type, last_text) or ())
                    columns.update(dict.fromkeys(chunk.columns))
                    declared.append((JSON, json.dumps(columns), mid))
                continue
            try:
                rows = plan_append(mid, count, chunk, tails.get(mid))
                code, num, text = encode_value(chunk.value[-1])
            except (RejectedValue, OverflowError) as exc:
                raise RejectedValue(
                    f"Metric {chunk.name!r} of run {chunk.run_id} {exc}") from exc
            inserts += rows.inserts
            updates += rows.updates
            rollups += rows.rollups
            step, flag = encode_step(chunk.step[-1])
            metric_rows.append((count + len(chunk), code | flag, num, text, step, mid))
        if updates:
            conn.exec_driver_sql(UPDATE_SQL.format(ph=ph), updates)
        if inserts:
            conn.exec_driver_sql(INSERT_SQL.format(ph=ph), inserts)
        if metric_rows:
            conn.exec_driver_sql(
                f"UPDATE metric SET count = {ph}, last_type = {ph}, last_num = {ph}, "
                f"last_text = {ph}, last_step = {ph} WHERE id = {ph}", metric_rows)
        if rollups:
            conn.exec_driver_sql(UPSERT_SQL.format(ph=ph), rollups)
        if declared:
            conn.exec_driver_sql(f"UPDATE metric SET last_type = {ph}, last_text = {ph} "
                                 f"WHERE id = {ph}", declared)
        return ids

    def _resolve_metrics(self, conn: Connection, chunks: list[SeriesChunk],
                         ids: dict[tuple[str, str], int]) -> None:
        """Find or create (race safe: insert-if-missing) the metric rows of ``chunks``."""
        ph = self.db.ph
        run_ids = sorted({c.run_id for c in chunks})
        known: set[str] = set()
        for start in range(0, len(run_ids), _CHUNK):
            known.update(conn.execute(sa.select(t.run.c.id).where(
                t.run.c.id.in_(run_ids[start:start + _CHUNK]))).scalars())
        for run_id in run_ids:
            if run_id not in known:
                raise NotFoundError(f"Run {run_id} not found")
        conn.exec_driver_sql(
            "INSERT INTO metric (run_id, name, kind, description, count) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, 0) ON CONFLICT (run_id, name) DO NOTHING",
            [(c.run_id, c.name, c.kind, c.description or "") for c in chunks])
        m = t.metric.c
        for run_id in run_ids:
            names = [c.name for c in chunks if c.run_id == run_id]
            for start in range(0, len(names), _CHUNK):
                for mid, name in conn.execute(
                        sa.select(m.id, m.name)
                        .where(m.run_id == run_id, m.name.in_(names[start:start + _CHUNK]))):
                    ids[(run_id, name)] = mid

