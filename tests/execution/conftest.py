"""Fixtures for script runs: the shared workspace and experiment (tests/conftest.py) under the
names the tests' scripts open them by."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import Experiment, Workspace


@pytest.fixture
def workspace_name() -> str:
    return "execws"


@pytest.fixture
def experiment_name() -> str:
    return "exec"


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    return workspace


@pytest.fixture
def exp(experiment: Experiment) -> Experiment:
    return experiment
