"""Git facts of a source folder, recorded as run properties like v1 does.

``git_properties(directory)`` returns the ``azureml.git.*`` and ``mlflow.source.git.*``
properties for a folder inside a git work tree, and ``{}`` outside one or when ``git`` is not
installed. Each ``git`` call has a short timeout and its stderr is discarded, so a broken or
slow repository never blocks or clutters the start of a run.
"""

from __future__ import annotations

import os
import shutil
import subprocess

GIT_TIMEOUT_SECONDS = 5.0


def _git(directory: str, *args: str) -> str | None:
    """stdout of ``git -C directory args`` stripped, or None if git failed."""
    env = dict(os.environ)
    # Never prompt for credentials, and ignore a GIT_DIR leaking from the caller's shell.
    env["GIT_TERMINAL_PROMPT"] = "0"
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    try:
        done = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_SECONDS, env=env, stdin=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def git_properties(directory: str | os.PathLike = ".") -> dict[str, str]:
    """Repository URI, branch, commit and dirty flag of the git work tree holding ``directory``."""
    directory = os.path.abspath(os.fspath(directory))
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    if shutil.which("git") is None or not os.path.isdir(directory):
        return {}
    # One status call gives commit, branch and dirtiness (and fails outside a work tree):
    # run start-up pays for two or three git processes, not six.
    status = _git(directory, "status", "--porcelain=v2", "--branch")
    if status is None:
        return {}
    props: dict[str, str] = {}
    # The remote the user pushes to; a purely local repository is identified by its folder.
    uri = (_git(directory, "config", "--get", "remote.origin.url")
           or _git(directory, "rev-parse", "--show-toplevel"))
    if uri:
        props["azureml.git.repository_uri"] = uri
        props["mlflow.source.git.repoURL"] = uri
    headers = dict(line[2:].split(" ", 1) for line in status.splitlines()
                   if line.startswith("# ") and " " in line[2:])
    branch = headers.get("branch.head")
    if branch and branch != "(detached)":
        props["azureml.git.branch"] = branch
        props["mlflow.source.git.branch"] = branch
    commit = headers.get("branch.oid")
    if commit and commit != "(initial)":  # "(initial)" before the first commit
        props["azureml.git.commit"] = commit
        props["mlflow.source.git.commit"] = commit
    # Untracked files count: the commit alone would not reproduce the run either.
    props["azureml.git.dirty"] = str(any(not line.startswith("# ")
                                         for line in status.splitlines()))
    return props
