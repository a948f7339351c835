"""Metrics of the SQL store: batched appends into packed column chunks (``metric_chunk``),
last values kept on the ``metric`` row at write time, and reads that return numpy columns
(converted to Python lists only by the list-returning methods, at the edge)."""

from __future__ import annotations

import contextlib
import gc
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError, MetricInfo, MetricPoint, MetricSeries, NotFoundError
from ..columns import (
    CHUNK_POINTS,
    MetricColumns,
    RejectedValue,
    SeriesChunk,
    check_text,
    group_points,
    numbers_of,
    to_list,
)
from ..values import (
    FLOAT,
    JSON,
    STEP_INT,
    decode_step,
    decode_value,
    encode_step,
    encode_value,
)
from . import schema as t
from .common import SqlBase
from .metric_blocks import UPSERT_SQL, downsample_by_scan, downsample_from_blocks
from .metric_chunks import (
    INSERT_SQL,
    UPDATE_SQL,
    Range,
    chunk_start,
    plan_append,
    read_range,
    read_tails,
    read_values_of,
)

if TYPE_CHECKING:
    import numpy as np

_MAX_RETRIES = 20
_CHUNK = 500  # ids per IN (...) list
_NAME_LIMIT = 255
_KIND_LIMIT = 32


class _StaleIds(Exception):
    """Cached metric ids whose rows are gone (their run was deleted): resolve them again."""

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__(keys)
        self.keys = keys


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big series is materialized: the millions of
    fresh Python objects would otherwise trigger repeated full collections that cost more than
    the read itself. The objects hold no cycles; collection resumes afterwards."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _declared_columns(last_type: int | None, last_text: str | None) -> tuple[str, ...] | None:
    """The declared columns of an empty table (kept as a row of nulls), else None."""
    if last_type != JSON or not last_text:
        return None
    row = json.loads(last_text)
    return tuple(row) if isinstance(row, dict) else None


def _extremes(numbers: np.ndarray, base: int) -> tuple[Any, Any, Any, Any]:
    """(min, its seq, max, its seq) of ``numbers`` (NaN: no number), earliest on ties; the
    first number is at seq ``base + 1``."""
    import numpy as np

    valid = ~np.isnan(numbers)
    if not valid.any():
        return None, None, None, None
    first = int(valid.argmax())
    kmin = int(np.where(valid, numbers, np.inf).argmin())
    kmax = int(np.where(valid, numbers, -np.inf).argmax())
    kmin = kmin if valid[kmin] else first
    kmax = kmax if valid[kmax] else first
    return float(numbers[kmin]), base + 1 + kmin, float(numbers[kmax]), base + 1 + kmax


class MetricMixin(SqlBase):
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
                    columns = dict.fromkeys(_declared_columns(last_type, last_text) or ())
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

    # ---- reads
    def _require_run(self, conn: Connection, run_id: str) -> None:
        if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)).first() is None:
            raise NotFoundError(f"Run {run_id} not found")

    @staticmethod
    def _info(row: Any) -> MetricInfo:
        last = None
        if row.last_type is not None:
            last = decode_value(row.last_type, row.last_num, row.last_text)
        return MetricInfo(run_id=row.run_id, name=row.name, kind=row.kind, count=row.count,
                          last_value=last,
                          last_step=decode_step(row.last_type or 0, row.last_step),
                          description=row.description)

    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        def read(conn: Connection) -> list[MetricInfo]:
            self._require_run(conn, run_id)
            m = t.metric.c
            rows = conn.execute(sa.select(t.metric).where(m.run_id == run_id)
                                .order_by(m.id)).all()
            return [self._info(r) for r in rows]

        return self.db.read(read)

    def list_metrics_of_runs(self, run_ids: Sequence[str]) -> dict[str, list[MetricInfo]]:
        run_ids = list(dict.fromkeys(run_ids))
        out: dict[str, list[MetricInfo]] = {run_id: [] for run_id in run_ids}
        ph = self.db.ph

        def read(conn: Connection) -> None:
            # Plain DBAPI rows and the float fast path: a table of 10,000 runs reads 20,000+
            # metric rows here, and per-row SQLAlchemy processing would dominate.
            fetch = self._fetcher(conn)
            for start in range(0, len(run_ids), _CHUNK):
                part = run_ids[start:start + _CHUNK]
                for run_id, name, kind, count, code, num, text, step, description in fetch(
                        "SELECT run_id, name, kind, count, last_type, last_num, last_text, "
                        "last_step, description FROM metric WHERE run_id IN "
                        f"({', '.join([ph] * len(part))}) ORDER BY id", tuple(part)):
                    if code is None:
                        last = None
                    elif code == FLOAT and text is None:
                        last = num
                    else:
                        last = decode_value(code, num, text)
                    out[run_id].append(MetricInfo(
                        run_id, name, kind, count, last,
                        step if step is None or not code & STEP_INT else int(step),
                        description))

        self.db.read(read)
        return out

    def get_metric_columns(self, run_id: str, name: str, *, since: int = 0,
                           max_points: int | None = None) -> MetricColumns:
        if max_points is not None and max_points < 2:
            raise InvalidInputError("max_points must be at least 2")
        since = max(int(since), 0)

        import numpy as np

        def read(conn: Connection) -> MetricColumns:
            row = conn.execute(sa.select(t.metric.c.id, t.metric.c.kind, t.metric.c.count,
                                         t.metric.c.last_type, t.metric.c.last_text,
                                         t.metric.c.description)
                               .where(t.metric.c.run_id == run_id, t.metric.c.name == name)
                               ).first()
            if row is None:
                self._require_run(conn, run_id)
                raise NotFoundError(f"Metric {name!r} not found in run {run_id}")
            mid, kind, total = row.id, row.kind, row.count
            points = read_range(self._fetcher(conn), self.db.ph, mid, since)
            columns = MetricColumns(
                run_id=run_id, name=name, kind=kind, value=None,  # type: ignore[arg-type]
                total=max(total, since + len(points) if len(points) else 0),
                description=row.description,
                columns=_declared_columns(row.last_type, row.last_text) if not total else None)
            if max_points is not None and len(points) > max_points:
                keep = self._downsample(self._fetcher(conn), mid, points, since, max_points)
                columns.seq = np.asarray(keep, dtype=np.int64)
                columns.step, columns.time, columns.value = points.take(keep)
            else:
                columns.seq = np.arange(since + 1, since + 1 + len(points), dtype=np.int64)
                columns.step, columns.time = points.column("step"), points.column("time")
                columns.value = points.column("value")
            return columns

        with _gc_paused():
            return self.db.read(read)

    def _downsample(self, fetch: Callable[[str, tuple], list[tuple]], mid: int,
                    points: Range, since: int, max_points: int) -> list[int]:
        """Seqs to keep of ``points`` (the series after ``since``), at most ``max_points``."""
        last = since + len(points)
        if max_points < 4:  # no room for a min/max pair: the two ends only
            return sorted({since + 1, last})
        keep = downsample_from_blocks(
            fetch, self.db.ph, mid, since, max_points,
            lambda lo, hi: _extremes(numbers_of(points.head(hi - lo)), lo))
        if keep is None:
            return downsample_by_scan(numbers_of(points.column("value")), since, max_points)
        # The rollups may already describe points appended after the chunks were read.
        return sorted({s for s in keep if s <= last} | {last})

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None) -> MetricSeries:
        with _gc_paused():
            columns = self.get_metric_columns(run_id, name, since=since, max_points=max_points)
            return MetricSeries(run_id=run_id, name=name, kind=columns.kind,
                                seq=to_list(columns.seq), step=to_list(columns.step),
                                time=to_list(columns.time), value=columns.value.tolist(),
                                total=columns.total)

    def read_metric_values(self, run_ids: Sequence[str], names: Sequence[str] | None = None,
                           ) -> dict[str, dict[str, MetricColumns]]:
        run_ids = list(dict.fromkeys(run_ids))
        wanted = None if names is None else list(dict.fromkeys(names))
        out: dict[str, dict[str, MetricColumns]] = {}
        m = t.metric.c

        def read(conn: Connection) -> None:
            fetch = self._fetcher(conn)
            for start in range(0, len(run_ids), _CHUNK):
                stmt = sa.select(m.id, m.run_id, m.name, m.kind, m.count, m.last_type,
                                 m.last_text, m.description).where(
                    m.run_id.in_(run_ids[start:start + _CHUNK]))
                if wanted is not None:
                    stmt = stmt.where(m.name.in_(wanted))
                metrics = conn.execute(stmt.order_by(m.id)).all()
                values: dict[int, Any] = {}
                with_points = [r.id for r in metrics if r.count]
                for lo in range(0, len(with_points), _CHUNK):
                    values.update(read_values_of(fetch, self.db.ph,
                                                 with_points[lo:lo + _CHUNK]))
                for r in metrics:
                    value = values.get(r.id)
                    if value is None:
                        value = _empty_objects()
                    out.setdefault(r.run_id, {})[r.name] = MetricColumns(
                        run_id=r.run_id, name=r.name, kind=r.kind, value=value,
                        total=len(value), description=r.description,
                        columns=None if r.count else _declared_columns(r.last_type,
                                                                       r.last_text))

        with _gc_paused():
            self.db.read(read)
        return out

    def get_all_metric_values(self, run_ids: Sequence[str],
                              ) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        with _gc_paused():
            return {run_id: {name: (c.kind, c.values()) for name, c in metrics.items()}
                    for run_id, metrics in self.read_metric_values(run_ids).items()}

    def _fetcher(self, conn: Connection) -> Callable[[str, tuple], list[tuple]]:
        return lambda sql, params: self._fetch(conn, sql, params)

    @staticmethod
    def _fetch(conn: Connection, sql: str, params: tuple) -> list[tuple]:
        """Plain DBAPI tuples: wrapping rows in SQLAlchemy Rows costs more than the work."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if conn.dialect.name == "sqlite":
                cursor.execute(sql, params)
            else:  # psycopg's binary results: bytea arrives as is, not hex-escaped text
                cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
        finally:
            cursor.close()


def _empty_objects() -> np.ndarray:
    import numpy as np

    return np.empty(0, dtype=object)
