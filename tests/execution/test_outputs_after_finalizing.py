"""Reading a submitted run's outputs right after ``wait_for_completion()``: it returns at
Finalizing (as v1's does), while the executor still uploads ``outputs/``; ``register_model``
and ``download_file(s)`` wait for that upload (bounded) instead of racing it."""

from __future__ import annotations

import hashlib
import threading

import pytest

from jupyter_mlws.core import ScriptRunConfig, run_post_processing
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.exceptions import ExperimentExecutionException

# Many small outputs upload before model.pkl (the executor walks them sorted), so Finalizing
# lasts long after the script ended; model.pkl itself is large.
WRITE_OUTPUTS = """
import os
for i in range(400):
    with open(f"outputs/a_{i:04d}.txt", "w") as f:
        f.write(str(i))
with open("outputs/model.pkl", "wb") as f:
    f.write(bytes(range(256)) * (64 * 1024))  # 16 MiB
print("written", flush=True)
"""
MODEL = bytes(range(256)) * (64 * 1024)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_register_model_and_download_right_after_wait_for_completion(exp, make_source,
                                                                     tmp_path):
    src = make_source(files={"train.py": WRITE_OUTPUTS})
    run = exp.submit(ScriptRunConfig(src, "train.py"))
    run.wait_for_completion()  # returns at Finalizing: the outputs are still being uploaded
    model = run.register_model("big-model", "outputs/model.pkl")
    run.download_file("outputs/model.pkl", str(tmp_path / "copy.pkl"))
    assert _sha((tmp_path / "copy.pkl").read_bytes()) == _sha(MODEL)
    folder = tmp_path / "model"
    with open(model.download(str(folder)), "rb") as stored:
        assert _sha(stored.read()) == _sha(MODEL)
    assert model.files == {"model.pkl": len(MODEL)}
    assert run.get_status() == RunStatus.COMPLETED


@pytest.fixture
def finalizing(exp):
    """A run of this process left Finalizing, as an executor leaves it while uploading."""
    run = exp.start_logging(snapshot_directory=None, outputs=False)
    run._record = run._store.update_run(run.id, status=RunStatus.FINALIZING)
    yield run
    run.complete()


def test_reading_outputs_of_a_run_that_stays_finalizing_times_out(finalizing, monkeypatch,
                                                                  tmp_path):
    monkeypatch.setattr(run_post_processing, "POST_PROCESSING_TIMEOUT_SECONDS", 0.3)
    with pytest.raises(ExperimentExecutionException, match="still Finalizing"):
        finalizing.download_file("outputs/model.pkl", str(tmp_path / "m.pkl"))
    with pytest.raises(ExperimentExecutionException, match=r"register_model: .* Finalizing"):
        finalizing.register_model("m", "outputs/model.pkl")
    with pytest.raises(ExperimentExecutionException, match="download_files"):
        finalizing.download_files(prefix="outputs", output_directory=str(tmp_path))
    # Files outside outputs/ are not uploaded by post-processing: no wait for them.
    finalizing.upload_file("logs/note.txt", _write(tmp_path / "note.txt", b"note"))
    finalizing.download_file("logs/note.txt", str(tmp_path / "note-copy.txt"))
    assert (tmp_path / "note-copy.txt").read_bytes() == b"note"
    assert not (tmp_path / "m.pkl").exists()


def test_download_waits_for_the_upload_that_ends_finalizing(finalizing, tmp_path):
    source = _write(tmp_path / "model.pkl", MODEL)
    reading = threading.Event()

    def executor() -> None:  # what the executor does after the script: upload, then end
        reading.wait(timeout=60)
        finalizing._store.upload_artifact(finalizing.id, "outputs/model.pkl", source)
        finalizing._store.update_run(finalizing.id, status=RunStatus.COMPLETED)

    thread = threading.Thread(target=executor)
    thread.start()
    try:
        reading.set()
        finalizing.download_file("outputs/model.pkl", str(tmp_path / "copy.pkl"))
    finally:
        thread.join(timeout=60)
    assert _sha((tmp_path / "copy.pkl").read_bytes()) == _sha(MODEL)


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
