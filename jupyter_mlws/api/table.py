"""THE operation table: every operation of the REST API, from the modules of each asset kind.

Adding an asset kind means adding a module like ``runs.py`` (its models and rows) and listing it
here; routes, validation, the OpenAPI document, the HTTP store's calls, the TypeScript types and
the widget's dispatch follow from the rows (docs/internals.md, "The operation table").
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType

from . import (
    access,
    assets,
    compute,
    datasets,
    datastores,
    experiments,
    files,
    keyvault,
    live,
    metrics,
    models,
    runs,
    services,
    workspaces,
)
from .operation import Operation

# In the order the OpenAPI document lists them.
KINDS: tuple[ModuleType, ...] = (live, workspaces, experiments, runs, metrics, files, assets,
                                 compute, datastores, datasets, keyvault, access, models,
                                 services)


def _collect() -> tuple[Operation, ...]:
    rows: list[Operation] = []
    for module in KINDS:
        tag = module.__name__.rsplit(".", 1)[-1]
        rows.extend(op if op.tag else replace(op, tag=tag) for op in module.OPERATIONS)
    ids = [op.id for op in rows]
    routes = [(op.method, op.path) for op in rows]
    if len(set(ids)) != len(ids) or len(set(routes)) != len(routes):
        raise ValueError("operation ids and (method, path) pairs must be unique")
    return tuple(rows)


OPERATIONS: tuple[Operation, ...] = _collect()
BY_ID: dict[str, Operation] = {op.id: op for op in OPERATIONS}
WIDGET_OPS: dict[str, Operation] = {op.widget: op for op in OPERATIONS if op.widget}


def operation(operation_id: str) -> Operation:
    """The row of ``operation_id``; KeyError names it when there is none."""
    try:
        return BY_ID[operation_id]
    except KeyError:
        raise KeyError(f"no operation {operation_id!r} in the table") from None


__all__ = ["BY_ID", "KINDS", "OPERATIONS", "WIDGET_OPS", "operation"]
