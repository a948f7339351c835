"""``Webservice.wait_for_deployment``: poll the service (its daemon's status file, through
``refresh()``) until the current generation's operation has ended, printing v1's lines."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from ...exceptions import WebserviceException

if TYPE_CHECKING:
    from .webservice import Webservice

TERMINAL_OPERATION = ("Succeeded", "Failed")
_TITLES = {"Local": "Local service", "ACI": "ACI service", "AKS": "AKS service"}


def wait_for_deployment(service: Webservice, show_output: bool = False,
                        timeout_sec: float | None = None) -> None:
    """Return when the last deployment operation Succeeded; WebserviceException (with the
    cause and a pointer to ``get_logs()``) when it Failed or ``timeout_sec`` passed."""
    generation = service._record.state.get("generation", 1)
    limit = timeout_sec or 25 * 60
    deadline = time.monotonic() + limit
    last = None
    while True:
        service.refresh()
        operation = service._live("operation") or {}
        if service.state == "Failed" and operation.get("generation") in (None, generation) \
                and (operation.get("state") in TERMINAL_OPERATION or not service._status):
            break
        if operation.get("generation") == generation and \
                operation.get("state") in TERMINAL_OPERATION:
            break
        if show_output and service.state != last:
            print(service.state, flush=True)
            last = service.state
        if time.monotonic() > deadline:
            raise WebserviceException(f"Service {service.name!r} is still {service.state} "
                                      f"after {limit:g} s")
        time.sleep(0.1)  # polling the daemon's status file
    failed = service.state == "Failed" or operation.get("state") == "Failed"
    if show_output:
        title = _TITLES.get(service.compute_type, "Service") + " creation"
        print(f'{title} operation finished, operation "{"Failed" if failed else "Succeeded"}"')
        if not failed and service.compute_type == "Local":
            print(f"Local webservice is running at http://localhost:{service.port}")
    if failed:
        error = operation.get("error") or service.error or {}
        raise WebserviceException(
            f"Service deployment polling reached non-successful terminal state, current "
            f"service state: {service.state}\nOperation ID: {service.name}:{generation}\n"
            f"Error:\n{json.dumps(error, indent=2)}\nMore information can be found with "
            "service.get_logs().")


__all__ = ["TERMINAL_OPERATION", "wait_for_deployment"]
