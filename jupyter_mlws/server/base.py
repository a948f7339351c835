"""What every handler of the extension shares: the JSON error body and the one mapping from
errors to HTTP statuses."""

from __future__ import annotations

import asyncio
import json
import re
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from ..core.identity import current_identity
from ..exceptions import AzureMLException
from ..store.codec import dumps
from .authz import AUTH_RESOURCE, AuthorizationError
from .identity import RunUser, identity_name

if TYPE_CHECKING:
    from .app import MlwsApp

# Machine-readable error reasons by status (api/openapi.py documents them).
REASONS = {400: "InvalidInput", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
           416: "RangeNotSatisfiable", 500: "InternalError",
           502: "BadGateway"}  # and errors' own (ArtifactCorrupt)
# A submitted run's credential (server/identity.py), in jupyter-server's header forms.
_RUN_TOKEN = re.compile(r"^(?:token|bearer)\s+(mlwsrun_\S+)$", re.IGNORECASE)


class ApiError(HTTPError):
    """An HTTP error with a message for the client and a machine-readable reason."""

    def __init__(self, status_code: int, message: str, reason: str | None = None) -> None:
        super().__init__(status_code, log_message=message.replace("%", "%%"))
        self.message = message
        self.error_reason = reason or REASONS.get(status_code, "Error")


def http_status(exc: BaseException) -> int:
    """The one mapping from an error to its HTTP status: the ``status_code`` store errors (and
    the SDK's exceptions) carry; other user errors are 400, anything else 500."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or not 400 <= status < 600:
        status = 400 if isinstance(exc, AzureMLException) else 500
    return status


def api_error(exc: BaseException) -> ApiError:
    """``exc`` (a store or SDK error) as the HTTP error the client gets; an error's own
    ``reason`` (e.g. ArtifactCorrupt) is kept."""
    return ApiError(http_status(exc), str(exc), getattr(exc, "reason", None))


def error_body(status_code: int, exc: BaseException | None) -> dict[str, str]:
    """``{"message", "reason"}`` of an error; internals never leak."""
    if isinstance(exc, (ApiError, AuthorizationError)):
        return {"message": exc.message, "reason": exc.error_reason}
    if isinstance(exc, HTTPError) and exc.log_message:
        message = exc.log_message % exc.args if exc.args else exc.log_message
        return {"message": message, "reason": REASONS.get(status_code, "Error")}
    return {"message": responses.get(status_code, "Unknown HTTP Error"),
            "reason": REASONS.get(status_code, "Error")}


class MlwsHandler(ExtensionHandlerMixin, APIHandler):
    """The extension's handlers: JSON answers, JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def mlws(self) -> MlwsApp:
        return self.extensionapp  # type: ignore[return-value]

    # ---- identity: a run token stands for its run (server/identity.py)
    async def prepare(self) -> None:  # type: ignore[override]
        match = _RUN_TOKEN.match(self.request.headers.get("Authorization", ""))
        if match:
            app = self.mlws
            credential = await asyncio.to_thread(
                lambda: app.store.check_run_token(match.group(1)))
            if credential is not None:
                # jupyter-server's IdentityProvider returns a user already set; a token
                # authenticated request is exempt from XSRF and origin checks, like its own.
                self._jupyter_current_user = RunUser.of(credential)
                self._token_authenticated = True
        await super().prepare()

    @property
    def identity(self) -> str:
        """Who acts, as recorded on what this request creates. jupyter-server's own identity
        providers know one anonymous user per browser (a random name): there the server's
        user is the operating-system user it runs as, as in the SDK."""
        if not isinstance(self.current_user, RunUser) and type(self.identity_provider) in (
                IdentityProvider, PasswordIdentityProvider):
            return current_identity()
        return identity_name(self.current_user)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(error_body(status_code, exc)))

    def send_json(self, body: Any, status: int = 200) -> None:
        self.send_json_text(dumps(body), status)

    def send_json_text(self, text: str, status: int = 200) -> None:
        """Send JSON text already encoded (by :func:`~jupyter_mlws.store.codec.dumps`)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(text)


__all__ = ["REASONS", "ApiError", "MlwsHandler", "api_error", "error_body", "http_status"]
