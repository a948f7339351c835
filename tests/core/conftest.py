"""Fixtures of the SDK tests (run against both stores, see tests/conftest.py): every test works
from its own folder, and ``run`` is a running run of the shared ``experiment``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from jupyter_mlws.core import Experiment, Run


@pytest.fixture(autouse=True)
def _in_work_dir(work_dir: Path) -> Path:
    # Relative paths of the SDK (./outputs, downloads, snapshots of ".") stay in the test's
    # folder, never the checkout.
    return work_dir


@pytest.fixture
def run(experiment: Experiment) -> Iterator[Run]:
    """A running run without snapshot or outputs upload; completed after the test unless the
    test ended it."""
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    yield run
    if run.get_status() == "Running":
        run.complete()
