"""Metrics of the SQL store: the batched append hot path and chart-shaped reads."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError, MetricInfo, MetricPoint, MetricSeries, NotFoundError
from ..values import (
    BOOL,
    CODE_MASK,
    FLOAT,
    INT,
    STEP_INT,
    decode_step,
    decode_value,
    encode_step,
    encode_value,
)
from . import schema as t
from .common import SqlBase
from .metric_blocks import (
    BLOCK_SIZE,
    UPSERT_SQL,
    block_rows,
    downsample_by_scan,
    downsample_from_blocks,
)

_MAX_RETRIES = 20
_CHUNK = 500  # ids per IN (...) list
_NUMERIC_DECODERS = {FLOAT: None, INT: int, BOOL: bool}


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big series is materialized: the millions of
    fresh row tuples would otherwise trigger repeated full collections that cost more than the
    read itself. The objects hold no cycles; collection resumes afterwards."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decode_rows(rows: Sequence[tuple]) -> tuple[list, list, list]:
    """Columns (step, time, vtype, vnum, vtext) -> steps, times and values, any types."""
    step = [int(s) if c & STEP_INT and s is not None else s for s, _, c, _, _ in rows]
    time_ = [r[1] for r in rows]
    value = [n if c & CODE_MASK == FLOAT and x is None else decode_value(c, n, x)
             for _, _, c, n, x in rows]
    return step, time_, value


def _fast_decoder(types: int) -> tuple[int, bool] | None:
    """(value code, steps are ints) when every point in a range with block mask ``types``
    has the same numeric value code and step kind and no TEXT part, else None."""
    for code in _NUMERIC_DECODERS:
        if types == 1 << code:
            return code, False
        if types == 1 << (code | STEP_INT):
            return code, True
    return None


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
            fstep, flag = encode_step(step)
            rows.append((fstep, float(when), code | flag, num, text))

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
        rollups: list[tuple] = []
        for key, rows in groups.items():
            mid = ids[key]
            base = last[mid]
            point_rows.extend((mid, base + i, *row) for i, row in enumerate(rows, 1))
            rollups.extend(block_rows(mid, base, rows))
            step, _when, code, num, text = rows[-1]
            last[mid] = base + len(rows)
            metric_rows.append((last[mid], code, num, text, step, mid))
        conn.exec_driver_sql(
            "INSERT INTO metric_point (metric_id, seq, step, time, vtype, vnum, vtext) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph})", point_rows)
        conn.exec_driver_sql(
            f"UPDATE metric SET count = {ph}, last_type = {ph}, last_num = {ph}, "
            f"last_text = {ph}, last_step = {ph} WHERE id = {ph}", metric_rows)
        conn.exec_driver_sql(UPSERT_SQL.format(ph=ph), rollups)
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
                               last_step=decode_step(r.last_type or 0, r.last_step),
                               description=r.description)
                    for r in rows]

        return self.db.read(read)

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        if max_points is not None and max_points < 2:
            raise InvalidInputError("max_points must be at least 2")
        since = max(int(since), 0)
        if until is not None and int(until) < since:
            raise InvalidInputError("until must not be below since")

        def read(conn: Connection) -> MetricSeries:
            row = conn.execute(sa.select(t.metric.c.id, t.metric.c.kind, t.metric.c.count)
                               .where(t.metric.c.run_id == run_id, t.metric.c.name == name)
                               ).first()
            if row is None:
                self._require_run(conn, run_id)
                raise NotFoundError(f"Metric {name!r} not found in run {run_id}")
            mid, kind, stored = row
            # A window ends at ``until``: everything below reads as if the series ended there.
            total = stored if until is None else min(stored, int(until))
            fetch = self._fetcher(conn)
            seq: list[int] | None = None
            rows = None
            if max_points is not None and total - since > max_points:
                # Fewer than 4 points leave no room for a min/max pair: the two ends only.
                seq = (sorted({since + 1, total}) if max_points < 4 else
                       downsample_from_blocks(fetch, self.db.ph, mid, since, max_points,
                                              until=total))
                if seq is None:
                    rows = downsample_by_scan(fetch, self.db.is_sqlite, mid, since,
                                              total - since, max_points)
                    seq = [r[0] for r in rows]
                    rows = [r[1:] for r in rows]
                elif seq:
                    rows = fetch(
                        "SELECT step, time, vtype, vnum, vtext FROM metric_point WHERE "
                        f"metric_id = {int(mid)} AND seq IN ({', '.join(map(str, seq))}) "
                        "ORDER BY seq", ())
            if rows is None:
                seq, step, time_, value = self._read_all(fetch, mid, since, total)
            else:
                step, time_, value = _decode_rows(rows)
            stored = max(stored, seq[-1]) if seq else stored
            return MetricSeries(run_id=run_id, name=name, kind=kind, seq=seq or [],
                                step=step, time=time_, value=value, total=stored)

        with _gc_paused():
            return self.db.read(read)

    def _read_all(self, fetch: Callable[[str, tuple], list[tuple]], mid: int, since: int,
                  until: int | None = None) -> tuple[list[int], list, list, list]:
        """Every point after ``since``. Seqs are dense from 1, so they are not fetched. The
        block masks tell whether the range is uniformly numeric; then only three columns come
        back and decoding is C-level column extraction instead of per-point Python work."""
        ph = self.db.ph
        masks = fetch(f"SELECT types, last_seq FROM metric_block WHERE metric_id = {ph} "
                      f"AND block >= {ph}", (mid, since // BLOCK_SIZE))
        if not masks:
            return [], [], [], []
        types = 0
        for mask, _ in masks:
            types |= mask
        # Points are only read up to what the masks cover (a concurrent append on PostgreSQL
        # may add points the masks do not describe yet).
        covered = max(last for _, last in masks)
        if until is not None:
            covered = min(covered, until)
        fast = _fast_decoder(types)
        where = f"WHERE metric_id = {ph} AND seq > {ph} AND seq <= {ph} ORDER BY seq"
        if fast is None:
            rows = fetch(f"SELECT step, time, vtype, vnum, vtext FROM metric_point {where}",
                         (mid, since, covered))
            step, time_, value = _decode_rows(rows)
        else:
            rows = fetch(f"SELECT step, time, vnum FROM metric_point {where}",
                         (mid, since, covered))
            if not rows:
                return [], [], [], []
            steps, times, nums = (map(itemgetter(k), rows) for k in range(3))
            code, int_steps = fast
            convert = _NUMERIC_DECODERS[code]
            value = list(nums) if convert is None else list(map(convert, nums))
            step = list(map(int, steps)) if int_steps else list(steps)
            time_ = list(times)
        return list(range(since + 1, since + len(rows) + 1)), step, time_, value

    def _fetcher(self, conn: Connection) -> Callable[[str, tuple], list[tuple]]:
        return lambda sql, params: self._fetch(conn, sql, params)

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
                    values[mid].append(num if c & CODE_MASK == FLOAT and text is None
                                       else decode_value(c, num, text))
                for mid, run_id, name, kind in metrics:
                    out.setdefault(run_id, {})[name] = (kind, values[mid])

        with _gc_paused():
            self.db.read(read)
        return out
