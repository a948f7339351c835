"""One row of the operation table, and what every face does with a row: parse and validate a
request (path, query, body), call the store, shape the answer.

The server's routes (``server/routes.py``), the HTTP store (``store/http``), the RunDetails
widget's comm (``widgets/data.py``), the OpenAPI document (``api/openapi.py``) and the
TypeScript types (``api/typescript.py``) are all generated from these rows.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from ..store.base import Store
from ..store.errors import InvalidInputError
from .types import PATH_PARAMS, REPEATED

# Azure's resource provider: every action an operation declares is relative to it.
ACTION_PREFIX = "Microsoft.MachineLearningServices/"
API_PREFIX = "/mlws/api/v1"
KiB, MiB = 1024, 1024 * 1024
DEFAULT_MAX_BODY = 1 * MiB

# What the request touches, i.e. how the authorization point finds the workspace:
SCOPES = (
    "server",  # no workspace (workspace listing and creation, the document, the live socket)
    "workspace",  # the path's workspace_id
    "run",  # the workspace of the path's run_id (looked up)
    "experiment",  # the workspace of the path's experiment_id
    "snapshot",  # the workspace of the path's snapshot_id
    "runs",  # the workspaces of the runs the body names (run_ids, or a metric batch's runs)
    "global",  # every workspace at once (custom roles, assignments on all workspaces, audit)
    "assignment",  # the workspace of the path's role assignment (every workspace: global)
)
# How the body travels: a JSON object (``body`` model), bytes read whole, or a stream.
BODY_KINDS = ("none", "json", "bytes", "stream")
# How the answer travels: JSON (``response`` model), nothing (204), a file, or a socket.
RESPONSE_KINDS = ("json", "empty", "file", "websocket")


class RequestInvalid(InvalidInputError):
    """A request that does not fit its operation: HTTP 400 with a message naming the field."""


def describe(error: ValidationError, where: str) -> str:
    """A one-line message for a validation error; never echoes the input value."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        location = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            parts.append(f"unknown {where} field {location!r}")
        elif item["type"] == "missing":
            parts.append(f"{where} field {location!r} is required")
        elif item["type"] == "json_invalid":
            detail = item["msg"].split(": ", 1)[-1]
            if "hex escape" in detail:  # the parser's words for half of a surrogate pair
                detail = f"a lone surrogate or broken \\u escape: {detail}"
            parts.append(f"the {where} is not valid JSON ({detail})")
        elif location:
            parts.append(f"{where} field {location!r}: {item['msg']}")
        else:
            parts.append(f"{where}: {item['msg']}")
    return "Invalid request: " + "; ".join(parts) + "."


@dataclass
class Request:
    """A validated request: path parameters, the query model and the body (a model, bytes or a
    readable stream, depending on the operation)."""

    params: dict[str, Any]
    query: BaseModel | None = None
    body: Any = None
    actor: str = ""  # who acts, as the server authenticated them (recorded, never trusted)

    def args(self) -> dict[str, Any]:
        """Path parameters, query fields and body fields as one set of keyword arguments:
        the store method's own names (REST keys equal store keys)."""
        args = dict(self.params)
        for part in (self.query, self.body):
            if isinstance(part, BaseModel):
                skip = getattr(part, "scope_fields", frozenset())
                args.update({name: getattr(part, name) for name in type(part).model_fields
                             if name not in skip})
        return args


Call = Callable[[Store, Request], Any]
Shape = Callable[[Any, Request], Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the API. See docs/internals.md ("The operation table")."""

    id: str  # the OpenAPI operationId
    method: str  # GET, POST, PUT, PATCH, DELETE
    path: str  # relative to API_PREFIX; {names} from types.PATH_PARAMS
    # Azure-shaped, relative to ACTION_PREFIX ("workspaces/experiments/runs/read"), or another
    # provider's in full ("Microsoft.Authorization/roleAssignments/write").
    action: str
    summary: str
    scope: str
    store: str | None = None  # the Store method it calls; None: a server service (server/)
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None  # the JSON body's model (body_kind "json")
    body_kind: str = "none"
    response: Any = None  # the JSON answer's model or type (response_kind "json")
    response_kind: str = "json"
    status: int = 200
    call: Call | None = None  # request -> store call; default: store method(**request.args())
    shape: Shape | None = None  # store result -> response body; default: the result as is
    # Bytes; a larger body is refused before it is read. None: the server's upload limit.
    max_body: int | None = DEFAULT_MAX_BODY
    errors: tuple[int, ...] = ()  # statuses documented on top of 400/401/403/404
    # The asset kind and name a policy sees (authz.MlwsResource); default: from the action
    # and the last path parameter.
    resource: str = ""
    resource_name: Callable[[Request], str | None] | None = None
    widget: str | None = None  # the RunDetails comm op answered by this operation
    # The widget's arguments for its run (or a descendant): default {"run_id": run.id}.
    widget_args: Callable[[Any], dict[str, Any]] | None = None
    widget_aliases: dict[str, str] = field(default_factory=dict)  # comm name -> REST name
    # For listings: the workspace of each listed item, so a caller only sees what it may read.
    item_workspace: Callable[[Any], str] | None = None
    tag: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # OpenAPI fields of this operation

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"{self.id}: unknown scope {self.scope!r}")
        if self.body_kind not in BODY_KINDS or self.response_kind not in RESPONSE_KINDS:
            raise ValueError(f"{self.id}: unknown body or response kind")
        if (self.body is not None) != (self.body_kind == "json"):
            raise ValueError(f"{self.id}: a JSON body needs a body model, and only it")
        for name in self.path_names:
            if name not in PATH_PARAMS:
                raise ValueError(f"{self.id}: path parameter {name!r} is not in PATH_PARAMS")

    # ---- the path
    @property
    def path_names(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def full_action(self) -> str:
        return self.action if self.action.startswith("Microsoft.") else ACTION_PREFIX + self.action

    def action_for(self, params: dict[str, Any]) -> str:
        """The full action of a request: an asset operation's ``{kind}s`` becomes its kind's
        plural (``workspaces/environments/read``). A kind ``<kind>_<part>`` is part of its
        kind (a model's ``model_alias`` and ``model_history`` are ``workspaces/models/...``),
        so a policy on models covers them."""
        kind = str(params.get("kind", "asset")).split("_", 1)[0]
        return self.full_action.format(kind=kind)

    @property
    def verb(self) -> str:
        """read | write | delete | execute (Azure's ``.../action``), for coarse checks."""
        last = self.action.rsplit("/", 1)[-1]
        return "execute" if last == "action" else last

    @cached_property
    def params_model(self) -> type[BaseModel]:
        fields: Any = {name: (PATH_PARAMS[name].annotation, ...) for name in self.path_names}
        return create_model(f"{self.id}Path", **fields)

    def url_path(self, params: dict[str, Any], quote: Callable[[str, str], str]) -> str:
        """The path with ``params`` filled in; ``quote(value, safe)`` encodes each value."""
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return quote(str(params[name]), "/" if PATH_PARAMS[name].spans_slashes else "")

        return re.sub(r"\{(\w+)\}", fill, self.path)

    # ---- parsing
    def parse_params(self, raw: dict[str, str]) -> dict[str, Any]:
        try:
            return self.params_model.model_validate(raw).model_dump()
        except ValidationError as exc:
            raise RequestInvalid(describe(exc, "path")) from None

    def parse_query(self, raw: dict[str, list[str]]) -> BaseModel | None:
        """A query string (each name with the values given) as the operation's query model.
        A name given twice is refused unless its field is a list."""
        if self.query is None:
            return None
        values: dict[str, Any] = {}
        fields = {info.alias or name: info for name, info in self.query.model_fields.items()}
        for name, given in raw.items():
            info = fields.get(name)
            if info is not None and (_is_list(info.annotation) or REPEATED in info.metadata):
                values[name] = list(given)
            elif len(given) > 1:
                raise RequestInvalid(f"Query parameter {name!r} given more than once.")
            elif given and given[0] != "":
                values[name] = given[0]
        try:
            return self.query.model_validate(values)
        except ValidationError as exc:
            raise RequestInvalid(describe(exc, "query")) from None

    def parse_body(self, raw: bytes) -> BaseModel:
        assert self.body is not None
        try:
            return self.body.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise RequestInvalid(describe(exc, "body")) from None

    def parse_dict(self, args: dict[str, Any]) -> Request:
        """A request given as one dict of arguments (the widget's comm): path parameters,
        query fields and body fields by name."""
        names = set(self.path_names)
        params = self.parse_params({k: v for k, v in args.items() if k in names})
        query = None
        if self.query is not None:
            fields = {k: v for k, v in args.items() if k in self.query.model_fields}
            unknown = set(args) - names - set(fields)
            if unknown:
                raise RequestInvalid(f"Unknown argument(s): {', '.join(sorted(unknown))}.")
            try:
                query = self.query.model_validate(fields, strict=True)
            except ValidationError as exc:
                raise RequestInvalid(describe(exc, "argument")) from None
        return Request(params=params, query=query)

    # ---- answering
    def execute(self, store: Store, request: Request) -> Any:
        """Call the store for ``request``: the row's ``call``, else its store method with the
        request's arguments."""
        if self.call is not None:
            return self.call(store, request)
        if self.store is None:
            raise TypeError(f"{self.id} is a server service, not a store call")
        return getattr(store, self.store)(**request.args())

    def answer(self, result: Any, request: Request) -> Any:
        """The response body (not yet JSON) of a store result."""
        return self.shape(result, request) if self.shape is not None else result

    def invoke(self, store: Store, request: Request) -> Any:
        return self.answer(self.execute(store, request), request)


def body_field(name: str) -> Callable[[Request], str | None]:
    """A ``resource_name`` read from the body: None until the body has been read (the
    authorization point checks such operations again once it has)."""
    def read(request: Request) -> str | None:
        return None if request.body is None else getattr(request.body, name)

    return read


def _is_list(annotation: Any) -> bool:
    """Whether a (possibly optional, possibly annotated) query field holds a list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return origin is list or any(_is_list(arg) for arg in typing.get_args(annotation)
                                 if arg is not type(None) and typing.get_origin(arg) is not None)


__all__ = ["ACTION_PREFIX", "API_PREFIX", "DEFAULT_MAX_BODY", "KiB", "MiB", "Operation",
           "Request", "RequestInvalid", "body_field", "describe"]
