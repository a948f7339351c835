"""jupyter_mlws: a self-hosted ML workspace inside Jupyter.

The SDK mirrors ``azureml.core``: ``from jupyter_mlws.core import Workspace, Experiment, Run``.
Importing this package stays cheap; submodules load on first use.
"""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict]:
    """Entry point of the jupyter-server extension (imported only when the server loads it)."""
    # cycle: the server package imports this one
    from .server import _jupyter_server_extension_points as points

    return points()


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext jupyter_mlws``: the ``%mlws`` / ``%%mlws`` magics (loaded only then)."""
    from .magics import load_ipython_extension as load  # on use: IPython only in a kernel

    load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives (for ``jupyter-builder develop``)."""
    return [{"src": "labextension", "dest": "jupyter-mlws"}]
