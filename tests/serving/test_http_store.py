"""The SDK's models and services with a server-backed store (MLWS_TRACKING_URI): registering,
deploying, scoring and monitoring record through the server's REST rows, and the server's own
model and service rows see what the SDK made."""

from __future__ import annotations

import httpx
import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.model import Model
from jupyter_mlws.core.webservice import LocalWebservice, Webservice
from tests.helpers import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.mark.parametrize("mlws_store_backend", ["http"], indirect=True)
def test_deploy_score_and_monitor_through_the_server(workspace: Workspace, model: Model,
                                                     source, deploy, mlws_http_server,
                                                     sql_view) -> None:
    assert type(workspace._store).__name__ == "HttpStore"
    model.set_alias("production")
    service = deploy("svc-http", [model], source(), LocalWebservice.deploy_configuration())
    assert service.run({"data": [1, 2]})["y"] == [3.0, 5.0]
    figures = wait_until(lambda: (m := service.get_service_metrics())["requests"] == 1 and m,
                         30, 0.2, "the request recorded through the server")
    assert figures["errors"] == 0
    # The server's own database holds the model, the service and the monitoring points.
    ws_id = workspace._record.id
    assert [a.name for a in sql_view.list_assets(ws_id, "service")] == ["svc-http"]
    assert sum(sql_view.get_metric_series(service.run_id, "requests").value) == 1
    # ... and its model and service rows answer from them.
    headers = {"Authorization": f"token {mlws_http_server.token}"}
    base = f"{mlws_http_server.uri}/api/v1/workspaces/{ws_id}"
    models = httpx.get(f"{base}/models", headers=headers).json()["models"]
    assert [(m["id"], m["aliases"], m["used_by"]) for m in models] == [
        ("lin:1", ["production"], ["svc-http"])]
    listed = httpx.get(f"{base}/services", headers=headers).json()["services"]
    assert [(s["name"], s["state"]) for s in listed] == [("svc-http", "Healthy")]
    service.delete()
    assert Webservice.list(workspace) == []
