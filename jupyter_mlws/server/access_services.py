"""The rows of the key vault and access tables that are more than one store call: who acts
decides what is recorded (a run reads secrets as itself, the creator of a workspace owns it,
a run's submitter is who the server authenticated), and a change of roles is seen by the
next check at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.operation import Request
from ..api.table import operation
from ..store import roles as r
from .authz import MlwsResource, allow_authenticated
from .identity import RunUser, groups_of, principal_of

if TYPE_CHECKING:
    from .routes import OperationHandler

# What the studio asks about to show or hide controls (getPermissions).
UI_ACTIONS = {
    "runs_read": r.ML + "workspaces/experiments/runs/read",
    "runs_write": r.ML + "workspaces/experiments/runs/write",
    "runs_delete": r.ML + "workspaces/experiments/runs/delete",
    "runs_submit": r.ML + "workspaces/experiments/runs/submit/action",
    "experiments_write": r.ML + "workspaces/experiments/write",
    "experiments_delete": r.ML + "workspaces/experiments/delete",
    "computes_write": r.ML + "workspaces/computes/write",
    "secrets_read": r.ML + "workspaces/secrets/read",
    "secrets_values": r.SECRET_VALUE_ACTION,
    "secrets_write": r.ML + "workspaces/secrets/write",
    "secrets_delete": r.ML + "workspaces/secrets/delete",
    "role_assignments_read": r.ROLE_ASSIGNMENTS_READ,
    "role_assignments_write": r.ROLE_ASSIGNMENTS_WRITE,
    "audit_read": r.AUDIT_READ,
}


def _invalidate(handler: OperationHandler) -> None:
    """Roles changed here: the decider reads them again on the next check."""
    decider = getattr(handler.mlws.authz.policy, "decider", None)
    if decider is not None:
        decider.invalidate()


async def _invoke(handler: OperationHandler, op_id: str, request: Request) -> Any:
    op = operation(op_id)
    return await handler.call_store(lambda store: op.invoke(store, request))


def _role_change(op_id: str) -> Any:
    async def service(handler: OperationHandler, request: Request) -> Any:
        try:
            return await _invoke(handler, op_id, request)
        finally:
            _invalidate(handler)

    return service


async def create_workspace_service(handler: OperationHandler, request: Request) -> Any:
    record = await _invoke(handler, "createWorkspace", request)
    user = handler.current_user
    if handler.mlws.access_control and not isinstance(user, RunUser) and handler.identity:
        # The creator owns the new workspace (a server admin can always recover it).
        await handler.call_store(lambda store: store.assign_role(
            "Owner", handler.identity, workspace_id=record.id, actor=handler.identity))
        _invalidate(handler)
    return record


async def create_run_service(handler: OperationHandler, request: Request) -> Any:
    if handler.mlws.access_control:
        # Who submitted is who the server authenticated, whatever the client says; without
        # roles the client's record stands (one user).
        body = request.body
        request.body = body.model_copy(update={"properties": {
            **body.properties, "mlws.submittedBy": handler.identity}})
    return await _invoke(handler, "createRun", request)


async def secret_values_service(handler: OperationHandler, request: Request) -> Any:
    user = handler.current_user
    workspace_id = request.params["workspace_id"]
    run_id = request.body.run_id
    if isinstance(user, RunUser):
        run_id, actor = user.credential.run_id, user.username  # a run reads as itself
    else:
        actor = handler.identity
        if run_id is not None:  # only a run of this workspace: its logs will mask the values
            await handler.call_store(lambda store: store.get_run(run_id, workspace_id))
    values = await handler.call_store(lambda store: store.get_secrets(
        workspace_id, request.body.names, actor=actor, run_id=run_id))
    handler.set_header("Cache-Control", "no-store")
    return {"secrets": values}


async def run_token_service(handler: OperationHandler, request: Request) -> Any:
    run_id = request.params["run_id"]
    token = await handler.call_store(lambda store: store.mint_run_token(run_id,
                                                                        handler.identity))
    handler.set_header("Cache-Control", "no-store")
    return {"token": token}


async def credential_service(handler: OperationHandler, request: Request) -> Any:
    user = handler.current_user
    return user.credential.to_dict() if isinstance(user, RunUser) else {}


async def permissions_service(handler: OperationHandler, request: Request) -> Any:
    user, workspace_id = handler.current_user, request.params["workspace_id"]
    authz = handler.mlws.authz
    allows = getattr(authz.policy, "allows", None)  # the role policy: asks without auditing

    def allowed(action: str) -> bool:
        if authz.error is not None:
            return False
        if allows is not None:
            return bool(allows(user, action, workspace_id))
        verb = action.rsplit("/", 1)[-1]
        resource = MlwsResource("access", workspace_id, None, action, "getPermissions",
                                audit=False)
        return bool((authz.policy or allow_authenticated)(
            user, verb if verb in ("read", "write", "delete") else "execute", resource))

    principal = principal_of(user)
    return {"user": principal.actor if principal else "", "groups": sorted(groups_of(user)),
            "access_control": bool(handler.mlws.access_control),
            "actions": {key: allowed(action) for key, action in UI_ACTIONS.items()}}


ACCESS_SERVICES = {
    "createWorkspace": create_workspace_service,
    "createRun": create_run_service,
    "getSecretValues": secret_values_service,
    "mintRunToken": run_token_service,
    "getCredential": credential_service,
    "getPermissions": permissions_service,
    **{op_id: _role_change(op_id) for op_id in (
        "assignRole", "assignRoleEverywhere", "removeRoleAssignment", "putRoleDefinition",
        "deleteRoleDefinition")},
}

__all__ = ["ACCESS_SERVICES", "UI_ACTIONS"]
