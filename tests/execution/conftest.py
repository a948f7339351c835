"""Fixtures for script runs: a workspace in an isolated MLWS_HOME, source folders, waiting."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.core.metric_buffer import get_buffer

_RUN_ENV = ("MLWS_RUN_ID", "AZUREML_RUN_ID", "MLWS_EXPERIMENT_NAME", "AZUREML_ARM_PROJECT_NAME")


@pytest.fixture(autouse=True)
def _isolated_uv_cache(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Builds download into a cache of this test session, never the user's own uv cache.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    for name in _RUN_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ws(mlws_home: Path) -> Iterator[Workspace]:
    workspace = Workspace.create("execws", show_output=False)
    yield workspace
    get_buffer(workspace._store).close()


@pytest.fixture
def exp(ws: Workspace) -> Experiment:
    return Experiment(ws, "exec")


@pytest.fixture
def make_source(tmp_path: Path) -> Callable[..., Path]:
    """``make_source(name, {"train.py": code, ...})`` -> a source folder."""

    def make(name: str = "src", files: dict[str, str] | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for rel, text in (files or {}).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return folder

    return make


def _wait_until(condition: Callable[[], object], timeout: float = 30.0,
                interval: float = 0.02) -> object:
    """Poll ``condition`` until truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def wait_until() -> Callable[..., object]:
    return _wait_until
