"""Metric reads of the SQL store: every read returns numpy columns (``MetricColumns``) built
from the packed chunks; the list-returning methods of the Store interface convert them at the
edge. Counts and last values come from the ``metric`` rows, never from points."""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError, MetricInfo, MetricSeries, NotFoundError
from ..columns import MetricColumns, numbers_of, to_list
from ..values import FLOAT, JSON, STEP_INT, decode_step, decode_value
from . import schema as t
from .common import SqlBase
from .metric_blocks import downsample_by_scan, downsample_from_blocks
from .metric_chunks import Range, read_range, read_values_of

if TYPE_CHECKING:
    import numpy as np

_CHUNK = 500  # ids per IN (...) list


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


def declared_columns(last_type: int | None, last_text: str | None) -> tuple[str, ...] | None:
    """The declared columns of an empty table (kept as a row of nulls), else None."""
    if last_type != JSON or not last_text:
        return None
    row = json.loads(last_text)
    return tuple(row) if isinstance(row, dict) else None


def _extremes(numbers: np.ndarray, base: int) -> tuple[Any, Any, Any, Any]:
    """(min, its seq, max, its seq) of ``numbers`` (NaN: no number), earliest on ties; the
    first number is at seq ``base + 1``."""
    import numpy as np  # numpy on use

    valid = ~np.isnan(numbers)
    if not valid.any():
        return None, None, None, None
    first = int(valid.argmax())
    kmin = int(np.where(valid, numbers, np.inf).argmin())
    kmax = int(np.where(valid, numbers, -np.inf).argmax())
    kmin = kmin if valid[kmin] else first
    kmax = kmax if valid[kmax] else first
    return float(numbers[kmin]), base + 1 + kmin, float(numbers[kmax]), base + 1 + kmax


class MetricReadMixin(SqlBase):
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
                           max_points: int | None = None,
                           until: int | None = None) -> MetricColumns:
        if max_points is not None and max_points < 2:
            raise InvalidInputError("max_points must be at least 2")
        since = max(int(since), 0)
        if until is not None and int(until) < since:
            raise InvalidInputError("until must not be below since")

        import numpy as np  # numpy on use

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
            points = read_range(self._fetcher(conn), self.db.ph, mid, since, until=until)
            columns = MetricColumns(
                run_id=run_id, name=name, kind=kind, value=None,  # type: ignore[arg-type]
                # A window still says how long the whole series is.
                total=max(total, since + len(points) if len(points) else 0),
                description=row.description,
                columns=declared_columns(row.last_type, row.last_text) if not total else None)
            if max_points is not None and len(points) > max_points:
                keep = self._downsample(self._fetcher(conn), mid, points, since, max_points,
                                        until)
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
                    points: Range, since: int, max_points: int,
                    until: int | None = None) -> list[int]:
        """Seqs to keep of ``points`` (the series after ``since``, up to ``until``), at most
        ``max_points``."""
        last = since + len(points)
        if max_points < 4:  # no room for a min/max pair: the two ends only
            return sorted({since + 1, last})

        def extremes(lo: int, hi: int) -> tuple[Any, Any, Any, Any]:
            """Of the points in (lo, hi]: the head of the range, or a window's last block."""
            if lo == since:
                return _extremes(numbers_of(points.head(hi - lo)), lo)
            return _extremes(numbers_of(points.column("value")[lo - since:hi - since]), lo)

        keep = downsample_from_blocks(fetch, self.db.ph, mid, since, max_points, extremes,
                                      until=None if until is None else last)
        if keep is None:
            return downsample_by_scan(numbers_of(points.column("value")), since, max_points)
        # The rollups may already describe points appended after the chunks were read.
        return sorted({s for s in keep if s <= last} | {last})

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        with _gc_paused():
            columns = self.get_metric_columns(run_id, name, since=since, max_points=max_points,
                                              until=until)
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
                        columns=None if r.count else declared_columns(r.last_type,
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
    import numpy as np  # numpy on use

    return np.empty(0, dtype=object)
