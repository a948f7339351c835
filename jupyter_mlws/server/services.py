"""Models and deployed services over REST: the registry (versions with aliases, history),
services with their state, figures and logs, and the studio's test console (a request sent
to a service through the server, with the service's key). Thin handlers over the SDK; they
become rows of the operation table when that lands."""

from __future__ import annotations

import time
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..exceptions import WebserviceException
from .authz import MlwsResource
from .base import ApiError, MlwsHandler, check_id
from .compute import _workspace, call_sdk

MAX_CONSOLE_BODY = 1 << 20


def _sdk(handler: MlwsHandler, record: Any) -> Any:
    return _workspace(handler.store, record)


def _not_found(exc: WebserviceException) -> ApiError:
    text = str(exc)
    status = 404 if "NotFound" in text else 400
    return ApiError(status, text)


async def _call(fn: Any) -> Any:
    try:
        return await call_sdk(fn)
    except ApiError as exc:
        raise exc
    except WebserviceException as exc:  # pragma: no cover - call_sdk maps AzureMLException
        raise _not_found(exc) from exc


class ModelsHandler(MlwsHandler):
    """``GET .../models``: versions (``?name=``, ``?latest=true``, ``?run_id=``), newest
    first per name, each with its aliases and files."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        name = self.query_str("name", max_length=255)
        run_id = self.query_str("run_id", max_length=255)
        latest = self.query_bool("latest", False)
        self.authorize("read", MlwsResource("asset", workspace_id, "model"))
        record = await self.load_workspace(workspace_id)

        def listing() -> list[dict[str, Any]]:
            from ..core.model import Model

            return [m.serialize() for m in Model.list(_sdk(self, record), name=name or None,
                                                      run_id=run_id or None, latest=latest)]

        self.send_json({"models": await _call(listing)})


class ModelHistoryHandler(MlwsHandler):
    """``GET .../models/{name}/history``: the registry's events of one model, oldest first."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_id(name, "model name")
        self.authorize("read", MlwsResource("asset", workspace_id, f"model/{name}"))
        record = await self.load_workspace(workspace_id)

        def events() -> list[dict[str, Any]]:
            from ..core.model import Model

            return Model.history(_sdk(self, record), name)

        self.send_json({"events": await _call(events)})


class ServicesHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("asset", workspace_id, "service"))
        record = await self.load_workspace(workspace_id)

        def listing() -> list[dict[str, Any]]:
            from ..core.webservice import Webservice

            return [s.serialize() for s in Webservice.list(_sdk(self, record))]

        self.send_json({"services": await _call(listing)})


class _ServiceHandler(MlwsHandler):
    def _service(self, record: Any, name: str) -> Any:
        from ..core.webservice import Webservice

        try:
            return Webservice(_sdk(self, record), name)
        except WebserviceException as exc:
            raise _not_found(exc) from exc

    async def _checked(self, action: str, workspace_id: str, name: str) -> Any:
        check_id(workspace_id, "workspace id")
        check_id(name, "service name")
        self.authorize(action, MlwsResource("asset", workspace_id, f"service/{name}"))
        return await self.load_workspace(workspace_id)


class ServiceHandler(_ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        record = await self._checked("read", workspace_id, name)
        self.send_json(await _call(lambda: self._service(record, name).serialize()))


class ServiceMetricsHandler(_ServiceHandler):
    """``GET .../services/{name}/metrics?since=&until=`` (epoch seconds)."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        since = self.query_int("since", None, minimum=0, maximum=2**40)
        until = self.query_int("until", None, minimum=0, maximum=2**40)
        record = await self._checked("read", workspace_id, name)
        self.send_json(await _call(
            lambda: self._service(record, name).get_service_metrics(since, until)))


class ServiceLogsHandler(_ServiceHandler):
    """``GET .../services/{name}/logs?num_lines=``: daemon, build and replica logs."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        lines = self.query_int("num_lines", 5000, minimum=1, maximum=100_000)
        record = await self._checked("read", workspace_id, name)
        self.send_json({"logs": await _call(
            lambda: self._service(record, name).get_logs(num_lines=lines))})


class ServiceScoreHandler(_ServiceHandler):
    """``POST .../services/{name}/score``: the test console. The body goes to the service as
    is (with the service's key when it needs one); the answer is
    ``{"status", "body", "latency_ms"}`` whatever the service said."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, name: str) -> None:
        body = self.request.body or b""
        if len(body) > MAX_CONSOLE_BODY:
            raise ApiError(413, "The test console sends at most 1 MB")
        record = await self._checked("execute", workspace_id, name)

        def send() -> dict[str, Any]:
            import httpx

            service = self._service(record, name)
            if not service.scoring_uri:
                raise ApiError(409, f"Service {name!r} is {service.state}: it has no "
                                    "scoring URI")
            headers = {"Content-Type": "application/json"}
            if service.auth_enabled:
                headers["Authorization"] = f"Bearer {service.get_keys()[0]}"
            started = time.perf_counter()
            try:
                answer = httpx.post(service.scoring_uri, content=body, headers=headers,
                                    timeout=60)
            except httpx.HTTPError as exc:
                raise ApiError(502, f"Service {name!r} did not answer: {exc}") from exc
            return {"status": answer.status_code, "body": answer.text,
                    "latency_ms": (time.perf_counter() - started) * 1000}

        self.send_json(await _call(send))


__all__ = ["ModelHistoryHandler", "ModelsHandler", "ServiceHandler", "ServiceLogsHandler",
           "ServiceMetricsHandler", "ServiceScoreHandler", "ServicesHandler"]
