"""Artifacts are never lost or served damaged, through the public Run API (both stores): a
write that fails removes nothing it did not create, an upload killed mid-way does not block its
name, and a damaged stored file makes a download fail instead of returning wrong bytes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_mlws.exceptions import AzureMLException, UserErrorException
from jupyter_mlws.store.base import ConflictError, InvalidInputError
from tests.helpers import wait_until
from tests.store.stalled_upload import STALLING_STREAM


@pytest.fixture
def workspace_name() -> str:
    return "files-ws"  # the child script below finds its run by these names


@pytest.fixture
def experiment_name() -> str:
    return "files-exp"


def _stored_file(workspace, run, path: str) -> Path:  # type: ignore[no-untyped-def]
    """The file holding an artifact on the workspace's local storage (either store)."""
    stored = Path(workspace._record.storage_url) / "runs" / run.id / path
    assert stored.is_file(), stored
    return stored


def _contents(run, tmp_path: Path, prefix: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    out = tmp_path / "check"
    run.download_files(prefix=prefix, output_directory=str(out))
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ names that are folders


def test_upload_onto_a_folder_or_under_a_file_fails_and_deletes_nothing(run, tmp_path):
    model = tmp_path / "model.pkl"
    model.write_bytes(b"trained weights")
    run.upload_file("outputs/model.pkl", str(model))
    run.upload_file("outputs/sub/deep.txt", io.BytesIO(b"deep"))
    before = _contents(run, tmp_path / "before", "outputs")

    with pytest.raises(UserErrorException, match=r"'outputs'.*folder") as error:
        run.upload_file("outputs", str(model))
    assert isinstance(error.value, (ConflictError, InvalidInputError))
    with pytest.raises(UserErrorException, match=r"'outputs/sub'.*folder"):
        run.upload_file("outputs/sub", io.BytesIO(b"stream"))
    with pytest.raises(UserErrorException, match=r"'outputs/model.pkl' is a file"):
        run.upload_file("outputs/model.pkl/inner.txt", io.BytesIO(b"under a file"))
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "x.txt").write_bytes(b"x")
    with pytest.raises(UserErrorException, match="is a file"):
        run.upload_folder("outputs/model.pkl", str(folder))

    assert sorted(run.get_file_names()) == ["outputs/model.pkl", "outputs/sub/deep.txt"]
    assert _contents(run, tmp_path / "after", "outputs") == before
    # The names still work for what they are.
    run.upload_file("outputs/sub/more.txt", io.BytesIO(b"more"))
    assert "outputs/sub/more.txt" in run.get_file_names()


# ------------------------------------------------------------------ an uploader killed mid-way

STALLED_UPLOAD = STALLING_STREAM + textwrap.dedent("""
    import sys
    from jupyter_mlws.core import Experiment, Run, Workspace

    run = Run(Experiment(Workspace.get("files-ws"), "files-exp"), sys.argv[1])
    run.upload_file(sys.argv[3], Stalling(sys.argv[2]))
""")


def test_upload_killed_mid_way_leaves_the_name_free(run, tmp_path, mlws_store_backend):
    script = tmp_path / "stalled_upload.py"
    script.write_text(STALLED_UPLOAD)
    flag = tmp_path / "stalled.flag"
    child = subprocess.Popen([sys.executable, str(script), run.id, str(flag),
                              "outputs/model.bin"])
    try:
        wait_until(lambda: flag.exists() or child.poll() is not None, timeout=120,
                   what="the child's upload to start")
        assert child.poll() is None, "the uploading child exited by itself"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)

    assert "outputs/model.bin" not in run.get_file_names()
    data = os.urandom(3 << 20)

    def upload() -> bool:
        try:
            run.upload_file("outputs/model.bin", io.BytesIO(data))
        except ConflictError:
            return False
        return True

    if mlws_store_backend == "sql":
        assert upload()  # the dead process's reservation is reclaimed at once
    else:
        # The server notices the closed connection on its own time, then rolls back.
        wait_until(upload, timeout=60, what="the server to drop the aborted upload")
    run.download_file("outputs/model.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data
    assert run.get_file_names().count("outputs/model.bin") == 1


# ------------------------------------------------------------------ damaged stored files


def test_download_of_a_damaged_artifact_fails_loudly(workspace, run, tmp_path):
    streamed = os.urandom((2 << 20) + 5)
    run.upload_file("outputs/streamed.bin", io.BytesIO(streamed))  # size and SHA-256 recorded
    source = tmp_path / "local.bin"
    source.write_bytes(os.urandom(1 << 20))
    run.upload_file("outputs/local.bin", str(source))  # size recorded

    # Same size, one byte changed: only the recorded hash can tell.
    stored = _stored_file(workspace, run, "outputs/streamed.bin")
    damaged = bytearray(stored.read_bytes())
    damaged[-1] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    target = tmp_path / "streamed.bin"
    target.write_bytes(b"the user's own older file")
    with pytest.raises(AzureMLException, match=r"outputs/streamed\.bin"):
        run.download_file("outputs/streamed.bin", str(target))
    assert target.read_bytes() == b"the user's own older file"  # left as it was

    # Cut short, as an interrupted in-place write used to leave it.
    stored = _stored_file(workspace, run, "outputs/local.bin")
    with stored.open("r+b") as handle:
        handle.truncate(1000)
    with pytest.raises(AzureMLException, match=r"outputs/local\.bin"):
        run.download_file("outputs/local.bin", str(tmp_path / "local_back.bin"))
    assert not (tmp_path / "local_back.bin").exists()
    with pytest.raises(AzureMLException, match=r"outputs/local\.bin"):
        run.download_files(prefix="outputs", output_directory=str(tmp_path / "all"))
