"""Create the demo workspace used by the quick start (idempotent).

Writes ``demo/.azureml/config.json`` so notebooks in ``demo/`` find the workspace with
``Workspace.from_config()``, and records one example run the first time. The workspace lives in
the store of ``MLWS_HOME`` (default ``<jupyter data dir>/mlws``, ``~/.local/share/jupyter/mlws``
on Linux), the same store the user's own workspaces use; this prints where it is.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.store.settings import mlws_home

# scripts/launch.sh opens JupyterLab on the same folder (MLWS_DEMO_DIR, default demo/).
DEMO_DIR = Path(os.environ.get("MLWS_DEMO_DIR")
                or Path(__file__).resolve().parent.parent / "demo")


def main() -> None:
    ws = Workspace.create("demo", subscription_id="local", resource_group="local",
                          exist_ok=True, show_output=False)
    ws.write_config(path=str(DEMO_DIR))
    exp = Experiment(ws, "getting-started")
    if next(exp.get_runs(), None) is None:
        with exp.start_logging(display_name="example run", snapshot_directory=None,
                               outputs=False) as run:
            run.tag("demo")
            run.log("learning_rate", 0.01)
            for epoch in range(50):
                run.log("loss", math.exp(-epoch / 10) + 0.05 * math.sin(epoch), step=epoch)
            run.log_list("accuracy_by_fold", [0.91, 0.93, 0.92])
            run.log_table("confusion", {"class": ["cat", "dog"], "correct": [45, 47],
                                        "wrong": [5, 3]})
    print(f"Demo workspace '{ws.name}' ready in the store at {mlws_home()} (MLWS_HOME); "
          f"config written to {DEMO_DIR / '.azureml'}")


if __name__ == "__main__":
    main()
