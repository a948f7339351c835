"""README.md's code blocks work when pasted.

Python and ``ipython`` (``%mlws``) blocks run in README order as the cells of one notebook in a
real kernel, in a fresh folder with its own MLWS_HOME (the autouse ``mlws_home`` fixture), as a
reader pastes them into a notebook. A python block whose first line is ``# <path>.py`` is that
file's content: it is written to the folder instead of run. Bash blocks are syntax-checked with
``bash -n``; the quick-start commands (which install and launch) are checked to exist and parse,
the rest run in the folder.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.M | re.S)
FILE_BLOCK = re.compile(r"\A# ([\w./-]+\.py)\n")
# Commands that install software or start long-running servers: checked, never run here.
NOT_RUN = ("scripts/launch.sh", "scripts/test.sh", "pip ", "uv pip", "apt-get", "jupyter lab",
           "jupyter server")


def readme_blocks() -> list[tuple[str, str, int]]:
    """(language, body, line number) of every fenced block of README.md."""
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def test_every_block_has_a_language_the_test_handles():
    languages = {lang for lang, _, _ in readme_blocks()}
    assert languages <= {"python", "ipython", "bash"}, languages
    assert {"python", "ipython", "bash"} <= languages


def _delete_clusters() -> None:
    """Stop the cluster daemons the README's compute example started."""
    from jupyter_mlws.core import Workspace
    from jupyter_mlws.core.compute import AmlCompute, ComputeTarget

    for workspace_list in Workspace.list(None).values():
        for workspace in workspace_list:
            for target in ComputeTarget.list(workspace):
                if isinstance(target, AmlCompute):
                    target.delete()


@pytest.mark.slow
def test_python_and_magic_blocks_run_in_order_in_a_kernel(mlws_home, tmp_path, monkeypatch):
    folder = tmp_path / "reader"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.v4.new_notebook()
    lines = []
    for lang, body, line in readme_blocks():
        if lang not in ("python", "ipython"):
            continue
        file_block = FILE_BLOCK.match(body)
        if file_block:
            target = folder / file_block.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            continue
        notebook.cells.append(nbformat.v4.new_code_cell(body))
        lines.append(line)
    assert len(notebook.cells) >= 5
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        index = next((i for i, cell in enumerate(notebook.cells)
                      if any(o.get("output_type") == "error" for o in cell.outputs)), None)
        where = f"README.md line {lines[index]}" if index is not None else "README.md"
        pytest.fail(f"the block at {where} fails when pasted:\n{exc}")
    finally:
        _delete_clusters()
    # What the blocks promise is there: the files they write and the runs they record.
    assert (folder / ".azureml" / "config.json").is_file()
    assert (folder / "results" / "outputs" / "notes.txt").read_text().startswith("baseline")
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.get("my-ws")
    statuses = {r.display_name: r.get_status() for r in Experiment(ws, "train-model").get_runs()}
    assert statuses.get("first try") == "Completed"
    # and the two submitted script runs; the one reading a secret logged it masked
    assert list(statuses.values()).count("Completed") == 3
    secret_run = next(r for r in Experiment(ws, "train-model").get_runs()
                      if r.get_details()["runDefinition"].get("script") == "use_secret.py")
    log = secret_run._store.open_artifact(secret_run.id, "user_logs/std_log.txt").read()
    assert b"connecting with ***" in log and b"s3cr3t-value" not in log
    from jupyter_mlws.core import Dataset  # the data section's run registered its output

    assert Dataset.get_by_name(ws, "weather-summary").to_path() == ["/summary.txt"]
    (cell_run,) = Experiment(ws, "my-exp").get_runs()
    assert cell_run.display_name == "cell run" and cell_run.get_metrics() == {"answer": 42}


def test_bash_blocks_parse_and_quick_start_scripts_exist(tmp_path):
    bash_blocks = [(body, line) for lang, body, line in readme_blocks() if lang == "bash"]
    assert bash_blocks
    env = {**os.environ, "MLWS_HOME": str(tmp_path / "home")}
    for body, line in bash_blocks:
        check = subprocess.run(["bash", "-n"], input=body, text=True, capture_output=True,
                               check=False)
        assert check.returncode == 0, f"README.md line {line}: {check.stderr}"
        commands = [c.split("#")[0].strip() for c in body.splitlines()]
        commands = [c for c in commands if c]
        skipped = [c for c in commands if c.startswith(NOT_RUN)]
        for command in skipped:
            script = shlex.split(command)[0]
            if script.startswith("scripts/"):
                path = ROOT / script
                assert path.is_file() and os.access(path, os.X_OK), script
                parsed = subprocess.run(["bash", "-n", str(path)], capture_output=True,
                                        text=True, check=False)
                assert parsed.returncode == 0, (script, parsed.stderr)
        if skipped:
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=300,
                                check=False)
        assert result.returncode == 0, f"README.md line {line}: {result.stderr[-2000:]}"


def test_launch_installs_the_extras_the_readme_examples_need():
    launch = (ROOT / "scripts" / "launch.sh").read_text()
    extras = re.search(r'scripts/bootstrap\.sh "([^"]+)"', launch).group(1).split(",")
    # lab: the notebook and %mlws; plot: log_image(plot=fig); dask: the AmlCompute example.
    assert {"lab", "plot", "dask"} <= set(extras)


def test_demo_workspace_says_where_its_store_is(tmp_path):
    home, demo = tmp_path / "home", tmp_path / "demo"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MLWS_")},
           "MLWS_HOME": str(home), "MLWS_DEMO_DIR": str(demo)}
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_workspace.py")],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert f"in the store at {home}" in out
    assert (demo / ".azureml" / "config.json").is_file()
    assert (home / "mlws.db").is_file()
    readme = README.read_text()
    assert "~/.local/share/jupyter/mlws" in readme and "scripts/demo_workspace.py" in readme
