"""jupyter_mlws: a self-hosted ML workspace inside Jupyter.

The SDK mirrors ``azureml.core``: ``from jupyter_mlws.core import Workspace, Experiment, Run``.
Importing this package stays cheap; submodules load on first use.
"""

__version__ = "0.1.0"
