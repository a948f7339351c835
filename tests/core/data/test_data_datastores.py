"""Datastores through the SDK (both stores): built-ins, registration, default, transfers with
v1's return values and progress lines, confinement, credentials kept out of sight."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jupyter_mlws.core import Datastore
from jupyter_mlws.exceptions import UserErrorException


def test_every_workspace_has_the_two_builtin_datastores(workspace) -> None:
    stores = workspace.datastores
    assert {"workspaceblobstore", "workspacefilestore"} <= set(stores)
    default = workspace.get_default_datastore()
    assert default.name == "workspaceblobstore"
    assert type(default).__name__ == "AzureBlobDatastore"
    assert type(Datastore(workspace, "workspacefilestore")).__name__ == "AzureFileDatastore"
    assert Datastore(workspace) == default
    assert Datastore.get(workspace, "WorkspaceBlobStore") == default  # case-insensitive


def test_upload_download_return_values_and_progress(workspace, blob, csv_folder, tmp_path,
                                                    capsys) -> None:
    ref = blob.upload(str(csv_folder), target_path="data", show_progress=True)
    out = capsys.readouterr().out
    assert "Uploading an estimated of 4 files" in out
    assert "files out of an estimated total of 4" in out
    assert "Uploaded 4 files" in out
    assert ref.path_on_datastore == "data" and ref.datastore == blob
    assert str(ref) == "$AZUREML_DATAREFERENCE_workspaceblobstore"

    # Existing blobs are skipped unless overwrite.
    blob.upload(str(csv_folder), target_path="data", show_progress=True)
    out = capsys.readouterr().out
    assert "Target already exists. Skipping upload for data/readme.txt" in out
    assert "Uploaded 0 files" in out

    count = blob.download(str(tmp_path / "back"), prefix="data/sub", show_progress=False)
    assert count == 3
    # v1 keeps the full blob name under the target (the prefix is not stripped).
    assert (tmp_path / "back" / "data" / "sub" / "f1.csv").read_text() == \
        (csv_folder / "sub" / "f1.csv").read_text()
    assert blob.download(str(tmp_path / "back"), prefix="data/sub", show_progress=False) == 0
    assert blob.download(str(tmp_path / "back"), prefix="data/sub", overwrite=True,
                         show_progress=False) == 3
    assert blob.download(str(tmp_path / "none"), prefix="nothing/here",
                         show_progress=False) == 0


def test_upload_files_names_relative_to_the_common_folder(blob, csv_folder, tmp_path) -> None:
    files = [str(csv_folder / "sub" / "f0.csv"), str(csv_folder / "readme.txt")]
    blob.upload_files(files, target_path="picked", show_progress=False)
    assert blob.download(str(tmp_path / "d"), prefix="picked", show_progress=False) == 2
    assert (tmp_path / "d" / "picked" / "sub" / "f0.csv").exists()
    assert (tmp_path / "d" / "picked" / "readme.txt").exists()
    with pytest.raises(UserErrorException, match="not under relative_root"):
        blob.upload_files(files, relative_root=str(csv_folder / "sub"), show_progress=False)


def test_register_local_folder_default_and_unregister(workspace, csv_folder) -> None:
    local = Datastore.register_local_folder(workspace, "my_local", str(csv_folder))
    assert type(local).__name__ == "LocalDatastore" and local.path == str(csv_folder)
    assert "my_local" in workspace.datastores
    # Same definition again: the existing one; another one needs overwrite=True.
    assert Datastore.register_local_folder(workspace, "MY_LOCAL", str(csv_folder)) == local
    with pytest.raises(UserErrorException, match="overwrite=True"):
        Datastore.register_local_folder(workspace, "my_local", str(csv_folder / "sub"))
    Datastore.register_local_folder(workspace, "my_local", str(csv_folder / "sub"),
                                    overwrite=True)
    assert Datastore.get(workspace, "my_local").path == str(csv_folder / "sub")

    local.set_as_default()
    assert workspace.get_default_datastore().name == "my_local"
    local.unregister()
    assert "my_local" not in workspace.datastores
    assert workspace.get_default_datastore().name == "workspaceblobstore"
    assert (csv_folder / "sub" / "f0.csv").exists()  # unregistering keeps the files
    with pytest.raises(UserErrorException, match="was not found"):
        Datastore.get(workspace, "my_local")
    with pytest.raises(UserErrorException, match="built-in"):
        workspace.get_default_datastore().unregister()


@pytest.mark.parametrize("name", ["", "has-dash", "has space", "x" * 256, "dot.ted", "ü"])
def test_datastore_names_follow_v1_rules(workspace, csv_folder, name) -> None:
    with pytest.raises(UserErrorException, match="Invalid datastore name"):
        Datastore.register_local_folder(workspace, name, str(csv_folder))


def test_builtin_names_cannot_be_registered_and_missing_folders_are_refused(
        workspace, tmp_path) -> None:
    with pytest.raises(UserErrorException, match="built-in"):
        Datastore.register_local_folder(workspace, "workspaceblobstore", str(tmp_path))
    with pytest.raises(UserErrorException, match="does not exist"):
        Datastore.register_local_folder(workspace, "gone", str(tmp_path / "missing"))
    made = Datastore.register_local_folder(workspace, "made", str(tmp_path / "new"),
                                           create_if_not_exists=True)
    assert os.path.isdir(made.path)


@pytest.mark.parametrize("target", ["../escape", "a/../../b", "//etc", "a\\b", "C:/x",
                                    "s3://other/bucket", "a/./b", "\x00"])
def test_paths_that_leave_the_datastore_are_refused(blob, csv_folder, target) -> None:
    with pytest.raises(UserErrorException):
        blob.upload(str(csv_folder), target_path=target, show_progress=False)
    with pytest.raises(UserErrorException):
        blob.download("/tmp/never", prefix=target, show_progress=False)


def test_azure_credentials_are_kept_out_of_the_record_and_the_repr(workspace) -> None:
    secret_key = "S3CR3T-account-key-value"
    ds = Datastore.register_azure_blob_container(
        workspace, "azblob", container_name="c1", account_name="acct", account_key=secret_key,
        skip_validation=True)
    assert type(ds).__name__ == "AzureBlobDatastore"
    assert ds.container_name == "c1" and ds.account_name == "acct"
    assert ds.account_key is None
    assert secret_key not in repr(ds) and secret_key not in repr(workspace.datastores)
    record = workspace._store.get_asset(workspace._record.id, "datastore", "azblob")
    assert secret_key not in json.dumps(record.to_dict())
    file_share = Datastore.register_azure_file_share(
        workspace, "share", file_share_name="s", account_name="acct", account_key=secret_key)
    with pytest.raises(UserErrorException, match="file shares cannot be read"):
        file_share.download("/tmp/never", show_progress=False)


def test_a_link_out_of_a_local_datastore_is_refused(workspace, tmp_path) -> None:
    inside = tmp_path / "store"
    inside.mkdir()
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", inside / "link.txt")
    ds = Datastore.register_local_folder(workspace, "linked", str(inside))
    with pytest.raises(UserErrorException, match="leaves datastore"):
        ds.download(str(tmp_path / "out"), show_progress=False)
    assert not Path(tmp_path / "out" / "link.txt").exists()


def test_a_notebook_gets_a_progress_bar(blob, csv_folder, monkeypatch, capsys) -> None:
    from jupyter_mlws.data import _progress

    monkeypatch.setattr(_progress, "in_notebook", lambda: True)
    blob.upload(str(csv_folder), target_path="barred", show_progress=True)
    captured = capsys.readouterr()
    # tqdm.auto draws a widget in a kernel; here it falls back to its text bar (stderr).
    assert "Uploading: 100%" in captured.err and "4/4" in captured.err
    assert "files out of an estimated total" not in captured.out  # the bar replaces the lines
    assert "Uploaded 4 files" in captured.out
