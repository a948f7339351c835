"""scripts/test-postgres.sh as another user or checkout runs it: a data folder of each
checkout's own, and the Debian install through sudo when not root (stub commands stand in for
id, sudo and apt-get, so nothing is installed)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "test-postgres.sh"
# Real tools the script needs besides the stubbed ones.
TOOLS = ("bash", "dirname", "sha256sum", "cut", "ls", "sort", "tail", "readlink", "cat",
         "mkdir", "printf")


def _checkout(root: Path) -> Path:
    """A minimal checkout at ``root``: just the script."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(SCRIPT, root / "scripts" / "test-postgres.sh")
    return root / "scripts" / "test-postgres.sh"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _user_path(tmp_path: Path, *, sudo: bool) -> tuple[dict[str, str], Path]:
    """PATH of a normal user (uid 1000) on a machine without PostgreSQL: only stubs and the
    basic tools; calls of sudo and apt-get are written to the returned log."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    _stub(bin_dir, "id", 'case "$1" in -u) echo 1000 ;; -un) echo tester ;; *) exit 1 ;; esac')
    _stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}; exit 100')
    if sudo:
        _stub(bin_dir, "sudo", f'echo "sudo $*" >> {log}')
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "TMPDIR": str(tmp_path / "tmp"),
           "PG_LIB_DIR": str(tmp_path / "no-postgresql")}
    return env, log


def test_each_checkout_gets_its_own_data_folder(tmp_path):
    first, second = _checkout(tmp_path / "a"), _checkout(tmp_path / "b")
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    dirs = [subprocess.run([str(s), "dir"], env=env, cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout.strip() for s in (first, second, first)]
    assert dirs[0] == dirs[2] != dirs[1]
    uid = os.getuid()
    assert all(d.startswith(f"{tmp_path / 'tmp'}/mlws-test-pg-{uid}-") for d in dirs)
    assert "/tmp/mlws-test-pg\n" not in SCRIPT.read_text()


def test_a_normal_user_installs_postgresql_through_sudo(tmp_path):
    env, log = _user_path(tmp_path, sudo=True)
    proc = subprocess.run([str(SCRIPT), str(tmp_path / "pg")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    calls = log.read_text().splitlines()
    assert calls == ["sudo env DEBIAN_FRONTEND=noninteractive apt-get update",
                     "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql"]
    # The stub installed nothing, so the script stops (and prints no export line to eval).
    assert proc.returncode != 0 and "export" not in proc.stdout


def test_a_normal_user_without_sudo_gets_a_clear_message(tmp_path):
    env, log = _user_path(tmp_path, sudo=False)
    proc = subprocess.run([str(SCRIPT), str(tmp_path / "pg")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and not log.exists()
    assert "no sudo" in proc.stderr and "apt-get install postgresql" in proc.stderr
