"""Execute the demo notebooks (nbclient) in a temp copy of demo/notebooks, with a fresh
MLWS_HOME and a workspace whose config.json sits next to the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_mlws.core import Workspace
from tests.helpers import widget_esm_path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "demo" / "notebooks"


@pytest.fixture
def notebook_dir(mlws_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of demo/notebooks whose parent holds .azureml/config.json of workspace 'demo'."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    root = tmp_path / "demo"
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    workspace = Workspace.create("demo", subscription_id="local", resource_group="local",
                                 exist_ok=True, show_output=False)
    workspace.write_config(path=str(root))
    widget_esm_path(tmp_path, monkeypatch)  # the widget displays even with the front end unbuilt
    return root / "notebooks"
