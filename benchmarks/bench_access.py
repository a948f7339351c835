"""Access checks and the key vault: the cost of one compiled role decision (cached and first
time), a refresh of 1,000 assignments, and secret set/get through the SQL store.

Usage: python benchmarks/bench_access.py
"""

from __future__ import annotations

import time

from _common import figure, isolated_home

from jupyter_mlws.store import get_store
from jupyter_mlws.store.decide import AccessDecider, Principal
from jupyter_mlws.store.roles import CompiledRole, parse_role_definition

ACTION = "Microsoft.MachineLearningServices/workspaces/experiments/runs/read"


def main() -> None:
    isolated_home()
    store = get_store()
    workspaces = [store.create_workspace(f"bench-{i}", "local", "local").id for i in range(20)]
    store.put_role_definition({"Name": "bench custom", "Actions": ["*"], "NotActions": [
        "Microsoft.MachineLearningServices/workspaces/*/delete",
        "Microsoft.MachineLearningServices/workspaces/computes/*/write"]})
    roles = ["Reader", "Contributor", "Owner", "bench custom"]
    for i in range(1000):
        store.assign_role(roles[i % 4], f"user{i}", workspace_id=workspaces[i % 20])
    decider = AccessDecider(store, refresh_seconds=3600)
    start = time.perf_counter()
    decider.decide(Principal("user1"), ACTION, workspaces[1])
    figure("first decision (reads and indexes 1,000 assignments)",
           (time.perf_counter() - start) * 1e3, "ms")
    principal = Principal("user7", frozenset({"g1", "g2"}))
    n = 200_000
    start = time.perf_counter()
    for _ in range(n):
        decider.decide(principal, ACTION, workspaces[7])
    figure("decide() cached", (time.perf_counter() - start) / n * 1e6, "us", "microseconds")
    role = CompiledRole(parse_role_definition({"Name": "x", "Actions": ["*"],
                                               "NotActions": ["*/delete", "*/computes/*"]}))
    actions = [f"Microsoft.MachineLearningServices/workspaces/a{i}/read" for i in range(n)]
    start = time.perf_counter()
    for action in actions:
        role._cache.clear()
        role.grants(action)
    figure("role.grants() uncached (two regex matches)",
           (time.perf_counter() - start) / n * 1e6, "us")
    ws = workspaces[0]
    start = time.perf_counter()
    for i in range(200):
        store.set_secrets(ws, {f"s{i}": "v" * 64})
    figure("set_secret (one transaction)", (time.perf_counter() - start) / 200 * 1e3, "ms")
    start = time.perf_counter()
    for i in range(200):
        store.get_secrets(ws, [f"s{i}"], actor="bench")
    figure("get_secret (read, decrypt, audit)", (time.perf_counter() - start) / 200 * 1e3, "ms")


if __name__ == "__main__":
    main()
