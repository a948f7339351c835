"""File datasets through the SDK (both stores): to_path, download, mount without FUSE,
transforms over files, upload_directory, and the stored profile of a version."""

from __future__ import annotations

import os

import pytest

from jupyter_mlws.core import Dataset
from jupyter_mlws.data import FileDataset
from jupyter_mlws.data.datapath import DataPath
from jupyter_mlws.exceptions import UserErrorException


def test_to_path_download_and_transforms(workspace, uploaded, csv_folder, tmp_path) -> None:
    ds = Dataset.File.from_files((uploaded, "data"))
    assert isinstance(ds, FileDataset)
    assert ds.to_path() == ["/readme.txt", "/sub/f0.csv", "/sub/f1.csv", "/sub/f2.csv"]
    assert ds.take(2).to_path() == ["/readme.txt", "/sub/f0.csv"]
    assert ds.skip(3).to_path() == ["/f2.csv"]  # relative to the chosen files
    first, second = ds.random_split(0.5, seed=11)
    assert len(first.to_path()) + len(second.to_path()) == 4
    assert {os.path.basename(p) for p in first.to_path() + second.to_path()} == {
        "readme.txt", "f0.csv", "f1.csv", "f2.csv"}
    local = ds.download(str(tmp_path / "d"))
    assert sorted(os.path.relpath(p, tmp_path / "d") for p in local) == [
        "readme.txt", os.path.join("sub", "f0.csv"), os.path.join("sub", "f1.csv"),
        os.path.join("sub", "f2.csv")]
    assert (tmp_path / "d" / "sub" / "f0.csv").read_text() == \
        (csv_folder / "sub" / "f0.csv").read_text()
    with pytest.raises(UserErrorException, match="already exist"):
        ds.download(str(tmp_path / "d"))
    assert len(ds.download(str(tmp_path / "d"), overwrite=True)) == 4
    temp = ds.take(1).download()
    assert os.path.basename(temp[0]) == "readme.txt"
    glob = Dataset.File.from_files((uploaded, "data/**/*.csv"))
    assert glob.to_path() == ["/f0.csv", "/f1.csv", "/f2.csv"]
    by_datapath = Dataset.File.from_files([DataPath(uploaded, "data/sub/f1.csv"),
                                           uploaded.path("data/readme.txt")])
    assert by_datapath.to_path() == ["/sub/f1.csv", "/readme.txt"]  # in the order given


def test_mount_shows_the_files_without_fuse(workspace, uploaded) -> None:
    whole = Dataset.File.from_files((uploaded, "data/sub"))
    with whole.mount() as context:
        point = context.mount_point
        assert sorted(os.listdir(point)) == ["f0.csv", "f1.csv", "f2.csv"]
        dfs = uploaded._fs()
        if dfs.local:  # a local datastore is shown as it is: its own folder, no copy
            assert point == dfs.full("data/sub")
        with open(os.path.join(point, "f2.csv")) as handle:
            assert handle.read().startswith("a,b\n10,")
    subset = Dataset.File.from_files((uploaded, "data/sub/f1.csv"))
    context = subset.mount()
    context.start()
    try:
        assert os.listdir(context.mount_point) == ["f1.csv"]
    finally:
        made = context.mount_point
        context.stop()
    assert not os.path.exists(made)  # the folder of links (or of cached copies) is removed


def test_upload_directory_with_pattern(workspace, blob, csv_folder) -> None:
    ds = Dataset.File.upload_directory(str(csv_folder), (blob, "up"), pattern="*.csv",
                                       show_progress=False)
    assert ds.to_path() == ["/f0.csv", "/f1.csv", "/f2.csv"]
    with pytest.raises(UserErrorException, match="matches"):
        Dataset.File.upload_directory(str(csv_folder), (blob, "up2"), pattern="*.none",
                                      show_progress=False)


def test_profile_is_computed_once_and_stored(workspace, uploaded) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv")).register(
        workspace, "profiled")
    profile = ds.get_profile()
    assert profile["row_count"] == 15
    a = profile["columns"]["a"]
    assert (a["count"], a["missing"], a["min"], a["max"], a["mean"], a["distinct"]) == \
        (15, 0, 0, 14, 7.0, 15)
    assert sum(a["histogram"]["counts"]) == 15 and len(a["histogram"]["edges"]) == 21
    assert profile["columns"]["b"]["distinct"] == 5 and profile["columns"]["b"]["min"] == "v"
    stored = workspace._store.get_asset(workspace._record.id, "dataset", "profiled", 1)
    assert stored.state["profile"]["row_count"] == 15
    again = Dataset.get_by_name(workspace, "profiled").get_profile()
    assert again["computed_time"] == profile["computed_time"]  # read, not recomputed
    files = Dataset.File.from_files((uploaded, "data")).get_profile()
    assert (files["file_count"], files["extensions"]) == (4, {"csv": 3, "txt": 1})
