"""Names of the values a run has beyond its record: ``metrics.<name>`` (the last value),
``tags.<key>``, ``properties.<key>``, ``parameters.<name>`` (script arguments) and
``attributes.<name>`` (fields of the run itself). The runs table's columns, the value queries
(:mod:`.run_filter`) and :meth:`Store.get_run_values` all name values this way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .base import InvalidInputError

NAMESPACES = ("metrics", "tags", "properties", "parameters", "attributes")
_ALIASES = {"metric": "metrics", "tag": "tags", "property": "properties", "props": "properties",
            "param": "parameters", "params": "parameters", "attribute": "attributes",
            "attr": "attributes", "run": "attributes"}
# attributes.<name> -> what it is: "text", "number" or "time" (epoch seconds).
ATTRIBUTES = {
    "id": "text", "number": "number", "display_name": "text", "status": "text",
    "run_type": "text", "compute": "text", "user": "text", "parent_run_id": "text",
    "created_time": "time", "start_time": "time", "end_time": "time", "duration": "number",
    "experiment": "text",
}
_ATTRIBUTE_ALIASES = {"name": "display_name", "type": "run_type", "target": "compute",
                      "submitted_by": "user", "parent": "parent_run_id", "created": "created_time",
                      "started": "start_time", "ended": "end_time"}
# The property under which runs record who started them (attributes.user).
USER_PROPERTY = "mlws.submittedBy"
MAX_COLUMNS = 200


@dataclass(frozen=True)
class Column:
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}.{self.name}"


def namespace_of(word: str) -> str | None:
    """The namespace a word names (plural, singular or alias), else None."""
    lowered = word.lower()
    if lowered in NAMESPACES:
        return lowered
    return _ALIASES.get(lowered)


def attribute(name: str) -> str:
    """The attribute ``name`` stands for; InvalidInputError naming the known ones."""
    lowered = name.lower()
    found = _ATTRIBUTE_ALIASES.get(lowered, lowered)
    if found not in ATTRIBUTES:
        raise InvalidInputError(f"Unknown run attribute {name!r}; known: "
                                f"{', '.join(sorted(ATTRIBUTES))}.")
    return found


def make_column(namespace: str, name: str) -> Column:
    if not name or len(name) > 255 or "\x00" in name:
        raise InvalidInputError(f"Invalid {namespace} name {name[:40]!r}.")
    if namespace == "attributes":
        return Column("attributes", attribute(name))
    return Column(namespace, name)


def parse_column(text: str) -> Column:
    """``"metrics.val/acc"`` -> Column("metrics", "val/acc"): the first dot ends the
    namespace; everything after it is the name (metric names may hold dots and slashes)."""
    if not isinstance(text, str):
        raise InvalidInputError("A column must be a string like 'metrics.accuracy'.")
    head, dot, rest = text.partition(".")
    namespace = namespace_of(head) if dot else None
    if namespace is None:
        raise InvalidInputError(
            f"Column {text[:80]!r} must be <namespace>.<name> with a namespace of "
            f"{', '.join(NAMESPACES)}.")
    return make_column(namespace, rest)


def parse_columns(values: Iterable[Any]) -> list[Column]:
    columns = [parse_column(v) for v in values]
    if len(columns) > MAX_COLUMNS:
        raise InvalidInputError(f"At most {MAX_COLUMNS} columns.")
    return list(dict.fromkeys(columns))


def _scalar(text: Any) -> Any:
    """A script argument as the value it spells: int, float, bool, else the string."""
    if not isinstance(text, str):
        return text
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if number == number and abs(number) != float("inf") else text


def _is_flag(item: Any) -> bool:
    if not isinstance(item, str) or not item.startswith("-") or len(item) < 2:
        return False
    try:
        float(item)  # -1, -0.5 are values, not flags
    except ValueError:
        return True
    return False


def parameters_of(run_definition: dict[str, Any] | None) -> dict[str, Any]:
    """A run's parameters: its script arguments as ``--name value`` (or ``--name=value``;
    a flag without a value is True). Sweeps pass their hyperparameters this way (v1's
    HyperDrive gives each trial ``--learning_rate 0.01``...)."""
    args = (run_definition or {}).get("arguments")
    if not isinstance(args, list):
        return {}
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        item = args[i]
        if _is_flag(item):
            key, eq, value = str(item).lstrip("-").partition("=")
            if not key:
                i += 1
                continue
            if eq:
                out[key] = _scalar(value)
            elif i + 1 < len(args) and not _is_flag(args[i + 1]):
                out[key] = _scalar(args[i + 1])
                i += 1
            else:
                out[key] = True
        i += 1
    return out


__all__ = ["ATTRIBUTES", "NAMESPACES", "USER_PROPERTY", "Column", "attribute", "make_column",
           "namespace_of", "parameters_of", "parse_column", "parse_columns"]
