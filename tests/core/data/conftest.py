"""Fixtures of the data tests: small files in a source folder and a local-folder datastore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    """Three CSV files of five rows each (a = 0..14 in order, b a letter)."""
    folder = tmp_path / "csvs"
    (folder / "sub").mkdir(parents=True)
    for i in range(3):
        rows = "\n".join(f"{i * 5 + j},{'vwxyz'[j]}" for j in range(5))
        (folder / "sub" / f"f{i}.csv").write_text(f"a,b\n{rows}\n")
    (folder / "readme.txt").write_text("not data\n")
    return folder


@pytest.fixture
def blob(workspace: Any) -> Any:
    return workspace.get_default_datastore()


@pytest.fixture
def uploaded(blob: Any, csv_folder: Path) -> Any:
    """The CSV folder uploaded to data/ of the default datastore."""
    blob.upload(str(csv_folder), target_path="data", show_progress=False)
    return blob
