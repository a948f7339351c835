"""Name rules of the v1 SDK, one validator per kind of asset.

Each validator returns the name unchanged when it is valid and otherwise raises an exception
whose message states the rule, so a user can fix the name without looking anything up.
Model and webservice names raise an exception that is both a ``WebserviceException`` (what v1
raises) and a ``UserErrorException`` (what the rest of the SDK raises for bad input).
"""

from __future__ import annotations

import re

from ..exceptions import UserErrorException, WebserviceException, shown

WORKSPACE_NAME_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{2,32}$", re.ASCII)
EXPERIMENT_NAME_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,254}$", re.ASCII)
MODEL_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-._]{0,254}$")
WEBSERVICE_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DATASTORE_NAME_RE = re.compile(r"^[a-zA-Z0-9_]{1,255}$")

# Curated environments own these prefixes; users may reference them but not register under them.
RESERVED_ENVIRONMENT_PREFIXES = ("Microsoft", "AzureML")
ENVIRONMENT_NAME_MAX = 255


class InvalidWebserviceNameException(WebserviceException, UserErrorException):
    """A model or webservice name breaks its rule."""


def _check_str(name: object, kind: str, exc: type[Exception]) -> str:
    if not isinstance(name, str) or not name:
        raise exc(f"{kind} name must be a non-empty string, got {shown(name)}.")
    return name


def validate_workspace_name(name: str) -> str:
    _check_str(name, "Workspace", UserErrorException)
    if not WORKSPACE_NAME_RE.match(name):
        raise UserErrorException(
            f"Invalid workspace name {shown(name)}: a workspace name must be 3 to 33 characters "
            "long, start with a letter or digit, and contain only letters, digits, '_' and '-'.")
    return name


def validate_experiment_name(name: str) -> str:
    _check_str(name, "Experiment", UserErrorException)
    if not EXPERIMENT_NAME_RE.match(name):
        raise UserErrorException(
            f"Invalid experiment name {shown(name)}: an experiment name must be 1 to 255 "
            "characters long, start with a letter or digit, and contain only letters, digits, "
            "'_' and '-' (no spaces).")
    return name


def validate_model_name(name: str) -> str:
    _check_str(name, "Model", InvalidWebserviceNameException)
    if not MODEL_NAME_RE.match(name):
        raise InvalidWebserviceNameException(
            f"Invalid model name {shown(name)}: a model name must be 1 to 255 characters long, "
            "start with a letter or digit, and contain only letters, digits, '-', '.' and '_'.")
    return name


def validate_webservice_name(name: str) -> str:
    _check_str(name, "Webservice", InvalidWebserviceNameException)
    if not (3 <= len(name) <= 32 and WEBSERVICE_NAME_RE.match(name)):
        raise InvalidWebserviceNameException(
            f"Invalid webservice name {shown(name)}: a webservice name must be 3 to 32 characters "
            "long, contain only lowercase letters, digits and '-', start with a letter and end "
            "with a letter or digit.")
    return name


def validate_datastore_name(name: str) -> str:
    _check_str(name, "Datastore", UserErrorException)
    if not DATASTORE_NAME_RE.match(name):
        raise UserErrorException(
            f"Invalid datastore name {shown(name)}: a datastore name must be 1 to 255 characters "
            "long and contain only letters, digits and '_' (names are case-insensitive).")
    return name


def validate_environment_name(name: str, *, allow_reserved: bool = False) -> str:
    """``allow_reserved`` is for referring to curated environments (``AzureML-*``), which users
    may use but not register under their own name."""
    _check_str(name, "Environment", UserErrorException)
    if len(name) > ENVIRONMENT_NAME_MAX:
        raise UserErrorException(
            f"Invalid environment name {shown(name, 40)}: an environment name must be at most "
            f"{ENVIRONMENT_NAME_MAX} characters long.")
    if not allow_reserved and name.startswith(RESERVED_ENVIRONMENT_PREFIXES):
        raise UserErrorException(
            f"Invalid environment name {shown(name)}: environment names starting with 'Microsoft' "
            "or 'AzureML' are reserved for curated environments.")
    return name


def same_datastore_name(a: str, b: str) -> bool:
    """Datastore names compare case-insensitively, as in v1."""
    return a.casefold() == b.casefold()


__all__ = [
    "InvalidWebserviceNameException",
    "same_datastore_name",
    "validate_datastore_name",
    "validate_environment_name",
    "validate_experiment_name",
    "validate_model_name",
    "validate_webservice_name",
    "validate_workspace_name",
]
