"""Snapshot file selection (.amlignore/.gitignore, links, v1 limits), dedup in storage, and the
git properties of a source folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from jupyter_mlws.core.git_info import git_properties
from jupyter_mlws.core.snapshot import (
    SNAPSHOT_MAX_FILES,
    SNAPSHOT_MAX_SIZE_BYTES,
    collect_snapshot_files,
)
from jupyter_mlws.exceptions import SnapshotException, UserErrorException


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    _write(root, {
        "train.py": "print('hi')",
        "data/big.csv": "1,2",
        "data/keep.csv": "3,4",
        "notes.log": "log",
        "pkg/mod.py": "x = 1",
        "pkg/__pycache__/mod.cpython.pyc": "junk",
        ".git/HEAD": "ref: refs/heads/main",
        ".ipynb_checkpoints/nb-checkpoint.ipynb": "{}",
        "outputs/model.pkl": "m",
    })
    return root


def test_everything_but_git_caches_and_outputs_by_default(project):
    files = collect_snapshot_files(project)
    assert sorted(files) == ["data/big.csv", "data/keep.csv", "notes.log", "pkg/mod.py",
                             "train.py"]
    assert files["train.py"] == str(project / "train.py")


def test_gitignore_patterns(project):
    _write(project, {".gitignore": "*.log\ndata/\n"})
    assert sorted(collect_snapshot_files(project)) == [".gitignore", "pkg/mod.py", "train.py"]


def test_amlignore_preferred_over_gitignore(project):
    _write(project, {".gitignore": "*.py\n", ".amlignore": "data/big.csv\noutputs/\n!*.log\n"})
    assert sorted(collect_snapshot_files(project)) == [
        ".amlignore", ".gitignore", "data/keep.csv", "notes.log", "pkg/mod.py", "train.py"]


def test_negation_and_anchoring(project):
    _write(project, {".amlignore": "/*.py\n*.csv\n!keep.csv\n"})
    assert sorted(collect_snapshot_files(project)) == [
        ".amlignore", "data/keep.csv", "notes.log", "pkg/mod.py"]


def test_single_file(project):
    assert collect_snapshot_files(project / "train.py") == {"train.py": str(project / "train.py")}


def test_missing_folder(tmp_path):
    with pytest.raises(UserErrorException):
        collect_snapshot_files(tmp_path / "nope")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_links_outside_not_followed(project, tmp_path):
    outside = tmp_path / "secret"
    _write(outside, {"key.pem": "secret"})
    os.symlink(outside / "key.pem", project / "key_link.pem")
    os.symlink(outside, project / "secret_dir")
    os.symlink(project / "pkg", project / "pkg_link")  # inside: followed
    os.symlink(project, project / "pkg" / "loop")  # a cycle must not hang
    files = collect_snapshot_files(project)
    assert not any("key" in rel or rel.startswith("secret_dir") for rel in files)
    assert "pkg_link/mod.py" in files


def test_too_many_files(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(SNAPSHOT_MAX_FILES + 1):
        (root / f"f{i}.txt").write_bytes(b"")
    with pytest.raises(SnapshotException, match=r"2000 files[\s\S]*\.amlignore"):
        collect_snapshot_files(root)
    (root / ".amlignore").write_text("f1*.txt\n")
    assert len(collect_snapshot_files(root)) < SNAPSHOT_MAX_FILES


def test_too_large(tmp_path):
    root = tmp_path / "large"
    root.mkdir()
    with open(root / "huge.bin", "wb") as handle:  # sparse: no real disk use
        handle.truncate(SNAPSHOT_MAX_SIZE_BYTES + 1)
    with pytest.raises(SnapshotException, match=r"300\.0 MB"):
        collect_snapshot_files(root)


def test_start_logging_over_limit_hints_snapshot_directory_none(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MLWS_HOME", str(home))
    for name in ("MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI", "MLWS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    from jupyter_mlws.core.experiment import Experiment
    from jupyter_mlws.core.workspace import Workspace

    root = tmp_path / "large"
    root.mkdir()
    with open(root / "huge.bin", "wb") as handle:
        handle.truncate(SNAPSHOT_MAX_SIZE_BYTES + 1)
    exp = Experiment(Workspace.create("snapws", show_output=False), "big")
    with pytest.raises(SnapshotException, match="snapshot_directory=None"):
        exp.start_logging(snapshot_directory=str(root), outputs=False)
    assert list(exp.get_runs()) == []  # checked before the run was created


def test_snapshot_blobs_deduplicated(tmp_path, monkeypatch):
    monkeypatch.setenv("MLWS_HOME", str(tmp_path / "home"))
    for name in ("MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI", "MLWS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    from fsspec.core import url_to_fs

    from jupyter_mlws.core.experiment import Experiment
    from jupyter_mlws.core.workspace import Workspace

    src = tmp_path / "src"
    _write(src, {"a.py": "same", "b.py": "same", "c.py": "other"})
    ws = Workspace.create("dedupws", show_output=False)
    exp = Experiment(ws, "dedup")
    ids = []
    for _ in range(2):
        run = exp.start_logging(snapshot_directory=None, outputs=False)
        ids.append(run.take_snapshot(str(src)))
        run.complete()
    fs, root = url_to_fs(ws._record.storage_url)
    blobs = [p for p in fs.find(root) if "/snapshots/blobs/" in p]
    assert len(blobs) == 2  # "same" and "other", once each across both runs
    manifest = run._store.get_snapshot(ids[1]).files
    assert manifest["a.py"]["sha256"] == manifest["b.py"]["sha256"] != manifest["c.py"]["sha256"]


# ------------------------------------------------------------------ git


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
                        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull})


def test_git_properties_inside_repo(tmp_path, capfd):
    repo = tmp_path / "repo"
    _write(repo, {"train.py": "print(1)", "sub/x.py": "y"})
    _git(repo, "init", "-q", "-b", "feature")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "remote", "add", "origin", "https://example.com/team/repo.git")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout.strip()
    capfd.readouterr()
    props = git_properties(repo / "sub")
    assert props == {
        "azureml.git.repository_uri": "https://example.com/team/repo.git",
        "mlflow.source.git.repoURL": "https://example.com/team/repo.git",
        "azureml.git.branch": "feature",
        "mlflow.source.git.branch": "feature",
        "azureml.git.commit": commit,
        "mlflow.source.git.commit": commit,
        "azureml.git.dirty": "False",
    }
    (repo / "train.py").write_text("print(2)")
    assert git_properties(repo)["azureml.git.dirty"] == "True"
    assert capfd.readouterr().err == ""


def test_git_properties_outside_repo(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_properties(plain) == {}
    assert git_properties(tmp_path / "missing") == {}
    assert capfd.readouterr().err == ""


def test_git_properties_without_git(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable reachable
    assert git_properties(tmp_path) == {}
