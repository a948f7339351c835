"""Run artifacts through the public Run API: upload, list, download (v1 path rules), outputs/,
snapshots and path confinement."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from jupyter_mlws.exceptions import SnapshotException, UserErrorException


def _storage_files(workspace) -> set[str]:
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(workspace._record.storage_url)
    if not fs.exists(root):
        return set()
    return {p[len(root):] for p in fs.find(root)}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def source(tmp_path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.txt").write_bytes(b"beta")
    (src / "sub" / "deep" / "c.bin").write_bytes(bytes(range(256)) * 10)
    return src


# ------------------------------------------------------------------ upload


def test_upload_file_from_path_and_stream(run, source):
    record = run.upload_file("notes/a.txt", str(source / "a.txt"))
    assert record.path == "notes/a.txt" and record.size == 5
    run.upload_file("streamed.bin", io.BytesIO(b"x" * 3_000_000))
    assert sorted(run.get_file_names()) == ["notes/a.txt", "streamed.bin"]
    run.download_file("streamed.bin")
    assert Path("streamed.bin").read_bytes() == b"x" * 3_000_000


def test_upload_file_existing_name_conflicts(run, source):
    run.upload_file("a.txt", str(source / "a.txt"))
    with pytest.raises(UserErrorException):
        run.upload_file("a.txt", str(source / "sub" / "b.txt"))


def test_upload_file_missing_source(run, tmp_path):
    with pytest.raises(UserErrorException, match="no such file"):
        run.upload_file("x.txt", str(tmp_path / "nope.txt"))


def test_upload_files_lengths_and_return(run, source):
    with pytest.raises(TypeError):
        run.upload_files(["a", "b"], [str(source / "a.txt")])
    assert run.upload_files(["one.txt"], [str(source / "a.txt")]) is None
    records = run.upload_files(["two.txt", "three.txt"],
                               [str(source / "a.txt"), str(source / "sub" / "b.txt")],
                               return_artifacts=True)
    assert [r.path for r in records] == ["two.txt", "three.txt"]
    assert sorted(run.get_file_names()) == ["one.txt", "three.txt", "two.txt"]


def test_upload_folder_layout(run, source):
    run.upload_folder("data/in", str(source))
    assert sorted(run.get_file_names()) == [
        "data/in/a.txt", "data/in/sub/b.txt", "data/in/sub/deep/c.bin"]


# ------------------------------------------------------------------ confinement


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a\\evil.txt",
                                  "a/../../evil.txt", "a//evil.txt", "C:/evil.txt"])
def test_traversal_names_rejected_nothing_written(workspace, run, source, tmp_path, mlws_home,
                                                  name):
    before = _storage_files(workspace)
    with pytest.raises(UserErrorException):
        run.upload_file(name, str(source / "a.txt"))
    with pytest.raises(UserErrorException):
        run.upload_files(["fine.txt", name], [str(source / "a.txt"), str(source / "a.txt")])
    with pytest.raises(UserErrorException):
        run.upload_folder(name, str(source))
    assert _storage_files(workspace) == before
    assert run.get_file_names() == []
    assert not (tmp_path / "evil.txt").exists()
    assert not (mlws_home / "evil.txt").exists()


# ------------------------------------------------------------------ download


@pytest.fixture
def filled_run(run, source):
    run.upload_folder("outputs", str(source))
    run.upload_file("outputs2/x.txt", str(source / "a.txt"))
    run.upload_file("top.txt", str(source / "a.txt"))
    return run


def test_download_file_default_is_basename_in_cwd(filled_run):
    filled_run.download_file("outputs/sub/b.txt")
    assert Path("b.txt").read_bytes() == b"beta"


def test_download_file_to_path_and_folder(filled_run, tmp_path):
    target = tmp_path / "copy.txt"
    filled_run.download_file("outputs/a.txt", str(target), _validate_checksum=True)
    assert target.read_bytes() == b"alpha"
    folder = tmp_path / "into"
    folder.mkdir()
    filled_run.download_file("outputs/a.txt", str(folder))
    assert (folder / "a.txt").read_bytes() == b"alpha"


def test_download_file_missing_parent_is_clear_error(filled_run, tmp_path):
    with pytest.raises(UserErrorException, match="does not exist"):
        filled_run.download_file("outputs/a.txt", str(tmp_path / "no" / "such" / "a.txt"))


def test_download_file_missing_artifact(filled_run):
    with pytest.raises(UserErrorException):
        filled_run.download_file("outputs/nope.txt")


def test_download_files_prefix_kept(filled_run, source, tmp_path):
    out = tmp_path / "out"
    filled_run.download_files(prefix="outputs", output_directory=str(out))
    assert _tree(out) == {"outputs/" + k: v for k, v in _tree(source).items()}


def test_download_files_prefix_kept_in_cwd_without_output_directory(filled_run, source):
    filled_run.download_files(prefix="outputs/sub")
    assert _tree(Path.cwd()) == {"outputs/sub/b.txt": b"beta",
                                 "outputs/sub/deep/c.bin": bytes(range(256)) * 10}


def test_download_files_prefix_stripped(filled_run, source, tmp_path):
    out = tmp_path / "out"
    filled_run.download_files(prefix="outputs", output_directory=str(out), append_prefix=False)
    assert _tree(out) == _tree(source)


def test_download_files_append_prefix_false_without_directory_keeps_path(filled_run):
    filled_run.download_files(prefix="outputs/sub/deep", append_prefix=False)
    assert _tree(Path.cwd()) == {"outputs/sub/deep/c.bin": bytes(range(256)) * 10}


def test_download_files_all(filled_run, tmp_path):
    out = tmp_path / "all"
    filled_run.download_files(output_directory=str(out))
    assert sorted(_tree(out)) == sorted(filled_run.get_file_names())
    assert "outputs2/x.txt" in _tree(out) and "top.txt" in _tree(out)


def test_download_files_output_paths(filled_run, tmp_path):
    targets = [str(tmp_path / "p" / name) for name in ("1", "2", "3")]
    filled_run.download_files(prefix="outputs", output_paths=targets)
    # Matched artifacts in path order: a.txt, sub/b.txt, sub/deep/c.bin.
    assert [Path(t).read_bytes()[:5] for t in targets] == [b"alpha", b"beta", bytes(range(5))]
    with pytest.raises(UserErrorException):
        filled_run.download_files(prefix="outputs", output_paths=targets[:2])
    with pytest.raises(UserErrorException):
        filled_run.download_files(prefix="outputs", output_paths=[targets[0]] * 3)


# ------------------------------------------------------------------ outputs/


def test_outputs_uploaded_at_complete(experiment, tmp_path):
    out = tmp_path / "my_outputs"
    run = experiment.start_logging(snapshot_directory=None, outputs=str(out))
    assert out.is_dir()
    (out / "model.pkl").write_bytes(b"model")
    (out / "plots").mkdir()
    (out / "plots" / "p.txt").write_bytes(b"plot")
    run.complete()
    assert sorted(run.get_file_names()) == ["outputs/model.pkl", "outputs/plots/p.txt"]


def test_outputs_uploaded_on_fail(experiment, tmp_path):
    out = tmp_path / "fail_outputs"
    run = experiment.start_logging(snapshot_directory=None, outputs=str(out))
    (out / "partial.ckpt").write_bytes(b"ckpt")
    run.fail(error_details="boom")
    assert run.get_file_names() == ["outputs/partial.ckpt"]


def test_upload_outputs_is_idempotent(experiment, tmp_path):
    out = tmp_path / "idem"
    run = experiment.start_logging(snapshot_directory=None, outputs=str(out))
    (out / "same.txt").write_bytes(b"same")
    (out / "grows.txt").write_bytes(b"v1")
    assert len(run._upload_outputs()) == 2
    (out / "grows.txt").write_bytes(b"version2")
    again = run._upload_outputs()
    assert [r.path for r in again] == ["outputs/grows.txt"]
    run.download_file("outputs/grows.txt", str(tmp_path / "g.txt"))
    assert (tmp_path / "g.txt").read_bytes() == b"version2"
    run.complete()


# ------------------------------------------------------------------ snapshots


def test_take_snapshot_restore_zip(run, source, tmp_path):
    assert run.get_snapshot_id() is None
    snapshot_id = run.take_snapshot(str(source))
    assert run.get_snapshot_id() == snapshot_id
    assert run.get_properties()["ContentSnapshotId"] == snapshot_id
    with pytest.raises(SnapshotException):
        run.take_snapshot(str(source))
    zip_path = run.restore_snapshot(path=str(tmp_path))
    assert zip_path == str(tmp_path / f"{snapshot_id}.zip")
    with zipfile.ZipFile(zip_path) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == _tree(source)
    named = run.restore_snapshot(snapshot_id, path=str(tmp_path / "named.zip"))
    assert zipfile.ZipFile(named).namelist() == sorted(_tree(source))


def test_restore_snapshot_default_path_is_cwd(run, source):
    snapshot_id = run.take_snapshot(str(source / "a.txt"))
    path = run.restore_snapshot()
    assert path == os.path.join(os.getcwd(), f"{snapshot_id}.zip")
    assert zipfile.ZipFile(path).read("a.txt") == b"alpha"


def test_restore_snapshot_without_snapshot(run):
    with pytest.raises(SnapshotException):
        run.restore_snapshot()


def test_start_logging_snapshots_directory(experiment, source):
    run = experiment.start_logging(snapshot_directory=str(source), outputs=False)
    try:
        snapshot_id = run.get_snapshot_id()
        assert snapshot_id is not None
        assert run.get_properties()["ContentSnapshotId"] == snapshot_id
        files = run._store.get_snapshot(snapshot_id).files
        assert sorted(files) == ["a.txt", "sub/b.txt", "sub/deep/c.bin"]
    finally:
        run.complete()


def test_start_logging_without_snapshot(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    assert run.get_snapshot_id() is None
    run.complete()


def test_outputs_skip_links_outside_and_unnamable_files(experiment, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    out = tmp_path / "linked"
    run = experiment.start_logging(snapshot_directory=None, outputs=str(out))
    (out / "ok.txt").write_bytes(b"ok")
    os.symlink(secret, out / "leak.txt")
    os.symlink(tmp_path, out / "leak_dir")
    (out / "back\\slash.txt").write_bytes(b"odd")  # a legal POSIX name, not an artifact path
    with pytest.warns(UserWarning, match="slash"):
        run.complete()
    assert run.get_file_names() == ["outputs/ok.txt"]
    assert run.get_status() == "Completed"
