"""Lazy package attributes (PEP 562): a name is imported from its module on first use and then
kept in the package, so ``import jupyter_mlws.core`` stays light (cold start)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, modules: Mapping[str, str],
                 computed: Mapping[str, Callable[[], Any]] | None = None,
                 ) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``modules`` maps each lazy name to the
    (relative) module defining it, ``computed`` maps names to the function that makes them."""

    def __getattr__(name: str) -> Any:
        if name in modules:
            value = getattr(importlib.import_module(modules[name], package), name)
        elif computed and name in computed:
            value = computed[name]()
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        vars(sys.modules[package])[name] = value  # later lookups skip this function
        return value

    return __getattr__
