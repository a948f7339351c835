"""Tabular datasets through the SDK (both stores): formats, lazy transforms with pushdown,
deterministic sampling, registration and versions, and the bad inputs of issue 11."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jupyter_mlws.core import Dataset
from jupyter_mlws.data import TabularDataset
from jupyter_mlws.data.dataset_error_handling import DataChangedError
from jupyter_mlws.data.dataset_factory import DataType
from jupyter_mlws.exceptions import UserErrorException


def _store_file(blob, rel: str) -> str:
    """Local path of a datastore file (the built-in store is a folder in these tests)."""
    dfs = blob._fs()
    return dfs.full(rel) if dfs.local else ""


def test_delimited_files_read_lazily_with_transforms(uploaded) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv"))
    assert isinstance(ds, TabularDataset)
    df = ds.to_pandas_dataframe()
    assert list(df["a"]) == list(range(15)) and list(df.columns) == ["a", "b"]
    assert list(ds.take(7).to_pandas_dataframe()["a"]) == list(range(7))
    assert list(ds.skip(12).to_pandas_dataframe()["a"]) == [12, 13, 14]
    assert list(ds.skip(3).take(2).to_pandas_dataframe()["a"]) == [3, 4]
    picked = ds.filter((ds["a"] > 4) & (ds["b"] != "w")).keep_columns("a")
    assert list(picked.to_pandas_dataframe().columns) == ["a"]
    assert list(picked.to_pandas_dataframe()["a"]) == [5, 7, 8, 9, 10, 12, 13, 14]
    assert list(ds.drop_columns(["a"]).to_pandas_dataframe().columns) == ["b"]
    assert ds.filter(ds["b"].starts_with("v")).to_pandas_dataframe()["a"].tolist() == [0, 5, 10]
    # A filter after take applies to the taken rows only (transforms run in order).
    assert ds.take(3).filter(ds["a"] > 0).to_pandas_dataframe()["a"].tolist() == [1, 2]
    batches = list(ds.to_arrow_batches())
    assert sum(b.num_rows for b in batches) == 15
    assert ds.to_arrow().num_rows == 15


def test_random_split_partitions_rows_deterministically(uploaded) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/"), include_path=False)
    first, second = ds.random_split(0.4, seed=7)
    a = set(first.to_pandas_dataframe()["a"])
    b = set(second.to_pandas_dataframe()["a"])
    assert a.isdisjoint(b) and a | b == set(range(15))
    again, _ = ds.random_split(0.4, seed=7)
    assert set(again.to_pandas_dataframe()["a"]) == a
    sample = ds.take_sample(0.5, seed=3)
    assert set(sample.to_pandas_dataframe()["a"]) == set(sample.to_pandas_dataframe()["a"])
    assert ds.take_sample(1.0).to_pandas_dataframe().shape[0] == 15
    assert ds.take_sample(0.0).to_pandas_dataframe().shape[0] == 0


def test_parquet_json_lines_include_path_and_column_types(blob, tmp_path) -> None:
    src = tmp_path / "pq"
    src.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"x": [i * 10 + j for j in range(10)],
                                 "s": [str(j) for j in range(10)]}), src / f"p{i}.parquet")
    (src / "rows.jsonl").write_text('{"k": 1, "v": "a"}\n{"k": 2, "v": "b"}\n')
    blob.upload(str(src), target_path="pq", show_progress=False)
    parquet = Dataset.Tabular.from_parquet_files((blob, "pq/*.parquet"), include_path=True,
                                                 set_column_types={"s": DataType.to_long()})
    df = parquet.to_pandas_dataframe()
    assert df.shape == (20, 3) and df["s"].sum() == 90
    assert set(df["Path"]) == {"/p0.parquet", "/p1.parquet"}
    assert parquet.take(3).to_pandas_dataframe()["x"].tolist() == [0, 1, 2]
    # A filter on a column the output drops, streamed (take) and read whole.
    picked = parquet.filter(parquet["x"] > 15).keep_columns(["s"])
    assert picked.take(2).to_pandas_dataframe().to_dict("list") == {"s": [6, 7]}
    assert picked.to_pandas_dataframe()["s"].tolist() == [6, 7, 8, 9]
    lines = Dataset.Tabular.from_json_lines_files((blob, "pq/rows.jsonl"))
    assert lines.to_pandas_dataframe().to_dict("list") == {"k": [1, 2], "v": ["a", "b"]}


def test_headerless_and_untyped_csv(blob, tmp_path) -> None:
    src = tmp_path / "nh"
    src.mkdir()
    (src / "x.csv").write_text("1;a\n2;b\n")
    blob.upload(str(src), target_path="nh", show_progress=False)
    ds = Dataset.Tabular.from_delimited_files((blob, "nh/x.csv"), header=False, separator=";",
                                              infer_column_types=False)
    df = ds.to_pandas_dataframe()
    assert list(df.columns) == ["Column1", "Column2"]
    assert df["Column1"].tolist() == ["1", "2"]


def test_register_versions_lookups_and_tags(workspace, uploaded) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv"))
    v1 = ds.register(workspace, "rows", description="first", tags={"team": "a", "n": 1})
    assert (v1.name, v1.version, v1.description, v1.tags) == ("rows", 1, "first",
                                                             {"team": "a", "n": "1"})
    assert v1.id and ds.id is None
    # Same definition and files, create_new_version=False: the same version comes back.
    assert ds.register(workspace, "rows").version == 1
    with pytest.raises(UserErrorException, match="different definition"):
        ds.take(3).register(workspace, "rows")
    assert len(workspace._store.list_assets(workspace._record.id, "dataset", "rows",
                                            latest_only=False)) == 1  # nothing written
    v2 = ds.take(3).register(workspace, "rows", create_new_version=True)
    assert v2.version == 2
    assert Dataset.get_by_name(workspace, "rows").version == 2
    assert Dataset.get_by_name(workspace, "rows", version=1).to_pandas_dataframe().shape[0] == 15
    assert Dataset.get_by_name(workspace, "rows", version="2").to_pandas_dataframe().shape[0] == 3
    assert Dataset.get_by_id(workspace, v1.id).version == 1
    assert set(Dataset.get_all(workspace)) == {"rows"} and workspace.datasets["rows"].version == 2
    v2.update(description="second", tags={"stage": "x"})
    v2.add_tags({"more": "y"})
    v2.remove_tags(["team"])
    fresh = Dataset.get_by_name(workspace, "rows")
    assert fresh.description == "second" and fresh.tags == {"stage": "x", "more": "y"}
    assert json.loads(json.dumps(repr(fresh)))  # printable
    fresh.unregister_all_versions()
    assert Dataset.get_all(workspace) == {}
    with pytest.raises(UserErrorException, match="not found"):
        Dataset.get_by_name(workspace, "rows")


def test_a_changed_source_is_reported_never_read_as_the_old_version(workspace, uploaded,
                                                                    csv_folder) -> None:
    v1 = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv")).register(
        workspace, "changing")
    changed = csv_folder / "sub" / "f1.csv"
    changed.write_text(changed.read_text() + "99,q\n")
    uploaded.upload(str(csv_folder), target_path="data", overwrite=True, show_progress=False)
    with pytest.raises(DataChangedError, match=r"'data/sub/f1.csv' changed size"):
        Dataset.get_by_name(workspace, "changing").to_pandas_dataframe()
    with pytest.raises(DataChangedError):
        v1.take(100).to_pandas_dataframe()
    # The same definition over other files needs a new version, which reads the new rows.
    with pytest.raises(UserErrorException, match="other files"):
        Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv")).register(
            workspace, "changing")
    v2 = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv")).register(
        workspace, "changing", create_new_version=True)
    assert v2.version == 2 and v2.to_pandas_dataframe().shape[0] == 16


def test_register_pandas_dataframe_and_dask(workspace, blob) -> None:
    frame = pd.DataFrame({"x": range(100), "y": [float(i) / 2 for i in range(100)]})
    ds = Dataset.Tabular.register_pandas_dataframe(frame, (blob, "frames"), "frame",
                                                   show_progress=False)
    assert ds.version == 1
    assert ds.to_pandas_dataframe().equals(frame)
    second = Dataset.Tabular.register_pandas_dataframe(frame.head(5), blob, "frame",
                                                       show_progress=False)
    assert second.version == 2 and second.to_pandas_dataframe().shape == (5, 2)
    dd = pytest.importorskip("dask.dataframe")
    lazy = ds.to_dask_dataframe()
    assert isinstance(lazy, dd.DataFrame)
    assert int(lazy["x"].sum().compute()) == 4950


# ---------------------------------------------------------------------------- bad input


def test_missing_file_and_empty_glob_name_the_path(uploaded) -> None:
    with pytest.raises(UserErrorException, match=r"'data/nope.csv'.*does not exist"):
        Dataset.Tabular.from_delimited_files((uploaded, "data/nope.csv"))
    with pytest.raises(UserErrorException, match=r"No file matches 'data/\*.parquet'"):
        Dataset.Tabular.from_parquet_files((uploaded, "data/*.parquet"))


def test_schema_differing_across_files_names_the_file(workspace, blob, tmp_path) -> None:
    src = tmp_path / "mixed"
    src.mkdir()
    (src / "a.csv").write_text("a,b\n1,2\n")
    (src / "b.csv").write_text("a,c\n1,2\n")
    blob.upload(str(src), target_path="mixed", show_progress=False)
    with pytest.raises(UserErrorException, match=r"'b.csv' has columns \['a', 'c'\]"):
        Dataset.Tabular.from_delimited_files((blob, "mixed/*.csv"))
    pq.write_table(pa.table({"v": [1]}), src / "one.parquet")
    pq.write_table(pa.table({"v": ["text"]}), src / "two.parquet")
    blob.upload(str(src), target_path="mixedpq", show_progress=False)
    with pytest.raises(UserErrorException, match="column types cannot be combined"):
        Dataset.Tabular.from_parquet_files((blob, "mixedpq/*.parquet"))
    assert Dataset.get_all(workspace) == {}


def test_ragged_csv_names_the_file_and_registers_nothing(workspace, blob, tmp_path) -> None:
    src = tmp_path / "ragged"
    src.mkdir()
    (src / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    blob.upload(str(src), target_path="ragged", show_progress=False)
    with pytest.raises(UserErrorException, match=r"'bad.csv'.*Expected 2 columns"):
        Dataset.Tabular.from_delimited_files((blob, "ragged/bad.csv")).register(workspace, "r")
    lazy = Dataset.Tabular.from_delimited_files((blob, "ragged/bad.csv"), validate=False)
    with pytest.raises(UserErrorException, match=r"bad\.csv"):
        lazy.to_pandas_dataframe()
    assert Dataset.get_all(workspace) == {}


@pytest.mark.parametrize("path", ["../outside/*.csv", "data/../../x", "//etc/passwd",
                                  "data\\sub", "~/x"])
def test_paths_leaving_the_datastore_are_refused(uploaded, path) -> None:
    with pytest.raises(UserErrorException, match=r"leaves its datastore|separators"):
        Dataset.Tabular.from_delimited_files((uploaded, path))


@pytest.mark.parametrize("name", ["", "-lead", "has space", "slash/name", "x" * 201, "a:b",
                                  "\ud800", "..", "x" * 1_000_000])
def test_dataset_names_follow_the_rules(workspace, uploaded, name) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/f0.csv"))
    with pytest.raises(UserErrorException, match="Invalid dataset name") as info:
        ds.register(workspace, name)
    assert len(str(info.value)) < 400  # a 1 MB name is cut short in the message
    assert Dataset.get_all(workspace) == {}


@pytest.mark.parametrize("count", [-1, 10**400, 2**63, float("nan"), 1.5, True, "3"])
def test_row_counts_out_of_range_are_clear_errors(uploaded, count) -> None:
    ds = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv"))
    for transform in (ds.take, ds.skip):
        with pytest.raises(UserErrorException, match="integer from 0 to 2"):
            transform(count)
    assert ds.take(2**63 - 1).to_pandas_dataframe()["a"].tolist() == list(range(15))


def test_mixing_datastores_and_urls_is_refused(uploaded, csv_folder) -> None:
    with pytest.raises(UserErrorException, match="not a mix"):
        Dataset.Tabular.from_delimited_files([(uploaded, "data/sub/f0.csv"),
                                              str(csv_folder / "sub" / "f1.csv")])


def test_local_paths_and_file_urls_are_sources_too(workspace, csv_folder) -> None:
    ds = Dataset.Tabular.from_delimited_files(str(csv_folder / "sub" / "*.csv"))
    assert ds.to_pandas_dataframe().shape == (15, 2)
    url = Dataset.Tabular.from_delimited_files(f"file://{csv_folder}/sub/f2.csv")
    assert url.to_pandas_dataframe()["a"].tolist() == [10, 11, 12, 13, 14]
    registered = ds.register(workspace, "local_rows")
    assert Dataset.get_by_name(workspace, "local_rows").to_pandas_dataframe().shape == (15, 2)
    assert registered.version == 1
