"""Names of the values a run has beyond its record: ``metrics.<name>`` (the last value),
``tags.<key>``, ``properties.<key>``, ``parameters.<name>`` (script arguments) and
``attributes.<name>`` (fields of the run itself). The runs table's columns, the value queries
(:mod:`.run_filter`) and :meth:`Store.get_run_values` all name values this way.
"""

from __future__ import annotations

import re
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


# "<namespace>.*": every value of the namespace the runs have (scalar metrics only), for
# analysis views that want them all in the same read as their names.
WILDCARD = "*"


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


# A flag is "-x" or "--name" (a letter or _ after the dashes: "-1" and "-.5" are values).
_FLAG = re.compile(r"--?[A-Za-z_]")
_INT = re.compile(r"[-+]?\d{1,15}")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _scalar(text: Any) -> Any:
    """A script argument as the value it spells: int, float, bool, else the string. Regular
    expressions first: this runs for every argument of 10,000 runs (exceptions are slow)."""
    if not isinstance(text, str):
        return text
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        return number if abs(number) != float("inf") else text
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def parameters_of(run_definition: dict[str, Any] | None) -> dict[str, Any]:
    """A run's parameters: its script arguments as ``--name value`` (or ``--name=value``;
    a flag without a value is True). Sweeps pass their hyperparameters this way (v1's
    HyperDrive gives each trial ``--learning_rate 0.01``...). One pass with the regular
    expressions bound locally: the runs table parses 10,000 definitions per analysis read."""
    args = (run_definition or {}).get("arguments")
    if not isinstance(args, list):
        return {}
    flag = _FLAG.match
    out: dict[str, Any] = {}
    n = len(args)
    i = 0
    while i < n:
        item = args[i]
        if type(item) is str and flag(item):
            key, eq, value = item.lstrip("-").partition("=")
            if eq:
                out[key] = _scalar(value)
            elif i + 1 < n and not (type(args[i + 1]) is str and flag(args[i + 1])):
                i += 1
                out[key] = _scalar(args[i])
            else:
                out[key] = True
        i += 1
    return out


__all__ = ["ATTRIBUTES", "NAMESPACES", "USER_PROPERTY", "WILDCARD", "Column", "attribute",
           "make_column", "namespace_of", "parameters_of", "parse_column", "parse_columns"]
