"""Metric points in packed column chunks: ``metric_point`` (one row per point) becomes
``metric_chunk`` (one row per metric and CHUNK_POINTS consecutive points, columns packed as
typed arrays, see store/chunk_codec.py). The ``metric`` rows (counts, last values) and the
``metric_block`` rollups describe the same seqs and values and are kept as they are.

The conversion runs in the migration's one transaction: readers of the old layout keep
reading it until the commit (SQLite WAL and PostgreSQL MVCC both give them the old snapshot),
and nobody ever sees half a conversion.

Revision ID: 0002
Revises: 0002a_artifacts

It follows 0002a_artifacts (which reached main first, written at the same time on 0001), so a
store already at 0002a_artifacts is converted too.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from alembic import op

from jupyter_mlws.store.chunk_codec import (
    CHUNK_POINTS,
    encode_steps,
    encode_values,
    pack_times,
    unpack_steps,
    unpack_times,
    unpack_values,
)
from jupyter_mlws.store.values import (
    CODE_MASK,
    FLOAT,
    STEP_INT,
    decode_value,
    encode_step,
    encode_value,
)

revision = "0002"
down_revision = "0002a_artifacts"
branch_labels = None
depends_on = None

_cascade = {"ondelete": "CASCADE"}
_INSERT_CHUNK = sa.text(
    "INSERT INTO metric_chunk (metric_id, first_seq, n, step_enc, steps, times, value_enc, "
    "vals) VALUES (:metric_id, :first_seq, :n, :step_enc, :steps, :times, :value_enc, :vals)")
_INSERT_POINT = sa.text(
    "INSERT INTO metric_point (metric_id, seq, step, time, vtype, vnum, vtext) "
    "VALUES (:metric_id, :seq, :step, :time, :vtype, :vnum, :vtext)")
_ROWS_PER_INSERT = 64  # chunks per executemany (bounds memory for big stores)


def _create_metric_point() -> None:
    op.create_table(
        "metric_point",
        sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade),
                  primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("step", sa.Float),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("vtype", sa.SmallInteger, nullable=False),
        sa.Column("vnum", sa.Float),
        sa.Column("vtext", sa.Text),
        sqlite_with_rowid=False,
    )


def _steps_of(rows: list[Any]) -> list[Any]:
    """Old (step REAL, vtype with STEP_INT) -> the logged steps."""
    steps = list(map(itemgetter(0), rows))
    flags = {code & STEP_INT for code in map(itemgetter(2), rows)}
    if flags == {0}:
        return steps
    if flags == {STEP_INT}:
        return [None if s is None else int(s) for s in steps]
    return [None if s is None else int(s) if code & STEP_INT else s
            for s, _, code, _, _ in rows]


def _values_of(rows: list[Any]) -> list[Any]:
    codes = {code & CODE_MASK for code in map(itemgetter(2), rows)}
    texts = list(map(itemgetter(4), rows))
    if codes == {FLOAT} and texts.count(None) == len(texts):
        return list(map(itemgetter(3), rows))  # the common case: plain floats
    return [decode_value(code, num, text) for _, _, code, num, text in rows]


def upgrade() -> None:
    op.create_table(
        "metric_chunk",
        sa.Column("metric_id", sa.Integer, sa.ForeignKey("metric.id", **_cascade),
                  primary_key=True),
        sa.Column("first_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("step_enc", sa.SmallInteger, nullable=False),
        sa.Column("steps", sa.LargeBinary),
        sa.Column("times", sa.LargeBinary, nullable=False),
        sa.Column("value_enc", sa.SmallInteger, nullable=False),
        sa.Column("vals", sa.LargeBinary, nullable=False),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    metric_ids = [mid for (mid,) in bind.execute(sa.text(
        "SELECT DISTINCT metric_id FROM metric_point ORDER BY metric_id"))]
    pending: list[dict[str, Any]] = []
    for mid in metric_ids:
        last = bind.execute(sa.text("SELECT max(seq) FROM metric_point WHERE metric_id = :m"),
                            {"m": mid}).scalar() or 0
        for first in range(1, last + 1, CHUNK_POINTS):
            rows = bind.execute(sa.text(
                "SELECT step, time, vtype, vnum, vtext FROM metric_point WHERE metric_id = :m "
                "AND seq >= :lo AND seq < :hi ORDER BY seq"),
                {"m": mid, "lo": first, "hi": first + CHUNK_POINTS}).all()
            if not rows:
                continue
            # Stored data is converted as it is, without the checks new input gets.
            step_enc, steps, _ = encode_steps(_steps_of(rows), validate=False)
            packed = encode_values(_values_of(rows), validate=False)
            pending.append({"metric_id": mid, "first_seq": first, "n": len(rows),
                            "step_enc": step_enc, "steps": steps,
                            "times": pack_times(list(map(itemgetter(1), rows))),
                            "value_enc": packed.encoding, "vals": packed.data})
            if len(pending) >= _ROWS_PER_INSERT:
                bind.execute(_INSERT_CHUNK, pending)
                pending = []
    if pending:
        bind.execute(_INSERT_CHUNK, pending)
    op.drop_table("metric_point")


def downgrade() -> None:
    _create_metric_point()
    bind = op.get_bind()
    metric_ids = [mid for (mid,) in bind.execute(sa.text(
        "SELECT DISTINCT metric_id FROM metric_chunk ORDER BY metric_id"))]
    for mid, first, n, step_enc, steps, times, value_enc, vals in (
            row for m in metric_ids for row in bind.execute(sa.text(
                "SELECT metric_id, first_seq, n, step_enc, steps, times, value_enc, vals "
                "FROM metric_chunk WHERE metric_id = :m ORDER BY first_seq"), {"m": m}).all()):
        points = []
        for i, (step, when, value) in enumerate(zip(
                unpack_steps(step_enc, steps, n), unpack_times(times),
                unpack_values(value_enc, vals), strict=True)):
            code, num, text = encode_value(value)
            fstep, flag = encode_step(step)
            points.append({"metric_id": mid, "seq": first + i, "step": fstep, "time": when,
                           "vtype": code | flag, "vnum": num, "vtext": text})
        bind.execute(_INSERT_POINT, points)
    op.drop_table("metric_chunk")
