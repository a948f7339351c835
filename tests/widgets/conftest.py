"""Fixtures of the widget tests: an experiment in the isolated MLWS_HOME, and the widget's ES
module (the real build when it exists, else a minimal test module so display works)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.core.metric_buffer import get_buffer
from jupyter_mlws.widgets.run_details import ESM_ENV, ESM_PATH

TEST_ESM = "export default { render({ model, el }) { el.textContent = model.get('run_id'); } };\n"


@pytest.fixture
def experiment(mlws_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Experiment]:
    for var in ("MLWS_RUN_ID", "AZUREML_RUN_ID"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ws = Workspace.create("widgetws", show_output=False)
    yield Experiment(ws, "widgets")
    get_buffer(ws._store).close()


@pytest.fixture
def widget_esm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Path of an ES module for the widget; a test module while the front end is unbuilt."""
    if ESM_PATH.is_file():
        return ESM_PATH
    path = tmp_path / "run_details_test.js"
    path.write_text(TEST_ESM)
    monkeypatch.setenv(ESM_ENV, str(path))
    return path


class Sent:
    """Messages a widget sent to the front end (its ``send`` replaced)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def __call__(self, content: dict, buffers: object = None) -> None:
        self.messages.append(content)

    def changes(self) -> list[list[str]]:
        return [m["what"] for m in self.messages if m.get("type") == "changed"]


@pytest.fixture
def sent() -> Sent:
    return Sent()
