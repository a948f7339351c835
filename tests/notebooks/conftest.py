"""Execute the demo notebooks (nbclient) in a temp copy of demo/notebooks, with a fresh
MLWS_HOME and a workspace whose config.json sits next to the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.widgets.run_details import ESM_ENV, ESM_PATH

NOTEBOOKS = Path(__file__).resolve().parents[2] / "demo" / "notebooks"
TEST_ESM = "export default { render({ model, el }) { el.textContent = model.get('run_id'); } };\n"


@pytest.fixture
def notebook_dir(mlws_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of demo/notebooks whose parent holds .azureml/config.json of workspace 'demo'."""
    for var in ("MLWS_RUN_ID", "AZUREML_RUN_ID", "MPLBACKEND"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "demo"
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    workspace = Workspace.create("demo", subscription_id="local", resource_group="local",
                                 exist_ok=True, show_output=False)
    workspace.write_config(path=str(root))
    if not ESM_PATH.is_file():
        # The front end is not built in this checkout: a minimal module lets the widget display.
        esm = tmp_path / "run_details_test.js"
        esm.write_text(TEST_ESM)
        monkeypatch.setenv(ESM_ENV, str(esm))
    return root / "notebooks"
