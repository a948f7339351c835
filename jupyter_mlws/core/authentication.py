"""The v1 authentication classes, accepted and ignored.

jupyter_mlws has no cloud identity to log in to: access to a local store is governed by the file
system, and access to a jupyter_mlws server by its token (``MLWS_TOKEN``). v1 code constructs
these objects and passes them as ``auth=``; they keep their v1 constructor signatures so that
code runs unchanged, and they never prompt, open a browser or call out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AbstractAuthentication:
    """Base of every authentication object; ``auth=`` accepts any instance (or ``None``)."""

    def __init__(self, cloud: str | None = None) -> None:
        self._cloud_type = cloud or "AzureCloud"

    def get_authentication_header(self) -> dict[str, str]:
        """No cloud token exists locally; a jupyter_mlws server authenticates by its own token."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class InteractiveLoginAuthentication(AbstractAuthentication):
    def __init__(self, force: bool = False, tenant_id: str | None = None,
                 cloud: str | None = None) -> None:
        super().__init__(cloud)
        self._force = force
        self._tenant_id = tenant_id


class AzureCliAuthentication(AbstractAuthentication):
    def __init__(self, cloud: str | None = None) -> None:
        super().__init__(cloud)


class ServicePrincipalAuthentication(AbstractAuthentication):
    def __init__(self, tenant_id: str, service_principal_id: str,
                 service_principal_password: str, cloud: str = "AzureCloud",
                 _enable_caching: bool = True) -> None:
        super().__init__(cloud)
        self._tenant_id = tenant_id
        self._service_principal_id = service_principal_id
        # The secret is never used; keep nothing that could leak through repr or pickling.
        self._has_password = bool(service_principal_password)


class MsiAuthentication(AbstractAuthentication):
    def __init__(self, cloud: str | None = None, **kwargs: Any) -> None:
        super().__init__(cloud)
        self._identity_config = {k: v for k, v in kwargs.items() if k in ("client_id",
                                                                          "object_id",
                                                                          "msi_res_id")}


class TokenAuthentication(AbstractAuthentication):
    def __init__(self, get_token_for_audience: Callable[[str], Any],
                 cloud: str | None = None) -> None:
        super().__init__(cloud)
        if not callable(get_token_for_audience):
            # Same contract as v1: the argument is a function returning a token for an audience.
            from ..exceptions import UserErrorException

            raise UserErrorException(
                "TokenAuthentication needs a callable get_token_for_audience(audience).")
        self._get_token_for_audience = get_token_for_audience


class AzureMLTokenAuthentication(AbstractAuthentication):
    """Used by v1 inside submitted runs; runs here authenticate through ``MLWS_TOKEN``."""

    def __init__(self, azureml_access_token: str | None = None, expiry_time: Any = None,
                 host: str | None = None, subscription_id: str | None = None,
                 resource_group_name: str | None = None, workspace_name: str | None = None,
                 experiment_name: str | None = None, run_id: str | None = None,
                 user_email: str | None = None, experiment_id: str | None = None,
                 cloud: str = "AzureCloud") -> None:
        super().__init__(cloud)
        self._run_id = run_id


__all__ = [
    "AbstractAuthentication",
    "AzureCliAuthentication",
    "AzureMLTokenAuthentication",
    "InteractiveLoginAuthentication",
    "MsiAuthentication",
    "ServicePrincipalAuthentication",
    "TokenAuthentication",
]
