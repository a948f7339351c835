"""Chart-shaped metric reads: downsampling over the block rollups (checked against a
brute-force reference), full reads on the fast and generic decoding paths, integral steps."""

from __future__ import annotations

import math
import random

import pytest

from jupyter_mlws.store.sql.metric_blocks import BLOCK_SIZE


def _is_number(v: object) -> bool:
    return type(v) in (int, float, bool) and not (isinstance(v, float) and math.isnan(v))


def _reference(values: list, since: int, max_points: int) -> list[int]:
    """Seqs the rollup downsampling must keep: first, last, and per bucket (blocks grouped by
    where they start within the range) the earliest min and max, or the bucket's first seq."""
    first, last = since + 1, len(values)
    buckets = max(1, (max_points - 2) // 2)
    width = -(-(last - since) // buckets)
    members: dict[int, list[int]] = {}
    for seq in range(first, last + 1):
        start = max((seq - 1) // BLOCK_SIZE * BLOCK_SIZE + 1, first)
        members.setdefault((start - first) // width, []).append(seq)
    keep = {first, last}
    if max_points < 4:
        return sorted(keep)
    for seqs in members.values():
        nums = [(float(values[s - 1]), s) for s in seqs if _is_number(values[s - 1])]
        if nums:
            keep.add(min(nums)[1])
            keep.add(max(nums, key=lambda p: (p[0], -p[1]))[1])
        else:
            keep.add(seqs[0])
    return sorted(keep)


def _append_in_batches(store, run_id: str, name: str, values: list, rng: random.Random,
                       offset: int = 0) -> None:  # type: ignore[no-untyped-def]
    i = 0
    while i < len(values):
        size = rng.choice([1, 7, 100, 300, 1000])
        store.append_metrics([(run_id, name, "scalar", offset + j, float(offset + j), v, "")
                              for j, v in enumerate(values[i:i + size], i)])
        i += size


def _check(store, run_id: str, name: str, values: list, since: int, max_points: int,
           ) -> None:  # type: ignore[no-untyped-def]
    ds = store.get_metric_series(run_id, name, since=since, max_points=max_points)
    assert ds.total == len(values)
    assert ds.seq == _reference(values, since, max_points)
    assert len(ds.seq) <= max_points and ds.seq[0] == since + 1 and ds.seq[-1] == len(values)
    for seq, value, step in zip(ds.seq, ds.value, ds.step, strict=True):
        expected = values[seq - 1]
        assert value == expected or (math.isnan(value) and math.isnan(expected))
        assert step == seq - 1 and type(step) is int


def test_rollup_downsampling_matches_reference(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    rng = random.Random(7)
    n = 30 * BLOCK_SIZE + 37
    values: list = [rng.gauss(0.0, 1.0) for _ in range(n)]
    values[5 * BLOCK_SIZE + 3] = 1e9  # global max in the middle of a block
    values[17 * BLOCK_SIZE] = -1e9  # global min on a block boundary
    values[2 * BLOCK_SIZE + 1] = math.nan  # ignored by min/max
    values[9 * BLOCK_SIZE:10 * BLOCK_SIZE] = [f"s{i}" for i in range(BLOCK_SIZE)]  # no numbers
    values[12 * BLOCK_SIZE + 9] = math.inf
    values[20 * BLOCK_SIZE + 4] = 3  # ints and bools take part as numbers
    values[20 * BLOCK_SIZE + 5] = True
    _append_in_batches(store, "r1", "m", values, rng)
    cases = [(0, 20), (0, 41), (BLOCK_SIZE * 3, 16), (1000, 12), (0, 2), (7, 3), (0, 4)]
    for since, max_points in cases:
        _check(store, "r1", "m", values, since, max_points)
    ds = store.get_metric_series("r1", "m", max_points=20)
    assert 1e9 in ds.value and -1e9 in ds.value and math.inf in ds.value

    # Further appends land in the partly filled last block and beyond; a new extreme in the
    # old last block must show up, and cursors keep working.
    more = [rng.uniform(-1.0, 1.0) for _ in range(3 * BLOCK_SIZE)]
    more[10] = 5e9
    more[BLOCK_SIZE + 1] = -5e9
    _append_in_batches(store, "r1", "m", more, rng, offset=n)
    values += more
    for since, max_points in [(0, 20), (n - 5, 8), (n, 10)]:
        _check(store, "r1", "m", values, since, max_points)
    assert 5e9 in store.get_metric_series("r1", "m", max_points=20).value


def test_rollup_downsampling_all_text(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    values = [f"row {i}" for i in range(8 * BLOCK_SIZE)]
    _append_in_batches(store, "r1", "t", values, random.Random(1))
    _check(store, "r1", "t", values, 0, 10)
    _check(store, "r1", "t", values, 100, 6)


@pytest.mark.parametrize("since", [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, 3 * BLOCK_SIZE + 17])
def test_full_read_fast_path(store, ws, exp, since: int) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    n = 4 * BLOCK_SIZE + 10
    floats = [i * 0.5 for i in range(n)]
    store.append_metrics([("r1", "f", "scalar", i, 10.0 + i, v, "")
                          for i, v in enumerate(floats)])
    store.append_metrics([("r1", "i", "scalar", i * 0.5, 10.0, i, "") for i in range(n)])
    store.append_metrics([("r1", "b", "scalar", None, 10.0, i % 3 == 0, "") for i in range(n)])
    f = store.get_metric_series("r1", "f", since=since)
    assert f.seq == list(range(since + 1, n + 1)) and f.value == floats[since:]
    assert f.step == list(range(since, n)) and all(type(s) is int for s in f.step)
    assert f.time == [10.0 + i for i in range(since, n)] and f.total == n
    i = store.get_metric_series("r1", "i", since=since)
    assert i.value == list(range(since, n)) and all(type(v) is int for v in i.value)
    assert i.step == [k * 0.5 for k in range(since, n)] and type(i.step[-1]) is float
    b = store.get_metric_series("r1", "b", since=since)
    assert b.value == [k % 3 == 0 for k in range(since, n)] and b.step == [None] * (n - since)
    assert all(type(v) is bool for v in b.value)


def test_full_read_mixed_types_and_steps(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    n = 3 * BLOCK_SIZE
    values: list = [float(i) for i in range(n)]
    values[BLOCK_SIZE + 2] = 2**60 + 1  # exact big int in a float series
    values[2 * BLOCK_SIZE] = math.nan
    steps: list = list(range(n))
    steps[5] = 5.5
    steps[6] = None
    steps[7] = 7.0  # a float step stays a float even when integral
    store.append_metrics([("r1", "m", "scalar", s, 1.0, v, "")
                          for s, v in zip(steps, values, strict=True)])
    series = store.get_metric_series("r1", "m")
    assert series.step == steps
    assert [type(s) for s in series.step] == [type(s) for s in steps]
    assert series.value[BLOCK_SIZE + 2] == 2**60 + 1 and math.isnan(series.value[2 * BLOCK_SIZE])
    assert series.value[:BLOCK_SIZE] == values[:BLOCK_SIZE]
    # A later int step in a float-step series only makes that point an int.
    store.append_metrics([("r1", "m", "scalar", 10_000, 2.0, 1.5, "")])
    tail = store.get_metric_series("r1", "m", since=n)
    assert tail.step == [10_000] and type(tail.step[0]) is int
    info = store.list_metrics("r1")[0]
    assert info.last_step == 10_000 and type(info.last_step) is int
    assert store.get_all_metric_values(["r1"])["r1"]["m"][1][:3] == [0.0, 1.0, 2.0]


def test_small_series_and_empty_cursor(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    store.append_metrics([("r1", "m", "scalar", i, 1.0, i * 1.5, "") for i in range(50)])
    assert store.get_metric_series("r1", "m", max_points=100).seq == list(range(1, 51))
    down = store.get_metric_series("r1", "m", max_points=10)  # scan path, no rollup needed
    assert down.seq[0] == 1 and down.seq[-1] == 50 and len(down.seq) <= 10
    empty = store.get_metric_series("r1", "m", since=50, max_points=10)
    assert (empty.seq, empty.value, empty.step, empty.total) == ([], [], [], 50)
    assert store.get_metric_series("r1", "m", since=99).value == []


def test_windows_read_only_their_range(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    """``until`` ends a read: downsampled windows match the reference of the cut series, full
    reads return exactly the range, and ``total`` still counts the whole series."""
    store.create_run(ws.id, exp.id, run_id="r1")
    rng = random.Random(3)
    n = 40 * BLOCK_SIZE + 11
    values: list = [rng.gauss(0.0, 1.0) for _ in range(n)]
    values[12 * BLOCK_SIZE + 200] = 7e9  # beyond the windows below: must not leak into them
    values[12 * BLOCK_SIZE + 100] = -7e9  # inside the last block of a window, before until
    _append_in_batches(store, "r1", "m", values, rng)
    for since, until, max_points in [(0, 12 * BLOCK_SIZE + 150, 20),
                                     (3 * BLOCK_SIZE + 5, 12 * BLOCK_SIZE + 150, 16),
                                     (0, n, 30), (100, 9000, 30)]:
        ds = store.get_metric_series("r1", "m", since=since, until=until,
                                     max_points=max_points)
        assert ds.total == n
        assert ds.seq == _reference(values[:until], since, max_points), (since, until)
        assert ds.value == [values[s - 1] for s in ds.seq]
    # Too short a window for the rollups: scanned, still inside the range.
    small = store.get_metric_series("r1", "m", since=BLOCK_SIZE + 1, until=BLOCK_SIZE + 200,
                                    max_points=6)
    assert small.seq[0] == BLOCK_SIZE + 2 and small.seq[-1] == BLOCK_SIZE + 200
    assert len(small.seq) <= 6 and small.total == n
    window = store.get_metric_series("r1", "m", since=1000, until=1999, max_points=1000)
    assert 7e9 not in window.value and -7e9 not in window.value
    page = store.get_metric_series("r1", "m", since=2000, until=3000)
    assert page.seq == list(range(2001, 3001)) and page.value == values[2000:3000]
    assert page.total == n and page.step == list(range(2000, 3000))
    assert store.get_metric_series("r1", "m", since=n, until=n + 5).seq == []
    from jupyter_mlws.store.base import InvalidInputError

    with pytest.raises(InvalidInputError, match="until"):
        store.get_metric_series("r1", "m", since=10, until=5)
