"""Fixtures of the widget tests: the shared experiment (tests/conftest.py) under the names the
magics tests use, and the widget's ES module (the real build when it exists, else a minimal
test module so display works)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import widget_esm_path


@pytest.fixture
def workspace_name() -> str:
    return "widgetws"


@pytest.fixture
def experiment_name() -> str:
    return "widgets"


@pytest.fixture
def widget_esm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Path of an ES module for the widget; a test module while the front end is unbuilt."""
    return widget_esm_path(tmp_path, monkeypatch)


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
