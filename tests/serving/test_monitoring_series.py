"""The per-second monitoring series: idle spans between bursts are zero buckets at their
edges, so a chart falls to 0 instead of joining two bursts with a line."""

from __future__ import annotations

from jupyter_mlws.core.webservice.monitoring import with_idle_seconds


def test_idle_spans_become_zero_buckets_at_their_edges() -> None:
    steps = [100, 101, 105, 107, 108]
    columns = {"requests": [3, 1, 2, 4, 1], "latency_p50_ms": [1.0, 2.0, 3.0, 4.0, 5.0]}
    times, filled = with_idle_seconds(steps, columns)
    assert times == [100, 101, 102, 104, 105, 106, 107, 108]
    assert filled["requests"] == [3, 1, 0, 0, 2, 0, 4, 1]
    # No requests, no latency: a gap in the latency lines, not a zero.
    assert filled["latency_p50_ms"] == [1.0, 2.0, None, None, 3.0, None, 4.0, 5.0]
    assert sum(filled["requests"]) == sum(columns["requests"])


def test_a_day_long_gap_adds_two_points_and_edge_cases_stay_as_they_are() -> None:
    times, filled = with_idle_seconds([0, 86_400], {"requests": [1, 1]})
    assert times == [0, 1, 86_399, 86_400] and filled["requests"] == [1, 0, 0, 1]
    assert with_idle_seconds([], {"requests": []}) == ([], {"requests": []})
    assert with_idle_seconds([5], {"requests": [2]}) == ([5], {"requests": [2]})
    # Columns not aligned with the steps (another writer's version) are left as stored.
    odd = {"requests": [1, 2], "errors": [0]}
    assert with_idle_seconds([1, 9], odd) == ([1, 9], odd)
