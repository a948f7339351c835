"""Envelope encryption of secret values: AES-256-GCM under a per-workspace data key.

A secret version is stored as ``b"\\x01" + nonce(12) + ciphertext+tag``; the associated data
binds it to its workspace, name and version, so a ciphertext moved onto another row does not
decrypt. The data key itself is stored only wrapped by the master key (``keys.py``).

Datastore credentials are sealed the same way under the name key :func:`datastore_key`
(``datastore:<casefolded name>``), which no secret can have (Key Vault names hold no ``:``):
neither kind of ciphertext decrypts as the other.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..base import StoreError
from .keys import KEY_BYTES

_VERSION = b"\x01"


class SecretDecryptionError(StoreError):
    """A stored secret does not decrypt with its workspace's data key (damaged row)."""


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def datastore_key(datastore_name: str) -> str:
    """The name key a datastore's credentials are sealed under (a casefolded name)."""
    return f"datastore:{datastore_name}"


def _aad(workspace_id: str, name_key: str, version: int) -> bytes:
    return f"{workspace_id}\x00{name_key}\x00{version}".encode()


def encrypt(data_key: bytes, plaintext: bytes, workspace_id: str, name_key: str,
            version: int) -> bytes:
    nonce = os.urandom(12)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _aad(workspace_id, name_key, version))
    return _VERSION + nonce + sealed


def decrypt(data_key: bytes, blob: bytes, workspace_id: str, name_key: str,
            version: int) -> bytes:
    if blob[:1] != _VERSION or len(blob) < 29:
        raise SecretDecryptionError(f"Secret {name_key!r} version {version} is malformed")
    try:
        return AESGCM(data_key).decrypt(blob[1:13], blob[13:],
                                        _aad(workspace_id, name_key, version))
    except InvalidTag:
        raise SecretDecryptionError(
            f"Secret {name_key!r} version {version} of workspace {workspace_id} does not "
            "decrypt (the stored value was damaged)") from None
