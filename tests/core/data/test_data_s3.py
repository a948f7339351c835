"""Datastores and datasets on S3-compatible storage (moto's S3 server on loopback), through the
SDK on both stores: the credentials travel only to where the files are read."""

from __future__ import annotations

import json
import os

import pytest

from jupyter_mlws.core import Dataset, Datastore, ScriptRunConfig
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.data.dataset_error_handling import DataChangedError
from jupyter_mlws.exceptions import UserErrorException
from tests.store.test_s3_storage import s3_endpoint  # noqa: F401 - the moto server fixture

pytest.importorskip("s3fs")
BUCKET = "mlws-data-test"
KEY, SECRET = "testing-key-id", "testing-secret-value"


@pytest.fixture
def s3_store(workspace, s3_endpoint):  # noqa: F811 - the fixture imported above
    import s3fs

    fs = s3fs.S3FileSystem(key=KEY, secret=SECRET, client_kwargs={"endpoint_url": s3_endpoint})
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    prefix = f"t{os.getpid()}{id(workspace) % 100000}"
    store = Datastore.register_s3(workspace, "s3data", bucket=BUCKET, prefix=prefix,
                                  endpoint_url=s3_endpoint, access_key_id=KEY,
                                  secret_access_key=SECRET)
    yield store, fs, f"{BUCKET}/{prefix}"
    fs.rm(f"{BUCKET}/{prefix}", recursive=True)


def test_s3_datastore_transfers_and_tabular_reads(workspace, s3_store, csv_folder,
                                                  tmp_path) -> None:
    store, fs, root = s3_store
    assert type(store).__name__ == "FsspecDatastore" and store.datastore_type == "S3"
    assert SECRET not in repr(store) and KEY not in repr(workspace.datastores)
    store.upload(str(csv_folder), target_path="data", show_progress=False)
    assert fs.cat(f"{root}/data/sub/f1.csv") == (csv_folder / "sub" / "f1.csv").read_bytes()
    assert store.download(str(tmp_path / "back"), prefix="data/sub", show_progress=False) == 3

    tab = Dataset.Tabular.from_delimited_files((store, "data/sub/*.csv"))
    assert tab.take(4).to_pandas_dataframe()["a"].tolist() == [0, 1, 2, 3]
    registered = tab.register(workspace, "s3rows")
    assert Dataset.get_by_name(workspace, "s3rows").to_pandas_dataframe().shape == (15, 2)
    fs.pipe(f"{root}/data/sub/f2.csv", b"a,b\n1,x\n")  # rewritten in the bucket
    with pytest.raises(DataChangedError, match=r"f2\.csv"):
        registered.to_pandas_dataframe()


def test_s3_file_dataset_download_mount_and_run(workspace, experiment, s3_store, csv_folder,
                                                make_source) -> None:
    store, _fs, _root = s3_store
    store.upload(str(csv_folder), target_path="data", show_progress=False)
    files = Dataset.File.from_files((store, "data/sub")).register(workspace, "s3files")
    with files.mount() as context:
        assert sorted(os.listdir(context.mount_point)) == ["f0.csv", "f1.csv", "f2.csv"]
        with open(os.path.join(context.mount_point, "f0.csv")) as handle:
            assert handle.read() == (csv_folder / "sub" / "f0.csv").read_text()
    src = make_source(files={"train.py": (
        "import json, os, sys\n"
        "print('FILES', json.dumps(sorted(os.listdir(sys.argv[1]))))\n")})
    run = experiment.submit(ScriptRunConfig(src, "train.py", arguments=[
        files.as_named_input("s3in").as_mount()]))
    assert run.wait_for_completion(wait_post_processing=True, raise_on_error=False)["status"] == RunStatus.COMPLETED
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    line = next(x for x in log.splitlines() if x.startswith("FILES "))
    assert json.loads(line[6:]) == ["f0.csv", "f1.csv", "f2.csv"]


def test_s3_bad_credentials_are_reported_without_the_secret(workspace, s3_endpoint  # noqa: F811
                                                            ) -> None:
    with pytest.raises(UserErrorException) as info:
        Datastore.register_s3(workspace, "nobucket", bucket="does-not-exist-bucket",
                              endpoint_url=s3_endpoint, access_key_id=KEY,
                              secret_access_key=SECRET)
    assert SECRET not in str(info.value)
    assert "nobucket" not in workspace.datastores
