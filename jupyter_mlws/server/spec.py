"""The OpenAPI document of the REST API, kept next to the code as ``openapi.json``."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import MlwsHandler

API_PREFIX = "/mlws/api/v1"


@cache
def openapi_document() -> dict[str, Any]:
    """The document as shipped; paths are relative to ``{base_url}mlws/api/v1``."""
    return json.loads(files(__package__).joinpath("openapi.json").read_text("utf-8"))


class OpenApiHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize("read", MlwsResource("api"))
        document = dict(openapi_document())
        # Point "servers" at this server's mount point, so clients and tools need no setup.
        document["servers"] = [{"url": self.base_url.rstrip("/") + API_PREFIX}]
        self.send_json(document)
