"""One replica of a service: ``python -m jupyter_mlws.execution.serving.replica <config>``.

Started by the service daemon inside the service's environment, with the working folder set to
the service's copy of its source folder, ``AZUREML_MODEL_DIR`` pointing at the models, and the
service's listening socket inherited as file descriptor ``MLWS_LISTEN_FD``: every replica
accepts on the same socket (one port, no proxy hop), and a replica that stops closes only its
own copy of it, so no connection waiting to be accepted is ever reset (with separate
``SO_REUSEPORT`` listeners the kernel resets the connections queued on a listener that
closes).

Start-up: import the entry script, call ``init()``; a failure exits with ``INIT_FAILED``
after printing the traceback (the daemon then marks the deployment Failed, with it). Then it
serves and writes its ready file. SIGTERM drains: no new connection is taken, requests in
progress finish, and each idle keep-alive connection gets one more request answered (with
``Connection: close``) or is closed after ``IDLE_DRAIN_SECONDS``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import collector
from .recorder import Recorder

INIT_FAILED = 3
IDLE_DRAIN_SECONDS = 2.0
# A keep-alive connection is answered with ``Connection: close`` once it is this old, so
# clients reconnect and spread over the replicas (a new replica gets its share of a load
# whose connections were all opened before it started).
MAX_CONNECTION_SECONDS = 2.0


def _load_entry_script(path: str) -> Any:
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the entry script {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for function in ("init", "run"):
        if not callable(getattr(module, function, None)):
            raise AttributeError(f"the entry script {os.path.basename(path)} defines no "
                                 f"{function}() function (v1's contract: init() and "
                                 "run(raw_data))")
    return module


def _draining_protocol() -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # uvicorn on use

    class DrainingProtocol(HttpToolsProtocol):  # type: ignore[misc]
        """On shutdown, an idle keep-alive connection is not cut at once: a request already
        on its way is answered (with ``Connection: close``). Connections older than
        MAX_CONNECTION_SECONDS are closed after their next answer."""

        _draining = False
        _opened = 0.0

        def connection_made(self, transport: Any) -> None:
            self._opened = time.monotonic()
            super().connection_made(transport)

        def shutdown(self) -> None:
            if self.cycle is None or self.cycle.response_complete:
                self._draining = True
                self.loop.call_later(IDLE_DRAIN_SECONDS, self._close_if_idle)
            else:
                self.cycle.keep_alive = False

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            if self.cycle is not None and (
                    self._draining or time.monotonic() - self._opened > MAX_CONNECTION_SECONDS):
                self.cycle.keep_alive = False

        def _close_if_idle(self) -> None:
            idle = self.cycle is None or self.cycle.response_complete
            if idle and not self.transport.is_closing():
                self.transport.close()

    return DrainingProtocol


def _write_ready(path: str) -> None:
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid()}, handle)
    os.replace(partial, path)


def serve(config: dict[str, Any]) -> int:
    from .app import KeyRing, ScoringApp, log  # optional: may be absent

    sock = socket.socket(fileno=int(os.environ["MLWS_LISTEN_FD"]))
    try:
        module = _load_entry_script(config["entry_script"])
        module.init()
    except BaseException as exc:  # SyntaxError, SystemExit from init... all are init failures
        log(f"init failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        return INIT_FAILED
    import uvicorn  # uvicorn on use

    collect_dir = config.get("collect_dir")
    recorder = Recorder(Path(config["requests_dir"]), Path(collect_dir) if collect_dir else None,
                        config["replica"])
    if os.environ.get("MLWS_SERVICE_RECORDING") == "off":
        # Only for measuring what recording costs (benchmarks/bench_serving.py).
        recorder.record = lambda *_args: None  # type: ignore[method-assign]

    collector.bind(recorder)
    keys = KeyRing(config["keys_file"]) if config.get("auth_enabled") else None
    scoring = ScoringApp(module.run, recorder, service=config["service"],
                         replica=config["replica"], keys=keys,
                         collect=bool(collect_dir), aks_prefix=config.get("aks_paths", False))

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            _write_ready(config["ready_file"])

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    server = Server(uvicorn.Config(
        scoring.app, http=_draining_protocol(), loop=loop, lifespan="off", access_log=False,
        interface="asgi3", proxy_headers=False,  # no client address is read: no middleware
        log_level="warning", timeout_keep_alive=5, timeout_graceful_shutdown=30,
        server_header=False))
    log(f"replica {config['replica']} (pid {os.getpid()}) serving generation "
        f"{config['generation']}")
    try:
        server.run(sockets=[sock])
    finally:
        recorder.close()
    log(f"replica {config['replica']} (pid {os.getpid()}) stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_mlws.execution.serving.replica <config.json>",
              file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as handle:
        return serve(json.load(handle))


if __name__ == "__main__":
    sys.exit(main())
