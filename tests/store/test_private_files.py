"""The store's home and everything the store writes into it are its owner's only: folders
0700, files 0600, whatever the umask. A home that already exists is not changed (it may be a
folder the user chose), but a home others can read is reported, and the database files the
store owns are tightened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

SDK_SESSION = textwrap.dedent("""
    import io, os, sys
    from jupyter_mlws.core import Experiment, Workspace

    src = sys.argv[1]
    ws = Workspace.create("private", show_output=False)
    run = Experiment(ws, "exp").start_logging(snapshot_directory=src, outputs=False)
    run.log("loss", 0.5)
    run.upload_file("outputs/model.bin", os.path.join(src, "train.py"))
    run.upload_file("outputs/streamed.bin", io.BytesIO(b"streamed"))
    run._store.upload_artifact(run.id, "outputs/streamed.bin", io.BytesIO(b"v2"),
                               overwrite=True)
    run.upload_folder("data", src)
    run._store.append_log(run.id, "logs/train.log", b"epoch 1\\n")
    run.complete()
    from jupyter_mlws.core import ScriptRunConfig

    submitted = Experiment(ws, "exp").submit(ScriptRunConfig(src, "train.py"))
    submitted.wait_for_completion(show_output=False, wait_post_processing=True)
    assert submitted.get_status() == "Completed", submitted.get_details()
    print("submitted", submitted.id, flush=True)
""")


def _session(home: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text("print('train')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env["MLWS_HOME"] = str(home)
    script = tmp_path / "session.py"
    script.write_text(SDK_SESSION)
    # The worst umask: everything the process creates would be world-writable.
    return subprocess.run([sys.executable, str(script), str(src)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: os.umask(0))


def _modes(home: Path) -> dict[str, int]:
    return {p.relative_to(home).as_posix(): stat.S_IMODE(p.stat().st_mode)
            for p in home.rglob("*")}


def test_a_fresh_home_and_all_its_files_are_private(tmp_path: Path) -> None:
    home = tmp_path / "fresh" / "mlws"  # neither exists yet
    result = _session(home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    modes = _modes(home)
    assert {"mlws.db", "mlws.db-wal", "mlws.db-shm"} <= set(modes)
    assert any(name.endswith("outputs/model.bin") for name in modes)
    assert any("/snapshots/blobs/" in name for name in modes)
    assert any(name.endswith("logs/train.log") for name in modes)
    # A submitted run's folder (its spec, supervisor log, working copy) is private: what the
    # script creates in its working folder follows the script's umask, unreachable inside.
    run_id = result.stdout.split("submitted ", 1)[1].split()[0]
    assert modes[f"runs/{run_id}"] == 0o700
    assert modes[f"runs/{run_id}/supervisor.log"] == 0o600
    store_files = {name: mode for name, mode in modes.items()
                   if name != "runs" and not name.startswith("runs/")}
    wrong = {name: oct(mode) for name, mode in store_files.items()
             if mode != (0o700 if (home / name).is_dir() else 0o600)}
    assert wrong == {}
    assert "readable by other users" not in result.stderr


def test_an_existing_open_home_is_reported_and_the_database_tightened(tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o755)  # made by the user, or by an older version
    (home / "mlws.db").touch()
    (home / "mlws.db").chmod(0o644)
    result = _session(home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # not ours to change
    assert f"{home} is readable by other users" in result.stderr
    assert "chmod 700" in result.stderr
    modes = _modes(home)
    assert modes["mlws.db"] == modes["mlws.db-wal"] == 0o600
    assert modes["workspaces"] == 0o700
    files = {name: mode for name, mode in modes.items()
             if (home / name).is_file() and "/wd/" not in name}
    assert set(files.values()) == {0o600}
