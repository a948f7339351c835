"""config.json: v1 search order, both JSON shapes, errors, write_config round trip."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.config_file import find_config_file, read_config_file
from jupyter_mlws.exceptions import UserErrorException

# The six candidates, highest priority first (v1 contract, section 2.2).
CANDIDATES = [
    ".azureml/config.json",
    ".azureml/project.json",
    "aml_config/config.json",
    "aml_config/project.json",
    "config.json",
    "project.json",
]


def _plain(name: str, sub: str = "local", rg: str = "local") -> dict:
    return {"subscription_id": sub, "resource_group": rg, "workspace_name": name}


def _scope(name: str, sub: str = "local", rg: str = "local") -> dict:
    return {"Id": None, "Scope": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                                 f"Microsoft.MachineLearningServices/workspaces/{name}"}


def _write(path: Path, content: dict | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize("candidate", CANDIDATES)
def test_each_candidate_is_found_walking_up(tmp_path: Path, candidate: str) -> None:
    root = tmp_path / "project"
    start = root / "a" / "b"
    start.mkdir(parents=True)
    expected = _write(root / candidate, _plain("ws1"))
    assert find_config_file(start) == str(expected)


def test_priority_order_each_candidate_walks_to_root_before_the_next(tmp_path: Path) -> None:
    # Lower-priority candidates sit closer to the start folder; the higher-priority one
    # further up must still win, because each candidate's whole upward walk comes first.
    start = tmp_path / "d0" / "d1" / "d2" / "d3" / "d4" / "d5" / "d6"
    start.mkdir(parents=True)
    placed = []
    for depth, candidate in enumerate(CANDIDATES):
        folder = tmp_path.joinpath(*[f"d{i}" for i in range(depth + 1)])
        placed.append(_write(folder / candidate, _plain(f"ws{depth}")))
    for expected in placed:
        assert find_config_file(start) == str(expected)
        expected.unlink()
    with pytest.raises(UserErrorException):
        find_config_file(start)


def test_same_folder_order(tmp_path: Path) -> None:
    placed = [_write(tmp_path / c, _plain(f"ws{i}")) for i, c in enumerate(CANDIDATES)]
    for expected in placed:
        assert find_config_file(tmp_path) == str(expected)
        expected.unlink()


def test_default_path_is_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _write(tmp_path / ".azureml" / "config.json", _plain("ws1"))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert os.path.abspath(find_config_file()) == str(expected)


def test_file_name_override(tmp_path: Path) -> None:
    _write(tmp_path / ".azureml" / "config.json", _plain("default"))
    custom = _write(tmp_path / "aml_config" / "other.json", _plain("custom"))
    assert find_config_file(tmp_path, "other.json") == str(custom)


def test_missing_file_message_names_where_it_looked(tmp_path: Path) -> None:
    start = tmp_path / "empty"
    start.mkdir()
    with pytest.raises(UserErrorException) as info:
        Workspace.from_config(start)
    message = str(info.value)
    assert "config.json" in message
    assert str(start) in message
    assert "parent directories" in message


def test_from_config_plain_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create("plainws", subscription_id="sub1", resource_group="rg1",
                          show_output=False)
    path = _write(tmp_path / ".azureml" / "config.json",
                  {**_plain("plainws", "sub1", "rg1"), "location": "ignored"})
    loaded = Workspace.from_config(tmp_path)
    assert loaded == ws
    assert (loaded.name, loaded.subscription_id, loaded.resource_group) == (
        "plainws", "sub1", "rg1")
    assert f"Found the config file in: {path}" in capsys.readouterr().out


def test_from_config_scope_shape_wins(tmp_path: Path) -> None:
    ws = Workspace.create("scopews", resource_group="rg2", show_output=False)
    Workspace.create("otherws", show_output=False)
    _write(tmp_path / "config.json", {**_plain("otherws"), **_scope("scopews", rg="rg2")})
    assert Workspace.from_config(tmp_path) == ws


def test_from_config_with_file_path_directly(tmp_path: Path) -> None:
    ws = Workspace.create("direct", show_output=False)
    path = _write(tmp_path / "somewhere" / "my-settings.json", _scope("direct"))
    assert Workspace.from_config(str(path)) == ws
    assert Workspace.from_config(path) == ws


def test_malformed_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "config.json", "{not json")
    with pytest.raises(UserErrorException, match="not valid JSON") as info:
        Workspace.from_config(tmp_path)
    assert str(path) in str(info.value)
    _write(path, "[1, 2]")
    with pytest.raises(UserErrorException, match="JSON object"):
        read_config_file(str(path))


def test_missing_keys(tmp_path: Path) -> None:
    path = _write(tmp_path / "config.json", {"subscription_id": "s", "workspace_name": "w"})
    with pytest.raises(UserErrorException) as info:
        Workspace.from_config(tmp_path)
    message = str(info.value)
    assert "does not seem to contain the required parameters" in message
    assert "resource_group" in message
    assert str(path) in message


def test_malformed_scope(tmp_path: Path) -> None:
    _write(tmp_path / "config.json", {"Scope": "/subscriptions/s/workspaces/w"})
    with pytest.raises(UserErrorException, match="ARM id"):
        Workspace.from_config(tmp_path)


def test_config_naming_missing_workspace(tmp_path: Path) -> None:
    _write(tmp_path / "config.json", _plain("nosuchws"))
    with pytest.raises(UserErrorException, match="nosuchws"):
        Workspace.from_config(tmp_path)


def test_write_config_round_trip(tmp_path: Path) -> None:
    ws = Workspace.create("roundtrip", subscription_id="s9", resource_group="r9",
                          show_output=False)
    assert ws.write_config(tmp_path) is None
    path = tmp_path / ".azureml" / "config.json"
    content = json.loads(path.read_text())
    assert content == {"Id": None, "Scope": "/subscriptions/s9/resourceGroups/r9/providers/"
                                            "Microsoft.MachineLearningServices/workspaces/roundtrip"}
    nested = tmp_path / "notebooks" / "deep"
    nested.mkdir(parents=True)
    assert Workspace.from_config(nested) == ws


def test_write_config_default_path_is_cwd(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.create("cwdws", show_output=False)
    monkeypatch.chdir(tmp_path)
    ws.write_config()
    assert (tmp_path / ".azureml" / "config.json").is_file()
    assert Workspace.from_config() == ws


def test_write_config_legacy_folder_and_file(tmp_path: Path) -> None:
    ws = Workspace.create("legacy", show_output=False)
    (tmp_path / "aml_config").mkdir()
    ws.write_config(tmp_path)
    assert (tmp_path / "aml_config" / "config.json").is_file()
    assert not (tmp_path / ".azureml").exists()

    other = tmp_path / "other"
    _write(other / ".azureml" / "project.json", _plain("stale"))
    ws.write_config(other)
    assert "legacy" in (other / ".azureml" / "project.json").read_text()
    assert not (other / ".azureml" / "config.json").exists()


def test_write_config_file_name(tmp_path: Path) -> None:
    ws = Workspace.create("named", show_output=False)
    ws.write_config(tmp_path, "prod")
    assert (tmp_path / ".azureml" / "prod.json").is_file()
    ws.write_config(tmp_path, "stage.cfg")
    assert (tmp_path / ".azureml" / "stage.cfg").is_file()
    assert Workspace.from_config(tmp_path, _file_name="prod.json") == ws


def test_write_config_unwritable_target(tmp_path: Path) -> None:
    ws = Workspace.create("unwritable", show_output=False)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserErrorException, match="Could not write"):
        ws.write_config(blocker)
