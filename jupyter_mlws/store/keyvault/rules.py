"""Azure Key Vault's rules for secrets, checked before anything is stored."""

from __future__ import annotations

import os
import re
from typing import Any

from ..base import InvalidInputError

NAME_RE = re.compile(r"^[0-9A-Za-z-]{1,127}$")
MAX_VALUE_BYTES = 25 * 1024  # Key Vault's limit for a secret value
MAX_CONTENT_TYPE = 255
RETENTION_ENV = "MLWS_SECRET_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90.0  # Key Vault's default soft-delete retention


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        shown = name if isinstance(name, str) and len(name) <= 140 else type(name).__name__
        raise InvalidInputError(
            f"Secret name {shown!r} is invalid: Key Vault secret names are 1-127 characters, "
            "letters, digits and dashes only")
    return name


def name_key(name: str) -> str:
    """Key Vault names are case-insensitive."""
    return name.lower()


def check_value(name: str, value: Any) -> bytes:
    """The value as UTF-8 bytes; never echoed in an error."""
    if not isinstance(value, str):
        raise InvalidInputError(f"The value of secret {name!r} must be a string, got "
                                f"{type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"The value of secret {name!r} is not valid Unicode (it holds "
                                "a lone surrogate)") from None
    if len(data) > MAX_VALUE_BYTES:
        raise InvalidInputError(f"The value of secret {name!r} is {len(data)} bytes; Key Vault "
                                f"allows at most {MAX_VALUE_BYTES} bytes (25 KB)")
    return data


def check_content_type(name: str, content_type: Any) -> str:
    if content_type is None:
        return ""
    if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE:
        raise InvalidInputError(f"The content type of secret {name!r} must be a string of at "
                                f"most {MAX_CONTENT_TYPE} characters")
    return content_type


def retention_seconds() -> float:
    text = os.environ.get(RETENTION_ENV)
    if not text:
        return DEFAULT_RETENTION_DAYS * 86400
    try:
        days = float(text)
    except ValueError:
        raise InvalidInputError(f"{RETENTION_ENV}={text!r} is not a number of days") from None
    if not 0 <= days <= 3650:
        raise InvalidInputError(f"{RETENTION_ENV} must be between 0 and 3650 days")
    return days * 86400
