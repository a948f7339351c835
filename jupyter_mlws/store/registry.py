"""Store back ends, found by the URL scheme of the settings (as MLflow finds its stores).

Packages register a back end under the entry point group ``jupyter_mlws.stores`` (scheme ->
a Store class taking the resolved :class:`StoreSettings`); this package registers ``sqlite``
and ``postgresql`` (``SqlStore``) and ``http``/``https`` (``HttpStore``). The scheme is the
tracking URI's when one is set (the store is a server's), else the database URL's; a
``driver`` suffix (``postgresql+psycopg``) is tried after the full scheme.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from ..exceptions import UserErrorException
from .base import Store
from .settings import StoreSettings

ENTRY_POINT_GROUP = "jupyter_mlws.stores"
# This package's own back ends, also known when its installed metadata is stale (an editable
# install made before the entry points existed).
BUILTIN = {"sqlite": "jupyter_mlws.store.sql:SqlStore",
           "postgresql": "jupyter_mlws.store.sql:SqlStore",
           "http": "jupyter_mlws.store.http:HttpStore",
           "https": "jupyter_mlws.store.http:HttpStore"}

StoreFactory = Callable[[StoreSettings], Store]


class ConfigurationError(UserErrorException):
    """A setting names no usable back end or policy."""


class StoreRegistry:
    """Scheme -> store factory: built-ins, then entry points, then :meth:`register`."""

    def __init__(self) -> None:
        self._factories: dict[str, StoreFactory | str] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            # Deferred: importlib.metadata costs ~15 ms, paid when a store is first opened.
            from importlib.metadata import entry_points

            found: dict[str, StoreFactory | str] = dict(BUILTIN)
            for point in entry_points(group=ENTRY_POINT_GROUP):
                found[point.name] = point.value
            self._factories = {**found, **self._factories}
            self._loaded = True

    def register(self, scheme: str, factory: StoreFactory | str) -> None:
        """Serve ``scheme`` with ``factory`` (a callable, or ``"module:attr"``)."""
        self._load()
        self._factories[scheme] = factory

    @contextmanager
    def registered(self, scheme: str, factory: StoreFactory | str) -> Iterator[None]:
        """``scheme`` served by ``factory`` inside the block only (tests plug fakes so)."""
        self._load()
        previous = self._factories.get(scheme)
        self._factories[scheme] = factory
        try:
            yield
        finally:
            if previous is None:
                self._factories.pop(scheme, None)
            else:
                self._factories[scheme] = previous

    def schemes(self) -> list[str]:
        self._load()
        return sorted(self._factories)

    def factory(self, url: str) -> StoreFactory:
        self._load()
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        for candidate in (scheme, scheme.split("+", 1)[0]):
            factory = self._factories.get(candidate)
            if factory is not None:
                return resolve(factory)
        raise ConfigurationError(
            f"No jupyter_mlws store is registered for URL scheme {scheme or url!r}; known: "
            f"{', '.join(self.schemes())} (entry point group {ENTRY_POINT_GROUP})")


def resolve(factory: StoreFactory | str) -> StoreFactory:
    if not isinstance(factory, str):
        return factory
    module, _, attr = factory.partition(":")
    try:
        return getattr(import_module(module), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"Store back end {factory!r} cannot be imported: "
                                 f"{type(exc).__name__}: {exc}") from exc


def load_store_class(value: Any) -> type[Store] | None:
    """A ``store_class`` setting (a Store subclass or its import string) as a class."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = resolve(value if ":" in value else ":".join(value.rsplit(".", 1)))
        except ConfigurationError as exc:
            raise ConfigurationError(f"store_class {value!r}: {exc}") from exc
    if not (isinstance(value, type) and issubclass(value, Store)):
        raise ConfigurationError(f"store_class must be a Store subclass, got {value!r}")
    return value


store_registry = StoreRegistry()


def store_url(settings: StoreSettings) -> str:
    """The URL whose scheme picks the back end: the tracking URI's, else the database's."""
    return settings.tracking_uri or settings.database_url


def open_store(settings: StoreSettings, store_class: type[Store] | None = None) -> Store:
    """A new store for ``settings``: ``store_class``, else the one of the URL's scheme."""
    factory: StoreFactory = store_class or store_registry.factory(store_url(settings))
    return factory(settings)


__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "ConfigurationError", "StoreRegistry",
           "load_store_class", "open_store", "store_registry", "store_url"]
