"""Kernelspecs of compute instances: a started instance is a Jupyter kernel in the picker.

A kernelspec is a folder ``<jupyter data dir>/kernels/<name>/`` holding ``kernel.json``;
JupyterLab lists every such folder. Writing it starts the "instance", removing it stops it.
The kernel runs the instance's interpreter with the store settings of its workspace, so
``Workspace.from_config()``/``Run.get_context()`` inside it find the same store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

KERNEL_PREFIX = "mlws-"


def kernel_name(workspace_name: str, instance_name: str) -> str:
    """``mlws-<workspace>-<instance>``, lowercased to the characters kernelspec names allow."""
    raw = f"{KERNEL_PREFIX}{workspace_name}-{instance_name}".lower()
    return re.sub(r"[^a-z0-9._-]", "-", raw)


def kernels_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir  # on use: jupyter_core paths

    return Path(jupyter_data_dir()) / "kernels"


def install_kernelspec(name: str, display_name: str, interpreter: str,
                       env: dict[str, str], metadata: dict[str, Any] | None = None) -> Path:
    """Write (or replace) the kernelspec ``name``; returns its folder."""
    folder = kernels_dir() / name
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    spec = {
        "argv": [interpreter, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "env": env,
        "metadata": {"debugger": True, "mlws": metadata or {}},
    }
    (partial / "kernel.json").write_text(json.dumps(spec, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    return folder


def remove_kernelspec(name: str) -> bool:
    """Remove the kernelspec ``name``; True if it existed."""
    folder = kernels_dir() / name
    if not folder.exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def kernelspec_exists(name: str) -> bool:
    return (kernels_dir() / name / "kernel.json").is_file()


__all__ = ["install_kernelspec", "kernel_name", "kernels_dir", "kernelspec_exists",
           "remove_kernelspec"]
