"""Block rollups of metric series and the downsampled reads built on them.

Every metric's points are grouped into fixed blocks of ``BLOCK_SIZE`` consecutive seqs. Each
``metric_block`` row holds the block's point count, last seq, a bitmask of the type codes in
it, and its numeric minimum and maximum with their seqs. Appends update the touched blocks in
the same transaction as the points, so a downsampled read of N points scans ~N/BLOCK_SIZE
rows and then fetches only the chosen points, and a full read learns from the masks whether
the fast all-numeric decoding applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

BLOCK_SIZE = 256
TEXT_BIT = 1 << 14  # some point of the block has a TEXT part (strings, rows, NaN, big ints)

Fetch = Callable[[str, tuple], list[tuple]]

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


def block_rows(mid: int, base: int, rows: Sequence[tuple]) -> list[tuple]:
    """Rollup rows of points ``rows`` (step, time, vtype, vnum, vtext) that get seqs
    ``base + 1 ...``: one per touched block. Runs per batch, so the per-point work is C-level
    (transpose, set, min/max over an index)."""
    out = []
    i, total = 0, len(rows)
    while i < total:
        seq = base + i + 1
        block = (seq - 1) // BLOCK_SIZE
        end = min(total, i + (block + 1) * BLOCK_SIZE - seq + 1)
        _steps, _times, codes, nums, texts = zip(*rows[i:end], strict=True)
        types = 0
        for code in set(codes):
            types |= 1 << code
        if texts.count(None) != len(texts):
            types |= TEXT_BIT
        if None in nums:
            index = [k for k, v in enumerate(nums) if v is not None]
        else:
            index = range(len(nums))
        if index:
            kmin = min(index, key=nums.__getitem__)
            kmax = max(index, key=nums.__getitem__)
            extremes: tuple = (nums[kmin], seq + kmin, nums[kmax], seq + kmax)
        else:
            extremes = (None, None, None, None)
        out.append((mid, block, end - i, base + end, *extremes, types))
        i = end
    return out


def _summarize(fetch: Fetch, ph: str, mid: int, block: tuple, lo_seq: int, hi_seq: int,
               ) -> tuple:
    """A block row whose extremes cover only seqs in (lo_seq, hi_seq]: a block cut by the
    cursor or the window end is summarized from its points (fewer than BLOCK_SIZE rows)."""
    pts = fetch(f"SELECT seq, vnum FROM metric_point WHERE metric_id = {ph} AND seq > {ph} "
                f"AND seq <= {ph} AND vnum IS NOT NULL ORDER BY seq", (mid, lo_seq, hi_seq))
    lo = min(pts, key=lambda p: p[1]) if pts else (None, None)
    hi = max(pts, key=lambda p: p[1]) if pts else (None, None)
    return (block[0], block[1], lo[1], lo[0], hi[1], hi[0])


def downsample_from_blocks(fetch: Fetch, ph: str, mid: int, since: int, max_points: int,
                           until: int | None = None) -> list[int] | None:
    """Seqs to keep (sorted) for ``since < seq <= until``: first, last, and the min and max of
    each of ``(max_points - 2) // 2`` seq ranges (a range without numbers keeps its first
    point). None when the series is too short for blocks to give at least half that
    resolution; the caller then scans the points."""
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
        last = until
        blocks[-1] = _summarize(fetch, ph, mid, blocks[-1], blocks[-1][0] * BLOCK_SIZE, until)
    n = last - since
    if n <= 0:
        return []
    if n * 2 < buckets * BLOCK_SIZE:
        return None
    if since % BLOCK_SIZE:
        # The first block starts before the cursor: its rollup may hold older extremes.
        head_end = min((since // BLOCK_SIZE + 1) * BLOCK_SIZE, last)
        blocks[0] = _summarize(fetch, ph, mid, blocks[0], since, head_end)
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


def downsample_by_scan(fetch: Fetch, is_sqlite: bool, mid: int, since: int, n: int,
                       max_points: int) -> list[tuple]:
    """Rows (seq, step, time, vtype, vnum, vtext) of the min and max of each of
    ``(max_points - 2) // 2`` seq ranges, plus the first and last points, chosen in SQL so
    only kept rows leave the database. Each range is a primary-key range scan, which avoids
    sorting the whole series as a GROUP BY would. For series too short for the rollup."""
    mid, first, last = int(mid), since + 1, since + n
    buckets = max(1, (max_points - 2) // 2)
    width = -(-n // buckets)
    ranges = (f"b(lo) AS (SELECT {first} UNION ALL SELECT lo + {width} FROM b "
              f"WHERE lo + {width} <= {last})")
    in_range = f"metric_id = {mid} AND seq BETWEEN b.lo AND b.lo + {width - 1}"
    numeric = fetch(f"SELECT 1 FROM metric_point WHERE metric_id = {mid} AND seq > {since} "
                    "AND vnum IS NOT NULL LIMIT 1", ())
    if not numeric:
        # Nothing numeric (strings, rows): one evenly spaced point per range instead.
        picks = "SELECT lo FROM b"
    elif is_sqlite:
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
    return fetch(sql, ())
