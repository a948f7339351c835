"""Metrics of the SQL store: the batched append hot path and chart-shaped reads."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError, MetricInfo, MetricPoint, MetricSeries, NotFoundError
from ..values import BOOL, FLOAT, INT, decode_value, encode_value
from . import schema as t
from .common import SqlBase

_NUMERIC = (FLOAT, INT, BOOL)
_MAX_RETRIES = 20
_CHUNK = 500  # ids per IN (...) list


def _decode_rows(rows: Sequence[tuple]) -> tuple[list, list, list, list]:
    """Columns (seq, step, time, vtype, vnum, vtext) -> four lists; floats take the fast path."""
    seq = [r[0] for r in rows]
    step = [r[1] for r in rows]
    time_ = [r[2] for r in rows]
    value = [n if c == FLOAT and x is None else decode_value(c, n, x)
             for _, _, _, c, n, x in rows]
    return seq, step, time_, value


class MetricMixin(SqlBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (run_id, name) -> metric id and metric id -> last seq, both only ever filled after a
        # commit. Another process writing the same metric shows up as a primary-key conflict.
        self._metric_ids: dict[tuple[str, str], int] = {}
        self._last_seq: dict[int, int] = {}
        self._metric_lock = threading.Lock()

    # ---- writes
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        if not points:
            return
        groups: dict[tuple[str, str], list[tuple]] = {}
        meta: dict[tuple[str, str], tuple[str, str]] = {}
        for run_id, name, kind, step, when, value, description in points:
            key = (run_id, name)
            rows = groups.get(key)
            if rows is None:
                if not name or not isinstance(name, str):
                    raise InvalidInputError(f"Metric name must be a non-empty string: {name!r}")
                rows = groups[key] = []
                meta[key] = (kind, description or "")
            code, num, text = encode_value(value)
            rows.append((None if step is None else float(step), float(when), code, num, text))

        with self._metric_lock:
            for attempt in range(_MAX_RETRIES):
                try:
                    ids, last = self.db.write(lambda c: self._append(c, groups, meta))
                except sa.exc.IntegrityError:
                    # Another process wrote one of these metrics (seq taken) or deleted its
                    # run: forget what we cached and recompute from the database.
                    for key in groups:
                        mid = self._metric_ids.pop(key, None)
                        if mid is not None:
                            self._last_seq.pop(mid, None)
                    if attempt == _MAX_RETRIES - 1:
                        raise
                    continue
                self._metric_ids.update(ids)
                self._last_seq.update(last)
                return

    def _append(self, conn: Connection, groups: dict[tuple[str, str], list[tuple]],
                meta: dict[tuple[str, str], tuple[str, str]],
                ) -> tuple[dict[tuple[str, str], int], dict[int, int]]:
        ph = self.db.ph
        ids = {key: self._metric_ids[key] for key in groups if key in self._metric_ids}
        last = {mid: self._last_seq[mid] for mid in ids.values() if mid in self._last_seq}
        missing = [key for key in groups if key not in ids]
        if missing:
            self._resolve_metrics(conn, missing, meta, ids, last)
        stale = [mid for mid in ids.values() if mid not in last]
        for start in range(0, len(stale), _CHUNK):
            chunk = stale[start:start + _CHUNK]
            found = dict(conn.execute(
                sa.select(t.metric_point.c.metric_id, sa.func.max(t.metric_point.c.seq))
                .where(t.metric_point.c.metric_id.in_(chunk))
                .group_by(t.metric_point.c.metric_id)).all())
            for mid in chunk:
                last[mid] = found.get(mid) or 0

        point_rows: list[tuple] = []
        metric_rows: list[tuple] = []
        for key, rows in groups.items():
            mid = ids[key]
            base = last[mid]
            point_rows.extend((mid, base + i, *row) for i, row in enumerate(rows, 1))
            step, _when, code, num, text = rows[-1]
            last[mid] = base + len(rows)
            metric_rows.append((last[mid], code, num, text, step, mid))
        conn.exec_driver_sql(
            "INSERT INTO metric_point (metric_id, seq, step, time, vtype, vnum, vtext) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph})", point_rows)
        conn.exec_driver_sql(
            f"UPDATE metric SET count = {ph}, last_type = {ph}, last_num = {ph}, "
            f"last_text = {ph}, last_step = {ph} WHERE id = {ph}", metric_rows)
        return ids, last

    def _resolve_metrics(self, conn: Connection, keys: list[tuple[str, str]],
                         meta: dict[tuple[str, str], tuple[str, str]],
                         ids: dict[tuple[str, str], int], last: dict[int, int]) -> None:
        """Find or create (race safe: insert-if-missing) the metric rows of ``keys``."""
        ph = self.db.ph
        run_ids = sorted({run_id for run_id, _ in keys})
        known = set(conn.execute(sa.select(t.run.c.id).where(t.run.c.id.in_(run_ids))).scalars())
        for run_id in run_ids:
            if run_id not in known:
                raise NotFoundError(f"Run {run_id} not found")
        conn.exec_driver_sql(
            "INSERT INTO metric (run_id, name, kind, description, count) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, 0) ON CONFLICT (run_id, name) DO NOTHING",
            [(run_id, name, *meta[(run_id, name)]) for run_id, name in keys])
        m = t.metric.c
        for run_id in run_ids:
            names = [name for r, name in keys if r == run_id]
            for start in range(0, len(names), _CHUNK):
                for mid, name, count in conn.execute(
                        sa.select(m.id, m.name, m.count)
                        .where(m.run_id == run_id, m.name.in_(names[start:start + _CHUNK]))):
                    ids[(run_id, name)] = mid
                    last[mid] = count

    # ---- reads
    def _require_run(self, conn: Connection, run_id: str) -> None:
        if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)).first() is None:
            raise NotFoundError(f"Run {run_id} not found")

    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        def read(conn: Connection) -> list[MetricInfo]:
            self._require_run(conn, run_id)
            m = t.metric.c
            rows = conn.execute(sa.select(t.metric).where(m.run_id == run_id)
                                .order_by(m.id)).all()
            return [MetricInfo(run_id=run_id, name=r.name, kind=r.kind, count=r.count,
                               last_value=decode_value(r.last_type, r.last_num, r.last_text)
                               if r.last_type is not None else None,
                               last_step=r.last_step, description=r.description)
                    for r in rows]

        return self.db.read(read)

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None) -> MetricSeries:
        if max_points is not None and max_points < 2:
            raise InvalidInputError("max_points must be at least 2")
        since = max(int(since), 0)

        def read(conn: Connection) -> MetricSeries:
            row = conn.execute(sa.select(t.metric.c.id, t.metric.c.kind, t.metric.c.count)
                               .where(t.metric.c.run_id == run_id, t.metric.c.name == name)
                               ).first()
            if row is None:
                self._require_run(conn, run_id)
                raise NotFoundError(f"Metric {name!r} not found in run {run_id}")
            mid, kind, total = row
            n = total - since
            if max_points is None or n <= max_points:
                rows = self._fetch(
                    conn, "SELECT seq, step, time, vtype, vnum, vtext FROM metric_point "
                    f"WHERE metric_id = {self.db.ph} AND seq > {self.db.ph} ORDER BY seq",
                    (mid, since))
            else:
                rows = self._downsample(conn, mid, since, n, max_points)
            seq, step, time_, value = _decode_rows(rows)
            return MetricSeries(run_id=run_id, name=name, kind=kind, seq=seq, step=step,
                                time=time_, value=value, total=total)

        return self.db.read(read)

    def _downsample(self, conn: Connection, mid: int, since: int, n: int,
                    max_points: int) -> list[tuple]:
        """Min and max of each of ``(max_points - 2) // 2`` seq ranges, plus the first and last
        points, chosen in SQL so only kept rows leave the database. Each range is a primary-key
        range scan, which avoids sorting the whole series as a GROUP BY would."""
        mid, first, last = int(mid), since + 1, since + n
        buckets = max(1, (max_points - 2) // 2)
        width = -(-n // buckets)
        ranges = (f"b(lo) AS (SELECT {first} UNION ALL SELECT lo + {width} FROM b "
                  f"WHERE lo + {width} <= {last})")
        in_range = f"metric_id = {mid} AND seq BETWEEN b.lo AND b.lo + {width - 1}"
        numeric = conn.exec_driver_sql(
            f"SELECT 1 FROM metric_point WHERE metric_id = {mid} AND seq > {since} "
            "AND vnum IS NOT NULL LIMIT 1").first() is not None
        if not numeric:
            # Nothing numeric (strings, rows): one evenly spaced point per range instead.
            picks = "SELECT lo FROM b"
        elif self.db.is_sqlite:
            # SQLite returns the bare column of the row holding a group's MIN()/MAX().
            picks = (f"SELECT (SELECT seq FROM (SELECT seq, MIN(vnum) FROM metric_point "
                     f"WHERE {in_range})) FROM b UNION SELECT (SELECT seq FROM (SELECT seq, "
                     f"MAX(vnum) FROM metric_point WHERE {in_range})) FROM b")
        else:
            picks = (f"SELECT (SELECT seq FROM metric_point WHERE {in_range} AND vnum IS NOT "
                     f"NULL ORDER BY vnum, seq LIMIT 1) FROM b UNION SELECT (SELECT seq FROM "
                     f"metric_point WHERE {in_range} AND vnum IS NOT NULL ORDER BY vnum DESC, "
                     "seq LIMIT 1) FROM b")
        sql = (f"WITH RECURSIVE {ranges}, picks(seq) AS ({picks} UNION SELECT {first} "
               f"UNION SELECT {last}) SELECT p.seq, p.step, p.time, p.vtype, p.vnum, p.vtext "
               f"FROM picks JOIN metric_point p ON p.metric_id = {mid} AND p.seq = picks.seq "
               "ORDER BY p.seq")
        return self._fetch(conn, sql, ())

    @staticmethod
    def _fetch(conn: Connection, sql: str, params: tuple) -> list[tuple]:
        """Plain DBAPI tuples: wrapping a million rows in SQLAlchemy Rows costs seconds."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def get_all_metric_values(self, run_ids: Sequence[str],
                              ) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        run_ids = list(dict.fromkeys(run_ids))
        out: dict[str, dict[str, tuple[str, list[Any]]]] = {}
        m, p = t.metric.c, t.metric_point.c

        def read(conn: Connection) -> None:
            for start in range(0, len(run_ids), _CHUNK):
                chunk = run_ids[start:start + _CHUNK]
                metrics = conn.execute(sa.select(m.id, m.run_id, m.name, m.kind)
                                       .where(m.run_id.in_(chunk)).order_by(m.id)).all()
                values: dict[int, list[Any]] = {mid: [] for mid, *_ in metrics}
                for mid, c, num, text in conn.execute(
                        sa.select(p.metric_id, p.vtype, p.vnum, p.vtext)
                        .join(t.metric, m.id == p.metric_id)
                        .where(m.run_id.in_(chunk)).order_by(p.metric_id, p.seq)):
                    values[mid].append(num if c == FLOAT and text is None
                                       else decode_value(c, num, text))
                for mid, run_id, name, kind in metrics:
                    out.setdefault(run_id, {})[name] = (kind, values[mid])

        self.db.read(read)
        return out
