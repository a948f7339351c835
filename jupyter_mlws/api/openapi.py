"""The OpenAPI 3.1 document, generated from the operation table and its pydantic models.

Served at ``{base_url}mlws/api/v1/openapi.json`` (the server adds ``servers``); nothing is
committed: the document is always the table's. ``x-action`` names each operation's
authorization action, ``x-scope`` how the workspace it touches is found, ``x-store-method``
the Store method behind it and ``x-max-body`` the largest body it reads.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from .live import LiveClientMessage, LiveServerMessage
from .operation import Operation
from .table import OPERATIONS
from .types import PATH_PARAMS, REPEATED, ResponseModel

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Workspaces, experiments, runs, metrics, files, assets and compute of jupyter_mlws, served "
    "by the jupyter-server extension under {base_url}mlws/api/v1. Every operation needs "
    "jupyter-server authentication (token or cookie) and passes one authorization point with "
    "the Azure-shaped action it declares (x-action). JSON has no NaN/Infinity: non-finite "
    "numbers are the strings \"NaN\", \"Infinity\" and \"-Infinity\" (see MetricValue). "
    "Generated from jupyter_mlws.api (the operation table).")

ERRORS = {
    400: ("BadRequest", "Invalid parameter or body"),
    401: ("Unauthorized", "Not authenticated"),
    403: ("Forbidden", "Not authenticated (jupyter-server answers 403) or not allowed"),
    404: ("NotFound", "No such workspace, experiment, run, metric or file"),
    409: ("Conflict", "Conflicts with the current state (name taken, file exists)"),
    413: ("TooLarge", "The body is larger than this operation accepts"),
    416: ("RangeNotSatisfiable", "The Range lies outside the file"),
    500: ("ArtifactCorrupt", "A stored file does not match the size or SHA-256 recorded when "
                             "it was written (reason ArtifactCorrupt; the message names the "
                             "artifact). Found while streaming, the body is cut short instead "
                             "(fewer bytes than Content-Length)."),
    502: ("BadGateway", "A deployed service the server forwards to did not answer"),
}
ERROR_REASONS = ("InvalidInput", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                 "PayloadTooLarge", "RangeNotSatisfiable", "ArtifactCorrupt", "InternalError",
                 "BadGateway")


class Error(ResponseModel):
    """Every error body. ``reason`` is machine readable: InvalidInput, Unauthorized,
    Forbidden, NotFound, Conflict, PayloadTooLarge, RangeNotSatisfiable, ArtifactCorrupt,
    InternalError."""

    message: str
    reason: str


def _models() -> list[type[BaseModel]]:
    """Every model the document names, each once (bodies, answers, live messages)."""
    found: list[type[BaseModel]] = [Error, LiveClientMessage, LiveServerMessage]
    for op in OPERATIONS:
        for model in (op.body, op.response):
            if isinstance(model, type) and issubclass(model, BaseModel) and model not in found:
                found.append(model)
    return found


def _schema(annotation: Any) -> dict[str, Any]:
    return TypeAdapter(annotation).json_schema(ref_template=REF)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in op.path_names:
        spec = PATH_PARAMS[name]
        params.append({"name": name, "in": "path", "required": True,
                       "description": spec.description, "schema": _schema(spec.annotation)})
    if op.query is not None:
        properties = op.query.model_json_schema(ref_template=REF, by_alias=True)["properties"]
        for field_name, info in op.query.model_fields.items():
            name = info.alias or field_name
            schema = _without_null(dict(properties[name]))
            description = schema.pop("description", None) or info.description
            schema.pop("title", None)
            if schema.get("default", 0) is None:
                del schema["default"]  # "absent", which a parameter says by being optional
            param: dict[str, Any] = {"name": name, "in": "query",
                                     "required": info.is_required(), "schema": schema}
            if description:
                param["description"] = description
            if REPEATED in info.metadata or schema.get("type") == "array":
                param.update(style="form", explode=True)
            params.append(param)
    return params


@cache
def _schemas() -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """(model -> its $ref schema, the components' schemas)."""
    mapping, top = models_json_schema([(model, "validation") for model in _models()],
                                      ref_template=REF)
    return {model: schema for (model, _), schema in mapping.items()}, top.get("$defs", {})


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: an optional one is simply absent, never "null"."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        outer = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**outer, **rest[0]} if len(rest) == 1 else {**outer, "anyOf": rest}
    return schema


def _json(model: Any) -> dict[str, Any]:
    refs = _schemas()[0]
    return {"application/json": {"schema": refs[model] if model in refs else _schema(model)}}


def _operation(op: Operation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": op.id, "summary": op.summary, "tags": [op.tag],
        "x-action": op.full_action, "x-scope": op.scope}
    if op.description:
        entry["description"] = op.description
    if op.store:
        entry["x-store-method"] = op.store
    if op.widget:
        entry["x-widget-op"] = op.widget
    parameters = _parameters(op)
    if parameters:
        entry["parameters"] = parameters
    if op.body_kind == "json":
        entry["requestBody"] = {"required": True, "content": _json(op.body)}
    elif op.body_kind in ("bytes", "stream"):
        entry["requestBody"] = {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    if op.body_kind != "none":
        entry["x-max-body"] = op.max_body if op.max_body is not None else "max_upload_bytes"
    responses: dict[str, Any] = {}
    if op.response_kind == "json":
        responses[str(op.status)] = {"description": op.summary, "content": _json(op.response)}
    elif op.response_kind == "empty":
        responses[str(op.status)] = {"description": op.summary}
    elif op.response_kind == "file":
        media = op.extra.get("x-content-type", "application/octet-stream")
        content = {media: {"schema": {"type": "string", "format": "binary"}}}
        responses["200"] = {"description": op.summary, "content": content}
        if 416 in op.errors:
            responses["206"] = {"description": "Partial Content (a Range)", "content": content}
    else:  # websocket
        responses["101"] = {"description": "Switching Protocols: the WebSocket is open"}
    statuses = sorted({400, 401, 403, 404, *op.errors} - {413} | (
        {413} if op.body_kind != "none" else set()))
    for status in statuses:
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    entry["responses"] = responses
    entry.update({k: v for k, v in op.extra.items() if k != "x-content-type"})
    return entry


@cache
def openapi_document() -> dict[str, Any]:
    """The document; paths are relative to ``{base_url}mlws/api/v1``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter_mlws REST API", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": "/mlws/api/v1"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas()[1],
            "responses": {name: {"description": text, "content": _json(Error)}
                          for name, text in ERRORS.values()},
            "securitySchemes": {"token": {"type": "apiKey", "in": "header",
                                          "name": "Authorization",
                                          "description": "`token <jupyter server token>`"}},
        },
    }


__all__ = ["ERRORS", "ERROR_REASONS", "Error", "openapi_document"]
