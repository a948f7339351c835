"""Master keys: where the key that wraps every workspace's data key comes from.

A :class:`KeyProvider` wraps and unwraps 32-byte data keys. Which one is used, in order:

1. ``MLWS_MASTER_KEY_URL`` names one by URL; its scheme picks the provider class
   (``env:NAME``, ``file:///path``, or any scheme registered in the entry-point group
   ``jupyter_mlws.key_providers``, e.g. a key-management service; none ships, because none is
   reachable from where this was built);
2. otherwise the environment variable ``MLWS_MASTER_KEY`` (32 bytes, base64) when set;
3. otherwise the key file ``<MLWS_HOME>/master.key`` (0600), created on first use, but only
   while no data key exists yet: a store whose key file went missing is an error, never a
   fresh key that would orphan what is encrypted.

Every provider has a ``key_id`` (a fingerprint that reveals nothing about the key) recorded
beside each data key it wrapped, so a wrong key is told apart from damaged data and the error
names the key source.
"""

from __future__ import annotations

import abc
import base64
import binascii
import hashlib
import hmac
import os
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import unquote, urlparse

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ...exceptions import UserErrorException
from ..private import make_dirs, opener

KEY_BYTES = 32
ENV_KEY = "MLWS_MASTER_KEY"
ENV_URL = "MLWS_MASTER_KEY_URL"
KEY_FILE = "master.key"
ENTRY_POINTS = "jupyter_mlws.key_providers"
_WRAP_VERSION = b"\x01"


class MasterKeyError(UserErrorException):
    """The master key is missing, malformed or not the one the data was encrypted with."""


def fingerprint(key: bytes) -> str:
    """A stable id of a key that tells nothing about it (HMAC of a constant)."""
    return hmac.new(key, b"jupyter_mlws master key id", hashlib.sha256).hexdigest()[:16]


class KeyProvider(abc.ABC):
    """Wraps and unwraps data keys. ``source`` names where the key comes from (for errors);
    ``key_id`` identifies the key (recorded with each wrapped data key)."""

    source: str

    @property
    @abc.abstractmethod
    def key_id(self) -> str: ...

    @abc.abstractmethod
    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    @abc.abstractmethod
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


class LocalKeyProvider(KeyProvider):
    """A master key held in this process: AES-256-GCM key wrapping with the context
    (the workspace id) as associated data."""

    def __init__(self, key: bytes, source: str) -> None:
        if len(key) != KEY_BYTES:
            raise MasterKeyError(f"The master key from {source} must be {KEY_BYTES} bytes "
                                 f"(base64 of {KEY_BYTES} random bytes), got {len(key)}")
        self._aead = AESGCM(key)
        self._id = fingerprint(key)
        self.source = source

    @property
    def key_id(self) -> str:
        return self._id

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return _WRAP_VERSION + nonce + self._aead.encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        if wrapped[:1] != _WRAP_VERSION or len(wrapped) < 13:
            raise MasterKeyError(f"A wrapped data key is malformed (key source {self.source})")
        try:
            return self._aead.decrypt(wrapped[1:13], wrapped[13:], context)
        except InvalidTag:
            raise MasterKeyError(
                f"The master key from {self.source} does not open this workspace's data key "
                "(wrong key, or the stored key was damaged)") from None


def decode_key(text: str, source: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"The master key from {source} is not valid base64") from None


def env_provider(name: str = ENV_KEY) -> LocalKeyProvider:
    value = os.environ.get(name)
    source = f"environment variable {name}"
    if not value:
        raise MasterKeyError(f"No master key: {source} is not set")
    return LocalKeyProvider(decode_key(value, source), source)


def new_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def file_provider(path: Path, *, create: bool) -> LocalKeyProvider:
    """The key in ``path``; with ``create``, a new random key is written there first
    (exclusively, 0600) when the file does not exist."""
    source = f"key file {path}"
    if create and not path.exists():
        make_dirs(path.parent)
        # Written whole under a name of our own, then linked into place: a process that
        # loses the race (or reads meanwhile) never sees a half-written key file.
        partial = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        try:
            with open(partial, "x", opener=opener) as out:
                out.write(new_key_text() + "\n")
            os.link(partial, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            partial.unlink(missing_ok=True)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MasterKeyError(f"No master key: {source} does not exist") from None
    except OSError as exc:
        raise MasterKeyError(f"Cannot read the master key from {source}: {exc}") from None
    return LocalKeyProvider(decode_key(text, source), source)


def provider_from_url(url: str, home: Path, *, create: bool) -> KeyProvider:
    parsed = urlparse(url)
    if parsed.scheme == "env":
        return env_provider(parsed.netloc or parsed.path or ENV_KEY)
    if parsed.scheme == "file":
        return file_provider(Path(unquote(parsed.path)), create=create)
    found = [ep for ep in entry_points(group=ENTRY_POINTS) if ep.name == parsed.scheme]
    if not found:
        raise MasterKeyError(
            f"{ENV_URL}={url!r}: no key provider for scheme {parsed.scheme!r} (built in: "
            f"env:NAME, file:///path; others register the entry point group {ENTRY_POINTS})")
    factory = found[0].load()
    provider = factory(url)
    if not isinstance(provider, KeyProvider):
        raise MasterKeyError(f"Key provider {parsed.scheme!r} did not return a KeyProvider")
    return provider


def unwrap_data_key(home: Path, workspace_id: str, wrapped: bytes, key_id: str) -> bytes:
    """A workspace's data key, opened by the configured master key; ``key_id`` is the id of
    the key that wrapped it: a different configured key is an error naming its source."""
    provider = resolve_provider(home, may_create=False)
    if provider.key_id != key_id:
        raise MasterKeyError(
            f"The secrets of workspace {workspace_id} were encrypted under master key "
            f"{key_id}, but the master key from {provider.source} is "
            f"{provider.key_id}: configure the original key ({ENV_KEY}, "
            f"{ENV_URL} or the key file); nothing was changed")
    return provider.unwrap(wrapped, workspace_id.encode())


def resolve_provider(home: Path, *, may_create: bool) -> KeyProvider:
    """The master key as configured (see the module docstring). ``may_create``: a missing
    key file may be made (the caller knows no data key exists yet)."""
    url = os.environ.get(ENV_URL)
    if url:
        return provider_from_url(url, home, create=may_create)
    if os.environ.get(ENV_KEY):
        return env_provider()
    return file_provider(home / KEY_FILE, create=may_create)


__all__ = ["ENTRY_POINTS", "ENV_KEY", "ENV_URL", "KEY_FILE", "KeyProvider", "LocalKeyProvider",
           "MasterKeyError", "env_provider", "file_provider", "fingerprint", "new_key_text",
           "provider_from_url", "resolve_provider", "unwrap_data_key"]
