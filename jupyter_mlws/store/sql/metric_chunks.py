"""The ``metric_chunk`` rows of the SQL store: packing new points into chunks (merging into a
partly filled last chunk) and reading ranges of a series back as numpy columns.

Chunk k of a metric holds seqs ``k * CHUNK_POINTS + 1`` to ``(k + 1) * CHUNK_POINTS``; only
the newest can be partly filled, so where a point lives follows from its seq alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..chunk_codec import (
    CHUNK_POINTS,
    VALUES_JSON,
    decode_steps,
    decode_times,
    decode_values,
    encode_steps,
    encode_values,
    pack_times,
    unpack_steps,
    unpack_times,
    unpack_values,
)
from ..columns import SeriesChunk, concat
from ..values import STEP_INT
from .metric_blocks import block_rows

if TYPE_CHECKING:
    import numpy as np

Fetch = Callable[[str, tuple], list[tuple]]

CHUNK_COLUMNS = "step_enc, steps, times, value_enc, vals"
INSERT_SQL = ("INSERT INTO metric_chunk (metric_id, first_seq, n, step_enc, steps, times, "
              "value_enc, vals) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph})")
UPDATE_SQL = ("UPDATE metric_chunk SET n = {ph}, step_enc = {ph}, steps = {ph}, times = {ph}, "
              "value_enc = {ph}, vals = {ph} WHERE metric_id = {ph} AND first_seq = {ph}")
_PAIRS = 200  # (metric, chunk) pairs per tail query


def chunk_start(seq: int) -> int:
    """first_seq of the chunk holding ``seq``."""
    return (seq - 1) // CHUNK_POINTS * CHUNK_POINTS + 1


@dataclass
class SeriesRows:
    """The rows one append writes for one metric."""

    inserts: list[tuple] = field(default_factory=list)
    updates: list[tuple] = field(default_factory=list)
    rollups: list[tuple] = field(default_factory=list)


def _pack(mid: int, first_seq: int, steps: Sequence[Any], times: Sequence[float],
          values: Sequence[Any], new_from: int, rows: SeriesRows) -> tuple:
    """One chunk's row values; the rollups of its points from index ``new_from`` on."""
    step_enc, step_data, int_steps = encode_steps(steps)
    packed = encode_values(values)
    types = packed.types
    if int_steps:
        types |= (types & 0xFF) << STEP_INT
    if packed.encoding == VALUES_JSON:
        numbers: Sequence[Any] = packed.numbers[new_from:]  # type: ignore[index]
        clean = False
    else:
        numbers = values[new_from:]
        clean = not packed.has_nan
    rows.rollups.extend(block_rows(mid, first_seq - 1 + new_from, numbers, clean, types))
    return (len(times), step_enc, step_data, pack_times(times), packed.encoding, packed.data)


def plan_append(mid: int, count: int, chunk: SeriesChunk, tail: tuple | None) -> SeriesRows:
    """Rows that append ``chunk``'s points to a metric holding ``count`` points. ``tail`` is
    the stored ``(n, step_enc, steps, times, value_enc, vals)`` of its partly filled last
    chunk (None when ``count`` is a multiple of CHUNK_POINTS)."""
    rows = SeriesRows()
    steps, times, values = chunk.step, chunk.time, chunk.value
    n = len(times)
    pos = 0
    held = count % CHUNK_POINTS
    if held and n:
        if tail is None or tail[0] != held:
            raise LookupError(f"metric {mid}: the last chunk does not hold {held} points")
        take = min(CHUNK_POINTS - held, n)
        old_n, step_enc, step_data, time_data, value_enc, value_data = tail
        merged = _pack(mid, count - held + 1,
                       unpack_steps(step_enc, step_data, old_n) + list(steps[:take]),
                       unpack_times(time_data) + list(times[:take]),
                       unpack_values(value_enc, value_data) + list(values[:take]),
                       held, rows)
        rows.updates.append((*merged, mid, count - held + 1))
        pos = take
    while pos < n:
        end = min(n, pos + CHUNK_POINTS)
        first = count + pos + 1
        packed = _pack(mid, first, steps[pos:end], times[pos:end], values[pos:end], 0, rows)
        rows.inserts.append((mid, first, *packed))
        pos = end
    return rows


def read_tails(fetch: Fetch, ph: str, wanted: dict[int, int]) -> dict[int, tuple]:
    """``{metric id: first_seq}`` -> ``{metric id: (n, step_enc, steps, times, value_enc,
    vals)}`` of those chunks."""
    out: dict[int, tuple] = {}
    items = list(wanted.items())
    for start in range(0, len(items), _PAIRS):
        part = items[start:start + _PAIRS]
        where = " OR ".join([f"(metric_id = {ph} AND first_seq = {ph})"] * len(part))
        params = tuple(x for pair in part for x in pair)
        for mid, *row in fetch(f"SELECT metric_id, n, {CHUNK_COLUMNS} FROM metric_chunk "
                               f"WHERE {where}", params):
            out[mid] = tuple(row)
    return out


class Range:
    """The stored points of one metric after a cursor, as the chunk rows that hold them;
    columns are unpacked on demand (``np.frombuffer`` views, copied only when joined)."""

    def __init__(self, since: int, rows: list[tuple], steps_and_times: bool,
                 until: int | None = None) -> None:
        self.since = since
        self._rows = rows  # (first_seq, n, [step_enc, steps, times,] value_enc, vals)
        self._full = steps_and_times
        self._skip = since - (rows[0][0] - 1) if rows else 0
        self._size = max(0, sum(row[1] for row in rows) - self._skip)
        if until is not None:  # a window: the points after ``until`` are not part of it
            self._size = max(0, min(self._size, until - since))

    def __len__(self) -> int:
        return self._size

    def _parts(self, column: str) -> list[np.ndarray]:
        parts = []
        for row in self._rows:
            n = row[1]
            if column == "value":
                parts.append(decode_values(row[-2], row[-1], n))
            elif column == "step":
                parts.append(decode_steps(row[2], row[3], n))
            else:
                parts.append(decode_times(row[4], n))
        return parts

    def column(self, column: str) -> np.ndarray:
        """Every point's ``step``, ``time`` or ``value``, oldest first."""
        if column != "value" and not self._full:
            raise ValueError("this range was read without steps and times")
        joined = concat(self._parts(column))
        return joined[self._skip:self._skip + self._size]

    def head(self, n: int) -> np.ndarray:
        """The values of the first ``n`` points, unpacking only the chunks that hold them."""
        parts, have = [], 0
        for row in self._rows:
            if have >= n + self._skip:
                break
            parts.append(decode_values(row[-2], row[-1], row[1]))
            have += row[1]
        return concat(parts)[self._skip:self._skip + n]

    def take(self, seqs: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(step, time, value) of the points with the given (sorted) seqs, unpacking only the
        chunks that hold them and copying only the chosen points."""
        import numpy as np  # numpy on use

        wanted = np.asarray(seqs, dtype=np.int64)
        steps, times, values = [], [], []
        for row in self._rows:
            first, n = row[0], row[1]
            lo, hi = np.searchsorted(wanted, [first, first + n])
            if lo == hi:
                continue
            index = wanted[lo:hi] - first
            steps.append(decode_steps(row[2], row[3], n)[index])
            times.append(decode_times(row[4], n)[index])
            values.append(decode_values(row[5], row[6], n)[index])
        return concat(steps), concat(times), concat(values)


def read_range(fetch: Fetch, ph: str, mid: int, since: int, *, steps_and_times: bool = True,
               until: int | None = None) -> Range:
    """Every stored point of metric ``mid`` with ``since < seq`` (``<= until`` when given)."""
    columns = "first_seq, n, " + (CHUNK_COLUMNS if steps_and_times else "value_enc, vals")
    upper, params = "", (mid, chunk_start(since + 1))
    if until is not None:
        upper, params = f" AND first_seq <= {ph}", (*params, int(until))
    rows = fetch(f"SELECT {columns} FROM metric_chunk WHERE metric_id = {ph} AND "
                 f"first_seq >= {ph}{upper} ORDER BY first_seq", params)
    return Range(since, rows, steps_and_times, until)


def read_values_of(fetch: Fetch, ph: str, metric_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Every value of each metric in ``metric_ids`` (one query), oldest first."""
    parts: dict[int, list[np.ndarray]] = {mid: [] for mid in metric_ids}
    if not metric_ids:
        return {}
    marks = ", ".join([ph] * len(metric_ids))
    for mid, n, value_enc, vals in fetch(
            f"SELECT metric_id, n, value_enc, vals FROM metric_chunk WHERE metric_id IN "
            f"({marks}) ORDER BY metric_id, first_seq", tuple(metric_ids)):
        parts[mid].append(decode_values(value_enc, vals, n))
    return {mid: concat(chunks) for mid, chunks in parts.items()}


__all__ = ["INSERT_SQL", "UPDATE_SQL", "Range", "SeriesRows", "chunk_start", "plan_append",
           "read_range", "read_tails", "read_values_of"]
