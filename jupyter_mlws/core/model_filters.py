"""v1's list-shaped tag and property filters (``['key', ['key2', 'value']]``), as
``Model.list`` and ``Webservice.list`` take them."""

from __future__ import annotations

from typing import Any

from ..exceptions import WebserviceException


def filter_pairs(what: str, filters: Any) -> list[tuple[str, str | None]]:
    """v1's list-shaped filters: ``['key', ['key2', 'value']]``."""
    if filters is None:
        return []
    if not isinstance(filters, list):
        raise WebserviceException(f"{what} must be a list like ['key', ['key2', 'value']]")
    pairs: list[tuple[str, str | None]] = []
    for item in filters:
        if isinstance(item, str):
            pairs.append((item, None))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            raise WebserviceException(f"Bad {what} filter {item!r}: use 'key' or [key, value]")
    return pairs


def matches(values: dict[str, str], pairs: list[tuple[str, str | None]]) -> bool:
    """Every pair's key is in ``values`` (with that value, unless None)."""
    return all(k in values and (v is None or values[k] == v) for k, v in pairs)


__all__ = ["filter_pairs", "matches"]
