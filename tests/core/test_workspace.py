"""Workspace create/get/list/delete/details, name rules and authentication objects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.core.authentication import (
    AzureCliAuthentication,
    InteractiveLoginAuthentication,
    MsiAuthentication,
    ServicePrincipalAuthentication,
    TokenAuthentication,
)
from jupyter_mlws.core.names import (
    validate_datastore_name,
    validate_environment_name,
    validate_experiment_name,
    validate_model_name,
    validate_webservice_name,
    validate_workspace_name,
)
from jupyter_mlws.core.workspace import WorkspaceDeletedException, WorkspaceNotFoundException
from jupyter_mlws.exceptions import (
    ProjectSystemException,
    UserErrorException,
    WebserviceException,
    WorkspaceException,
)


def test_create_defaults_and_properties(capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create("first-ws", tags={"team": "vision", "n": 3})
    out = capsys.readouterr().out
    assert "Deploying Workspace with name first-ws." in out
    assert "Deployed Workspace with name first-ws." in out
    assert (ws.name, ws.subscription_id, ws.resource_group) == ("first-ws", "local", "local")
    assert ws.location == "local"
    assert ws.sku == "basic"
    assert ws.tags == {"team": "vision", "n": "3"}
    assert repr(ws) == ("Workspace.create(name='first-ws', subscription_id='local', "
                        "resource_group='local')")


def test_create_quiet_and_full_v1_keywords(capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create(
        name="full_kw", auth=InteractiveLoginAuthentication(), subscription_id="sub",
        resource_group="rg", location="westeurope", create_resource_group=True,
        sku="enterprise", tags=None, friendly_name="Full", storage_account=None,
        key_vault="kv", app_insights="ai", container_registry="acr", adb_workspace=None,
        primary_user_assigned_identity=None, cmk_keyvault=None, resource_cmk_uri=None,
        hbi_workspace=True, default_cpu_compute_target=None, default_gpu_compute_target=None,
        private_endpoint_config=None, private_endpoint_auto_approval=True, exist_ok=False,
        show_output=False, user_assigned_identity_for_cmk_encryption=None,
        system_datastores_auth_mode="identity", v1_legacy_mode=True)
    assert capsys.readouterr().out == ""
    assert ws.location == "westeurope"
    assert ws.sku == "enterprise"
    assert ws.get_details()["friendlyName"] == "Full"


def test_exist_ok() -> None:
    ws = Workspace.create("dup-ws", show_output=False)
    with pytest.raises(UserErrorException, match="already exists"):
        Workspace.create("dup-ws", show_output=False)
    again = Workspace.create("dup-ws", exist_ok=True, show_output=False)
    assert again == ws
    assert hash(again) == hash(ws)
    # The same name in another resource group is a different workspace.
    other = Workspace.create("dup-ws", resource_group="rg2", show_output=False)
    assert other != ws


def test_invalid_workspace_name_states_rule() -> None:
    with pytest.raises(UserErrorException, match="3 to 33 characters"):
        Workspace.create("ab", show_output=False)
    with pytest.raises(UserErrorException, match="letters, digits"):
        Workspace.create("has space", show_output=False)


def test_constructor_loads_existing_and_names_missing() -> None:
    ws = Workspace.create("loadme", subscription_id="s1", resource_group="r1",
                          show_output=False)
    loaded = Workspace("s1", "r1", "loadme", auth=AzureCliAuthentication())
    assert loaded == ws
    assert loaded.get_details() == ws.get_details()
    with pytest.raises(ProjectSystemException) as info:
        Workspace("s1", "r1", "missing-ws")
    assert isinstance(info.value, WorkspaceException)
    assert isinstance(info.value, UserErrorException)
    message = str(info.value)
    assert "missing-ws" in message and "r1" in message and "s1" in message
    with pytest.raises(WorkspaceNotFoundException):
        Workspace("s1", "other-rg", "loadme")


def test_get_by_name_id_and_arm_id() -> None:
    ws = Workspace.create("getme", resource_group="rg-a", show_output=False)
    assert Workspace.get("getme") == ws
    assert Workspace.get("getme", resource_group="rg-a", subscription_id="local") == ws
    details = ws.get_details()
    assert Workspace.get("ignored", id=details["workspaceid"]) == ws
    assert Workspace.get("ignored", id=details["id"]) == ws
    with pytest.raises(WorkspaceNotFoundException, match="nope"):
        Workspace.get("nope")
    with pytest.raises(WorkspaceNotFoundException, match="rg-b"):
        Workspace.get("getme", resource_group="rg-b")


def test_get_ambiguous_name() -> None:
    Workspace.create("twin", resource_group="rg1", show_output=False)
    Workspace.create("twin", resource_group="rg2", show_output=False)
    with pytest.raises(UserErrorException, match="resource_group"):
        Workspace.get("twin")
    assert Workspace.get("twin", resource_group="rg2").resource_group == "rg2"
    with pytest.raises(UserErrorException, match="More than one"):
        Workspace(None, None, "twin")


def test_list() -> None:
    a = Workspace.create("alpha", resource_group="rg1", show_output=False)
    b1 = Workspace.create("beta", resource_group="rg1", show_output=False)
    b2 = Workspace.create("beta", resource_group="rg2", show_output=False)
    Workspace.create("gamma", subscription_id="other", show_output=False)
    listed = Workspace.list("local")
    assert set(listed) == {"alpha", "beta"}
    assert listed["alpha"] == [a]
    assert set(listed["beta"]) == {b1, b2}
    assert set(Workspace.list("local", resource_group="rg2")) == {"beta"}
    assert Workspace.list("nobody") == {}


def test_create_resource_group_false() -> None:
    with pytest.raises(UserErrorException, match="create_resource_group"):
        Workspace.create("lonely", resource_group="new-rg", create_resource_group=False,
                         show_output=False)
    Workspace.create("founder", resource_group="new-rg", show_output=False)
    ws = Workspace.create("joiner", resource_group="new-rg", create_resource_group=False,
                          show_output=False)
    assert ws.resource_group == "new-rg"


def test_storage_account_folder(tmp_path: Path) -> None:
    folder = tmp_path / "my-storage"
    ws = Workspace.create("stored", storage_account=str(folder), show_output=False)
    assert ws.get_details()["storageAccount"] == str(folder)
    url = Workspace.create("memstored", storage_account="memory://bucket/memstored",
                           show_output=False)
    assert url.get_details()["storageAccount"] == "memory://bucket/memstored"
    # v1 code passes an Azure storage account's ARM id: meaningless here, so the default is used.
    arm = ("/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/"
           "storageAccounts/acct")
    armws = Workspace.create("armstored", storage_account=arm, show_output=False)
    assert armws.get_details()["storageAccount"] != arm
    default = Workspace.create("defaultstore", show_output=False)
    assert default.get_details()["storageAccount"]
    assert default.get_details()["storageAccount"] != str(folder)


def test_get_details_shape() -> None:
    ws = Workspace.create("detailed", subscription_id="sub", resource_group="rg",
                          tags={"k": "v"}, show_output=False)
    details = ws.get_details()
    assert details["id"] == ("/subscriptions/sub/resourceGroups/rg/providers/"
                             "Microsoft.MachineLearningServices/workspaces/detailed")
    assert details["name"] == "detailed"
    assert details["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert details["location"] == "local"
    assert details["tags"] == {"k": "v"}
    assert details["sku"] == "basic"
    assert details["friendlyName"] == "detailed"
    assert details["workspaceid"] == ws._workspace_id
    assert datetime.fromisoformat(details["creationTime"]).year >= 2024
    for key in ("description", "storageAccount", "keyVault", "applicationInsights",
                "containerRegistry", "hbiWorkspace"):
        assert key in details


def test_update() -> None:
    ws = Workspace.create("updatable", show_output=False)
    details = ws.update(friendly_name="Nice", description="about", tags={"a": 1})
    assert details["friendlyName"] == "Nice"
    assert details["description"] == "about"
    assert Workspace.get("updatable").tags == {"a": "1"}


def test_experiments_property() -> None:
    ws = Workspace.create("withexps", show_output=False)
    assert ws.experiments == {}
    exp = Experiment(ws, "exp-one")
    Experiment(ws, "exp-two").archive()
    experiments = ws.experiments
    assert list(experiments) == ["exp-one"]
    assert experiments["exp-one"] == exp
    assert experiments["exp-one"].workspace is ws


def test_delete_then_get_fails_and_name_reusable() -> None:
    ws = Workspace.create("shortlived", show_output=False)
    old_id = ws._workspace_id
    Experiment(ws, "doomed")
    stale = Workspace.get("shortlived")
    ws.delete()
    with pytest.raises(WorkspaceNotFoundException):
        Workspace.get("shortlived")
    # Another object for the deleted workspace says what happened.
    with pytest.raises(WorkspaceDeletedException, match="was deleted"):
        stale.experiments  # noqa: B018
    with pytest.raises(WorkspaceDeletedException):
        Experiment(stale, "again")
    with pytest.raises(WorkspaceDeletedException):
        ws.delete()
    reborn = Workspace.create("shortlived", show_output=False)
    assert reborn._workspace_id != old_id
    assert reborn.experiments == {}


def test_get_run_returns_run_of_workspace() -> None:
    ws = Workspace.create("runs-ws", show_output=False)
    run = Experiment(ws, "exp").start_logging(snapshot_directory=None, outputs=False)
    try:
        fetched = ws.get_run(run.id)
        assert fetched.id == run.id
    finally:
        run.complete()


def test_auth_classes_accept_v1_signatures() -> None:
    auths = [
        InteractiveLoginAuthentication(force=True, tenant_id="t", cloud="AzureCloud"),
        AzureCliAuthentication(cloud=None),
        ServicePrincipalAuthentication("tenant", "sp-id", "secret", cloud="AzureCloud",
                                       _enable_caching=False),
        MsiAuthentication(client_id="x"),
        TokenAuthentication(lambda audience: "token"),
    ]
    for auth in auths:
        ws = Workspace.create("authws", auth=auth, exist_ok=True, show_output=False)
        assert Workspace.get("authws", auth=auth) == ws
        assert auth.get_authentication_header() == {}
    assert "secret" not in repr(vars(auths[2]))
    with pytest.raises(UserErrorException):
        TokenAuthentication("not callable")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- name rules

@pytest.mark.parametrize(("validator", "valid", "invalid", "rule"), [
    (validate_workspace_name, ["abc", "My_ws-1", "a" * 33],
     ["ab", "a" * 34, "-abc", "_abc", "has space", "wé-ws", ""], "3 to 33"),
    (validate_experiment_name, ["e", "Exp_1-x", "a" * 255],
     ["a" * 256, "-e", "has space", "dot.name", "", "ü"], "1 to 255"),
    (validate_model_name, ["m", "model.v1-final_2", "a" * 255],
     ["a" * 256, ".m", "-m", "has space", "m/n", ""], "1 to 255"),
    (validate_webservice_name, ["svc", "my-service-1", "a" * 32],
     ["ab", "a" * 33, "My-svc", "1svc", "svc-", "svc_x", ""], "3 to 32"),
    (validate_datastore_name, ["store", "Work_Blob_1", "_x"],
     ["has-dash", "has space", "a" * 256, ""], "letters, digits and '_'"),
    (validate_environment_name, ["my-env", "env with spaces", "Azure-ML-ok"],
     ["AzureML-Minimal", "Microsoft-thing", "", "a" * 256], "environment name"),
])
def test_name_rules(validator, valid: list[str], invalid: list[str], rule: str) -> None:
    for name in valid:
        assert validator(name) == name
    for name in invalid:
        with pytest.raises(UserErrorException) as info:
            validator(name)
        if name:
            assert rule in str(info.value), (name, str(info.value))


@pytest.mark.parametrize("validator", [
    validate_workspace_name, validate_experiment_name, validate_model_name,
    validate_webservice_name, validate_datastore_name, validate_environment_name])
def test_a_megabyte_name_is_named_short_in_the_error(validator) -> None:
    with pytest.raises(UserErrorException) as info:
        validator("bad name " + "a" * 1_000_000)
    assert "'bad name aaa" in str(info.value) and "characters)" in str(info.value)
    assert len(str(info.value)) < 400


def test_model_and_webservice_names_raise_webservice_exception() -> None:
    with pytest.raises(WebserviceException):
        validate_model_name("-bad")
    with pytest.raises(WebserviceException):
        validate_webservice_name("Bad")


def test_curated_environment_names_allowed_when_referencing() -> None:
    assert validate_environment_name("AzureML-Minimal", allow_reserved=True) == "AzureML-Minimal"
    with pytest.raises(UserErrorException, match="reserved"):
        validate_environment_name("AzureML-Minimal")


def test_pickle_round_trip() -> None:
    import pickle

    ws = Workspace.create("picklable", sku="enterprise", show_output=False)
    exp = Experiment(ws, "pickled-exp")
    clone = pickle.loads(pickle.dumps(exp))
    assert clone == exp
    assert clone.workspace == ws
    assert clone.workspace.sku == "enterprise"
    assert clone.workspace.experiments == {"pickled-exp": exp}
