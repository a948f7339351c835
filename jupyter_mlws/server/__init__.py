"""The jupyter-server extension: the REST API of jupyter_mlws under ``{base_url}mlws/api/v1``."""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Deferred: jupyter-server lists extensions at start; the app (tornado, pydantic, the
    # table) loads only when the extension does.
    from .app import MlwsApp

    return [{"module": "jupyter_mlws.server.app", "app": MlwsApp}]
