"""Block rollups of metric series and the downsampled reads built on them.

Every metric's points are grouped into fixed blocks of ``BLOCK_SIZE`` consecutive seqs. Each
``metric_block`` row holds the block's point count, last seq, a bitmask of the type codes of
the chunks that wrote it, and its numeric minimum and maximum with their seqs. Appends compute
them from the packed chunk columns and update the touched blocks in the same transaction as
the chunks, so a downsampled read of N points scans ~N/BLOCK_SIZE rows to choose its points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

BLOCK_SIZE = 256

Fetch = Callable[[str, tuple], list[tuple]]
Head = Callable[[int, int], tuple[Any, Any, Any, Any]]

# One upsert per touched block and batch. SET expressions see the row as it was before the
# update, so the min/max pairs stay consistent; ties keep the earlier seq.
UPSERT_SQL = (
    "INSERT INTO metric_block (metric_id, block, n, last_seq, min_num, min_seq, max_num, "
    "max_seq, types) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph}) "
    "ON CONFLICT (metric_id, block) DO UPDATE SET "
    "n = metric_block.n + excluded.n, last_seq = excluded.last_seq, "
    "min_seq = CASE WHEN metric_block.min_num IS NULL OR excluded.min_num < metric_block.min_num "
    "THEN excluded.min_seq ELSE metric_block.min_seq END, "
    "min_num = CASE WHEN metric_block.min_num IS NULL OR excluded.min_num < metric_block.min_num "
    "THEN excluded.min_num ELSE metric_block.min_num END, "
    "max_seq = CASE WHEN metric_block.max_num IS NULL OR excluded.max_num > metric_block.max_num "
    "THEN excluded.max_seq ELSE metric_block.max_seq END, "
    "max_num = CASE WHEN metric_block.max_num IS NULL OR excluded.max_num > metric_block.max_num "
    "THEN excluded.max_num ELSE metric_block.max_num END, "
    "types = metric_block.types | excluded.types")


def block_rows(mid: int, base: int, numbers: Sequence[Any], clean: bool, types: int,
               ) -> list[tuple]:
    """Rollup rows of new points that get seqs ``base + 1 ...``: one per touched block.
    ``numbers`` holds each point's sortable number; when ``clean`` is False some are None or
    NaN (no number) and are skipped. A typed chunk's numbers are its values (all floats, ints
    or bools), and min/max/index over a block slice are C loops, not per-point Python.
    ``types`` is the chunk's type mask, recorded for each block it touches (a superset)."""
    out = []
    i, total = 0, len(numbers)
    while i < total:
        seq = base + i + 1
        block = (seq - 1) // BLOCK_SIZE
        end = min(total, i + (block + 1) * BLOCK_SIZE - seq + 1)
        part = numbers[i:end]
        extremes: tuple = (None, None, None, None)
        if clean:
            lo, hi = min(part), max(part)
            extremes = (float(lo), seq + part.index(lo), float(hi), seq + part.index(hi))
        else:
            index = [k for k, v in enumerate(part) if v is not None and v == v]
            if index:
                kmin = min(index, key=part.__getitem__)
                kmax = max(index, key=part.__getitem__)
                extremes = (float(part[kmin]), seq + kmin, float(part[kmax]), seq + kmax)
        out.append((mid, block, end - i, base + end, *extremes, types))
        i = end
    return out


def downsample_from_blocks(fetch: Fetch, ph: str, mid: int, since: int, max_points: int,
                           head: Head, until: int | None = None) -> list[int] | None:
    """Seqs to keep (sorted) for ``since < seq`` (``<= until`` when given): first, last, and
    the min and max of each of ``(max_points - 2) // 2`` seq ranges (a range without numbers
    keeps its first point). None when the series is too short for blocks to give at least half
    that resolution; the caller then scans the points. ``head(lo, hi)`` gives the extremes of
    the points in ``(lo, hi]`` as ``(min, min_seq, max, max_seq)`` (Nones without numbers)."""
    buckets = max(1, (max_points - 2) // 2)
    upper = "" if until is None else f" AND block <= {int((until - 1) // BLOCK_SIZE)}"
    blocks = fetch(
        "SELECT block, last_seq, min_num, min_seq, max_num, max_seq FROM metric_block "
        f"WHERE metric_id = {ph} AND block >= {ph}{upper} ORDER BY block",
        (mid, since // BLOCK_SIZE))
    if not blocks:
        return []
    first, last = since + 1, blocks[-1][1]
    if until is not None and last > until:
        # The window ends inside its last block: summarize that block's points up to it.
        last = until
        lo, lo_seq, hi, hi_seq = head(max(since, blocks[-1][0] * BLOCK_SIZE), until)
        blocks[-1] = (blocks[-1][0], until, lo, lo_seq, hi, hi_seq)
    n = last - since
    if n <= 0:
        return []
    if n * 2 < buckets * BLOCK_SIZE:
        return None
    if since % BLOCK_SIZE:
        # The first block starts before the cursor: its rollup may hold older extremes, so
        # summarize its points after the cursor directly (fewer than BLOCK_SIZE rows).
        head_end = min((since // BLOCK_SIZE + 1) * BLOCK_SIZE, last)
        lo, lo_seq, hi, hi_seq = head(since, head_end)
        blocks[0] = (blocks[0][0], blocks[0][1], lo, lo_seq, hi, hi_seq)
    width = -(-n // buckets)
    bmin: dict[int, tuple[float, int]] = {}
    bmax: dict[int, tuple[float, int]] = {}
    starts: dict[int, int] = {}
    for block, _last, min_num, min_seq, max_num, max_seq in blocks:
        start = max(block * BLOCK_SIZE + 1, first)
        b = (start - first) // width
        starts.setdefault(b, start)
        if min_num is not None:
            cur = bmin.get(b)
            if cur is None or min_num < cur[0]:
                bmin[b] = (min_num, min_seq)
            cur = bmax.get(b)
            if cur is None or max_num > cur[0]:
                bmax[b] = (max_num, max_seq)
    keep = {first, last}
    for b, start in starts.items():
        if b in bmin:
            keep.add(bmin[b][1])
            keep.add(bmax[b][1])
        else:
            keep.add(start)
    return sorted(s for s in keep if first <= s <= last)


def downsample_by_scan(numbers: np.ndarray, since: int, max_points: int) -> list[int]:
    """Seqs to keep of the points ``since + 1 ...`` whose sortable numbers are ``numbers``
    (NaN: no number): first, last, and the earliest min and max of each of
    ``(max_points - 2) // 2`` seq ranges; a range without numbers keeps its first point. For
    series too short for the rollup; vectorized over a (ranges x width) matrix."""
    import numpy as np  # numpy on use

    n = len(numbers)
    if n == 0:
        return []
    first, last = since + 1, since + n
    buckets = max(1, (max_points - 2) // 2)
    width = -(-n // buckets)
    rows = -(-n // width)
    grid = np.full(rows * width, np.nan)
    grid[:n] = numbers
    grid = grid.reshape(rows, width)
    valid = ~np.isnan(grid)
    has = valid.any(axis=1)
    # Earliest min/max of each row; a row whose numbers are all +inf (or -inf for the max)
    # would otherwise pick a padding NaN, so those take the first valid column instead.
    kmin = np.where(valid, grid, np.inf).argmin(axis=1)
    kmax = np.where(valid, grid, -np.inf).argmax(axis=1)
    rows_idx = np.arange(rows)
    first_valid = valid.argmax(axis=1)
    kmin = np.where(valid[rows_idx, kmin], kmin, first_valid)
    kmax = np.where(valid[rows_idx, kmax], kmax, first_valid)
    starts = first + rows_idx * width
    keep = {first, last}
    keep.update((starts[has] + kmin[has]).tolist())
    keep.update((starts[has] + kmax[has]).tolist())
    keep.update(starts[~has].tolist())
    return sorted(s for s in keep if first <= s <= last)
