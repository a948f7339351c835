"""Child runs of a Run (v1 section 4.9): child_run, create_children, get_children.

The Run provides ``_create`` (start a run owned by this process), ``_iterate`` (paged,
rehydrating run listing), ``_store``, ``experiment`` and ``id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import RunQuery, RunRecord
from .run_creation import outputs_folder

if TYPE_CHECKING:
    from .run import Run

MAX_CHILDREN = 100


def key_value_filter(value: Any) -> dict[str, str | None] | None:
    """v1 tag/property filters: a key string (any value) or a dict."""
    if value is None:
        return None
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, dict):
        return {str(k): (None if v is None else str(v)) for k, v in value.items()}
    raise UserErrorException(f"A tags/properties filter is a key string or a dict, got "
                             f"{type(value).__name__}")


def _plain_run_class() -> Any:
    # Children are ordinary interactive runs owned by this process, even when the parent is a
    # submitted or script run whose status the executor owns.
    from .run import Run

    return Run


class RunChildrenMixin:
    """Creating and listing the children of a run."""

    # ---- children (v1 section 4.9)
    def child_run(self, name: str | None = None, run_id: str | None = None,
                  outputs: Any = None) -> Run:
        """Create and start a child run (Running, owned by this process)."""
        child = _plain_run_class()._create(self.experiment, run_id=run_id, parent=self,
                                   display_name=name)
        if outputs not in (None, False):
            child._outputs_dir = outputs_folder(outputs)
        return child

    def create_children(self, count: int | None = None, tag_key: str | None = None,
                        tag_values: list[Any] | None = None) -> list[Run]:
        """Start ``count`` children (tagged azureml.batch_child_number) or one per tag value."""
        if tag_key is not None or tag_values is not None:
            if tag_key is None or tag_values is None:
                raise UserErrorException("create_children needs both tag_key and tag_values")
            values = list(tag_values)
            if count is not None and count != len(values):
                raise UserErrorException(f"count ({count}) must equal len(tag_values) "
                                         f"({len(values)})")
            tag_sets = [{tag_key: value} for value in values]
        elif count is not None:
            tag_sets = [{"azureml.batch_child_number": str(i)} for i in range(count)]
        else:
            raise UserErrorException("create_children needs count or tag_key and tag_values")
        if len(tag_sets) > MAX_CHILDREN:
            raise UserErrorException(f"create_children creates at most {MAX_CHILDREN} runs at "
                                     f"once, {len(tag_sets)} were asked for")
        run_class = _plain_run_class()
        return [run_class._create(self.experiment, parent=self, tags=tags) for tags in tag_sets]

    def get_children(self, recursive: bool = False, tags: Any = None, properties: Any = None,
                     type: str | None = None, status: str | None = None,
                     _rehydrate_runs: bool = True) -> Iterator[Run]:
        """Child runs, newest first (all descendants with ``recursive``)."""
        query = RunQuery(parent_run_id=self.id, include_children=True, recursive=recursive,
                         status=[status] if isinstance(status, str) else status,
                         tags=key_value_filter(tags),
                         properties=key_value_filter(properties), run_type=type)
        return self._iterate(self.experiment, query, _rehydrate_runs)

    def _descendant_records(self, run_type: str | None = None) -> list[RunRecord]:
        query = RunQuery(parent_run_id=self.id, include_children=True, recursive=True,
                         run_type=run_type)
        return self._store.list_runs(self.experiment.workspace._record.id, query)


__all__ = ["MAX_CHILDREN", "RunChildrenMixin"]
