"""Fixtures of the store tests: a workspace and an experiment in the parametrized store."""

from __future__ import annotations

import pytest

from jupyter_mlws.store import ExperimentRecord, WorkspaceRecord


@pytest.fixture
def ws(store) -> WorkspaceRecord:  # type: ignore[no-untyped-def]
    return store.create_workspace("ws1", "sub", "rg")


@pytest.fixture
def exp(store, ws) -> ExperimentRecord:  # type: ignore[no-untyped-def]
    return store.get_or_create_experiment(ws.id, "exp")
