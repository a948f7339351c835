"""Local and ACI-shaped services through the SDK: deploy, score, monitor, update without a
failed request, and every "bad input" of issue 12."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.model import InferenceConfig, Model
from jupyter_mlws.core.webservice import AciWebservice, LocalWebservice, Webservice
from jupyter_mlws.exceptions import WebserviceException
from tests.helpers import wait_until
from tests.serving.conftest import processes_of, score_script

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _metrics(service: Webservice) -> dict:
    return service.get_service_metrics()


def test_deploy_score_monitor_and_delete(workspace: Workspace, model: Model, source, deploy,
                                         mlws_home: Path) -> None:
    service = deploy("svc-basic", [model], source(), LocalWebservice.deploy_configuration())
    assert isinstance(service, LocalWebservice) and service.state == "Healthy"
    assert isinstance(Webservice(workspace, "svc-basic"), LocalWebservice)
    assert service.run({"data": [1, 2]})["y"] == [3.0, 5.0]
    assert service.run('{"data": [0]}')["y"] == [1.0]  # a JSON string is sent as is
    base = service.scoring_uri.rsplit("/", 1)[0]
    assert httpx.get(base + "/").text == "Healthy"
    swagger = httpx.get(service.swagger_uri).json()
    assert swagger["swagger"] == "2.0" and "/score" in swagger["paths"]
    for i in range(40):
        service.run({"data": [i]})
    for _ in range(3):
        with pytest.raises(WebserviceException, match="500"):
            service.run({"fail": True, "data": []})
    response = httpx.post(service.scoring_uri, content=b"\xff\xfe")
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]
    # Monitoring figures match what was sent: 42 answered, 3 server errors, 1 client error.
    figures = wait_until(lambda: (m := _metrics(service))["requests"] == 46 and m, 30,
                         0.2, "46 requests recorded")
    assert figures["errors"] == 3 and figures["client_errors"] == 1
    assert figures["error_rate"] == pytest.approx(3 / 46)
    assert figures["requests_by_replica"] == {"r1": 46}
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p99_ms"]
    assert figures["bytes_out"] > 0 and sum(figures["series"]["requests"]) == 46
    assert "run() raised ValueError: asked to fail" in service.get_logs()
    assert [s.name for s in Webservice.list(workspace)] == ["svc-basic"]
    assert [s.name for s in Webservice.list(workspace, model_name="lin")] == ["svc-basic"]
    assert Webservice.list(workspace, compute_type="AKS") == []
    run_id = service.run_id
    service.delete()
    assert not processes_of(mlws_home)
    with pytest.raises(WebserviceException, match="WebserviceNotFound"):
        Webservice(workspace, "svc-basic")
    assert workspace.get_run(run_id).get_status() == "Completed"  # its figures stay


def test_service_survives_the_process_that_deployed_it(workspace: Workspace, model: Model,
                                                       source, deploy, work_dir: Path) -> None:
    folder = source()
    script = work_dir / "deploy_and_exit.py"
    script.write_text(textwrap.dedent(f"""
        from jupyter_mlws.core import Workspace
        from jupyter_mlws.core.model import InferenceConfig, Model
        from jupyter_mlws.core.webservice import LocalWebservice
        ws = Workspace.get({workspace.name!r})
        service = Model.deploy(ws, "svc-detached", [Model(ws, "lin")],
                               InferenceConfig(entry_script="score.py",
                                               source_directory={str(folder)!r}),
                               LocalWebservice.deploy_configuration())
        service.wait_for_deployment()
    """))
    deploy_helper_cleans = deploy  # registers nothing; the test deletes the service itself
    assert deploy_helper_cleans is not None
    subprocess.run([sys.executable, str(script)], check=True, cwd=work_dir, timeout=120)
    service = Webservice(workspace, "svc-detached")
    try:
        assert service.state == "Healthy"
        assert service.run({"data": [3]})["y"] == [7.0]
    finally:
        service.delete()


@pytest.mark.parametrize("text, cause", [
    ("def init(:\n    pass\n", "SyntaxError"),
    ("def init():\n    raise RuntimeError('no weights here')\ndef run(raw):\n    return 1\n",
     "RuntimeError: no weights here"),
    ("def init():\n    pass\n", "defines no run() function"),
])
def test_broken_entry_scripts_fail_with_the_cause(workspace: Workspace, model: Model, source,
                                                  deploy, text: str, cause: str) -> None:
    service = deploy("svc-broken", [model], source(text=text),
                     LocalWebservice.deploy_configuration(), wait=False)
    with pytest.raises(WebserviceException, match="Failed") as failure:
        service.wait_for_deployment()
    assert cause in str(failure.value)
    service.refresh()
    assert service.state == "Failed"
    assert cause in service.get_logs()
    assert "init failed" in service.get_logs()


def test_run_returning_something_not_json(workspace: Workspace, model: Model, source,
                                          deploy) -> None:
    text = "import numpy\ndef init():\n    pass\ndef run(raw):\n    return numpy.arange(3)\n"
    service = deploy("svc-numpy", [model], source(text=text),
                     LocalWebservice.deploy_configuration())
    response = httpx.post(service.scoring_uri, content=b"{}")
    assert response.status_code == 500
    assert "not JSON-serializable (ndarray)" in response.json()["error"]
    assert "not JSON-serializable" in service.get_logs()
    service.refresh()
    assert service.state == "Healthy"  # one bad answer does not make the service unhealthy


def test_port_in_use(workspace: Workspace, model: Model, source, mlws_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(WebserviceException, match=f"Port {port} is already in use"):
            Model.deploy(workspace, "svc-port", [model],
                         InferenceConfig(entry_script="score.py",
                                         source_directory=str(source())),
                         LocalWebservice.deploy_configuration(port=port))
    with pytest.raises(WebserviceException, match="WebserviceNotFound"):
        Webservice(workspace, "svc-port")
    assert not processes_of(mlws_home)


def test_bad_deploy_arguments(workspace: Workspace, model: Model, source) -> None:
    config = InferenceConfig(entry_script="score.py", source_directory=str(source()))
    with pytest.raises(WebserviceException, match="webservice name"):
        Model.deploy(workspace, "Bad_Name", [model], config)
    with pytest.raises(WebserviceException, match="non-empty list"):
        Model.deploy(workspace, "svc-none", [], config)
    with pytest.raises(WebserviceException, match="no-code deployment"):
        Model.deploy(workspace, "svc-nocode", [model], None,
                     LocalWebservice.deploy_configuration())
    with pytest.raises(WebserviceException, match="was not found"):
        InferenceConfig(entry_script="missing.py", source_directory=str(source("other")))
    with pytest.raises(WebserviceException, match="port must be"):
        LocalWebservice.deploy_configuration(port=70000)


def test_keys(workspace: Workspace, model: Model, source, deploy) -> None:
    service = deploy("svc-keys", [model], source(),
                     AciWebservice.deploy_configuration(auth_enabled=True))
    primary, secondary = service.get_keys()
    assert primary and secondary and primary != secondary
    assert httpx.post(service.scoring_uri, content=b'{"data": [1]}').status_code == 401
    wrong = httpx.post(service.scoring_uri, content=b'{"data": [1]}',
                       headers={"Authorization": "Bearer not-the-key"})
    assert wrong.status_code == 401 and "get_keys" in wrong.json()["error"]
    for key in (primary, secondary):
        ok = httpx.post(service.scoring_uri, content=b'{"data": [1]}',
                        headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
    assert service.run({"data": [1]})["y"] == [3.0]  # run() sends the primary key
    service.regen_key("Primary")
    new_primary, same_secondary = service.get_keys()
    assert new_primary != primary and same_secondary == secondary

    def answer(key: str) -> int:
        return httpx.post(service.scoring_uri, content=b'{"data": [1]}',
                          headers={"Authorization": f"Bearer {key}"}).status_code

    wait_until(lambda: answer(primary) == 401 and answer(new_primary) == 200, 10, 0.1,
               "the regenerated key in use")
    with pytest.raises(WebserviceException, match="Primary"):
        service.regen_key("Tertiary")
    figures = wait_until(lambda: (m := service.get_service_metrics())["client_errors"] >= 3
                         and m, 30, 0.2, "401s recorded")
    assert figures["errors"] == 0


def test_model_deleted_while_used(workspace: Workspace, model: Model, source, deploy) -> None:
    service = deploy("svc-model", [model], source(), LocalWebservice.deploy_configuration())
    with pytest.raises(WebserviceException, match="used by service"):
        model.delete()
    # Deleted anyway, behind the SDK's back (e.g. through REST): the running service keeps
    # its copy; a reload that needs the model fails with the cause and keeps serving.
    workspace._store.delete_asset(workspace._record.id, "model", "lin", 1)
    service.reload()
    with pytest.raises(WebserviceException, match="no longer exists"):
        service.wait_for_deployment()
    service.refresh()
    assert service.state == "Healthy"
    assert service.run({"data": [1]})["y"] == [3.0]


def test_update_without_failed_requests(workspace: Workspace, model: Model, source,
                                        deploy) -> None:
    service = deploy("svc-update", [model], source(), LocalWebservice.deploy_configuration())
    uri = service.scoring_uri
    failures: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def load(keep_alive: bool) -> None:
        client = httpx.Client(timeout=30) if keep_alive else None
        try:
            while not stop.is_set():
                try:
                    response = (client.post(uri, content=b'{"data": [1]}') if client
                                else httpx.post(uri, content=b'{"data": [1]}', timeout=30))
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text}")
                    else:
                        versions.append(response.json()["version"])
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
        finally:
            if client:
                client.close()

    threads = [threading.Thread(target=load, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(versions) > 20, 30, 0.05, "load running")
        new_code = source("src-v2", score_script("v2"))
        service.update(inference_config=InferenceConfig(entry_script="score.py",
                                                        source_directory=str(new_code)))
        service.wait_for_deployment()
        seen = len(versions)
        wait_until(lambda: versions[-1] == "v2" and len(versions) > seen + 20, 30, 0.05,
                   "answers from the new code")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert failures == []
    assert versions[0] == "v1" and versions[-1] == "v2"
    service.refresh()
    assert service.state == "Healthy" and service.restarts == 0

    def replicas() -> list[int]:
        service.refresh()
        return [r["generation"] for r in service.replicas]

    wait_until(lambda: replicas() == [2], 60, 0.1, "the old replica drained and gone")


def test_reload_picks_up_edited_code(workspace: Workspace, model: Model, source,
                                     deploy) -> None:
    folder = source()
    service = deploy("svc-reload", [model], folder, LocalWebservice.deploy_configuration())
    assert service.run({"data": [1]})["version"] == "v1"
    (folder / "score.py").write_text(score_script("edited"))
    assert service.run({"data": [1]})["version"] == "v1"  # the deployed copy is a snapshot
    service.reload(wait=True)
    assert service.run({"data": [1]})["version"] == "edited"


def test_swagger_from_inference_schema_when_installed(workspace: Workspace, model: Model,
                                                      source, deploy) -> None:
    pytest.importorskip("inference_schema")
    text = textwrap.dedent("""
        import numpy as np
        from inference_schema.schema_decorators import input_schema, output_schema
        from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
        def init():
            pass
        @input_schema("data", NumpyParameterType(np.array([[1.0, 2.0]])))
        @output_schema(NumpyParameterType(np.array([3.0])))
        def run(data):
            return data.sum(axis=1).tolist()
    """)
    service = deploy("svc-schema", [model], source(text=text),
                     LocalWebservice.deploy_configuration())
    schema = httpx.get(service.swagger_uri).json()["paths"]["/score"]["post"]
    assert "example" in json.dumps(schema)
    assert service.run({"data": [[1.0, 2.0]]}) == [3.0]
