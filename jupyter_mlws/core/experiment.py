"""``Experiment``: a named group of runs in a workspace, and the ``submit`` dispatch.

Config classes (``ScriptRunConfig``, ``Pipeline``, ...) register how they are submitted, either
with the v1 decorator on their ``__init__``::
    class ScriptRunConfig:
        @experiment_method(submit_function=submit_script_run)
        def __init__(self, ...): ...

or with ``register_submit_function(ScriptRunConfig, submit_script_run)``. A submit function is
called as ``fn(config, workspace, experiment_name, **kwargs)`` and returns the started run.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..exceptions import AzureMLException, UserErrorException
from ..store.base import ExperimentRecord
from .names import validate_experiment_name

if TYPE_CHECKING:
    from .run import Run
    from .workspace import Workspace

DOCS_URL = "https://learn.microsoft.com/python/api/azureml-core/azureml.core.experiment.experiment"


class ViewType:
    """Which experiments ``Experiment.list`` returns."""

    ActiveOnly = "ActiveOnly"
    All = "All"
    ArchivedOnly = "ArchivedOnly"


_VIEW_TYPES = (ViewType.ActiveOnly, ViewType.All, ViewType.ArchivedOnly)

# --------------------------------------------------------------------------- submit registry

SubmitFunction = Callable[..., Any]
_SUBMIT_FUNCTIONS: dict[type, SubmitFunction] = {}


def register_submit_function(config_class: type, submit_function: SubmitFunction) -> None:
    """Make ``Experiment.submit`` accept instances of ``config_class`` (and its subclasses)."""
    if not isinstance(config_class, type) or not callable(submit_function):
        raise UserErrorException(
            "register_submit_function needs a class and a callable "
            "fn(config, workspace, experiment_name, **kwargs).")
    _SUBMIT_FUNCTIONS[config_class] = submit_function


def get_submit_function(config: object) -> SubmitFunction:
    for cls in type(config).__mro__:
        fn = _SUBMIT_FUNCTIONS.get(cls)
        if fn is not None:
            return fn
    raise AzureMLException(
        f"MethodNotRegistered: no submit function is registered for "
        f"{type(config).__module__}.{type(config).__qualname__}. Experiment.submit accepts "
        "configurations whose class registered one (ScriptRunConfig, Pipeline, ...).")


class _ExperimentMethod:
    """What ``experiment_method`` returns: when its class body is created, it registers the
    owning class and puts the plain ``__init__`` back, so instances pay nothing."""

    def __init__(self, init_func: Callable[..., Any],
                 submit_function: SubmitFunction | None) -> None:
        self._init_func = init_func
        self._submit_function = submit_function

    def __set_name__(self, owner: type, name: str) -> None:
        if self._submit_function is not None:
            register_submit_function(owner, self._submit_function)
        setattr(owner, name, self._init_func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Only reached if decorated outside a class body; behave like the function itself.
        return self._init_func(*args, **kwargs)


def experiment_method(submit_function: SubmitFunction | None = None) -> Callable[
        [Callable[..., Any]], Any]:
    """v1 decorator for a config class's ``__init__`` that registers its submit function."""

    def decorator(init_func: Callable[..., Any]) -> Any:
        return _ExperimentMethod(init_func, submit_function)

    return decorator


# --------------------------------------------------------------------------- Experiment


def _tag_filter(tags: Any) -> dict[str, str | None] | None:
    """v1 accepts a key, a list of keys or a dict for tag filters; a key alone matches any
    value."""
    if tags is None:
        return None
    if isinstance(tags, str):
        return {tags: None}
    if isinstance(tags, dict):
        return {str(k): (None if v is None else str(v)) for k, v in tags.items()}
    return {str(k): None for k in tags}


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


class Experiment:
    """A named group of runs; constructing one gets or creates it in the workspace."""

    def __init__(self, workspace: Workspace, name: str, _skip_name_validation: bool = False,
                 _id: str | None = None, _archived_time: Any = None,
                 _create_in_cloud: bool = True, _experiment_dto: Any = None,
                 **kwargs: Any) -> None:
        if not hasattr(workspace, "_record") or not hasattr(workspace, "_call_store"):
            raise UserErrorException(
                f"Experiment needs a Workspace as its first argument, got {workspace!r}.")
        if not _skip_name_validation:
            validate_experiment_name(name)
        store = workspace._store
        if _id:
            record = workspace._call_store(store.get_experiment, workspace._record.id,
                                           experiment_id=_id)
        else:
            record = workspace._call_store(store.get_or_create_experiment,
                                           workspace._record.id, name)
        self.workspace = workspace
        self._record = record

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ExperimentRecord) -> Experiment:
        exp = cls.__new__(cls)
        exp.workspace = workspace
        exp._record = record
        return exp

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def archived_time(self) -> str | None:
        """ISO time the experiment was archived, ``None`` while active."""
        return _iso(self._record.archived_time)

    @property
    def tags(self) -> dict[str, str | None]:
        return dict(self._record.tags)

    # ------------------------------------------------------------------ runs
    def submit(self, config: Any, tags: dict[str, str] | None = None, **kwargs: Any) -> Run:
        """Submit ``config`` through the function its class registered; returns the run
        as soon as it is created. ``tags`` are set on it afterwards, as in v1."""
        submit_function = get_submit_function(config)
        run = submit_function(config, self.workspace, self.name, **kwargs)
        if tags is not None:
            run.set_tags(tags)
        return run

    def start_logging(self, *args: Any, **kwargs: Any) -> Run:
        """Start an interactive run (status Running) in this experiment."""
        from .run import Run  # cycle: run imports experiment

        return Run._start_logging(self, *args, **kwargs)

    def get_runs(self, type: str | None = None, tags: Any = None, properties: Any = None,
                 include_children: bool = False) -> Iterator[Run]:
        """Runs of this experiment, newest first (a generator)."""
        from .run import Run  # cycle: run imports experiment

        return Run.list(self, type=type, tags=tags, properties=properties,
                        include_children=include_children)

    # ------------------------------------------------------------------ listing / lifecycle
    @staticmethod
    def list(workspace: Workspace, experiment_name: str | None = None,
             view_type: str = ViewType.ActiveOnly, tags: Any = None) -> list[Experiment]:
        if view_type not in _VIEW_TYPES:
            raise UserErrorException(
                f"view_type must be one of {', '.join(_VIEW_TYPES)} (see ViewType), "
                f"got {view_type!r}.")
        records = workspace._call_store(
            workspace._store.list_experiments, workspace._record.id, view_type=view_type,
            name=experiment_name, tags=_tag_filter(tags))
        return [Experiment._from_record(workspace, rec) for rec in records]

    def _update(self, **changes: Any) -> None:
        self._record = self.workspace._call_store(
            self.workspace._store.update_experiment, self._record.id, **changes)

    def archive(self) -> None:
        """Hide the experiment from default listings; its runs are kept."""
        self._update(archived=True)

    def reactivate(self, new_name: str | None = None) -> None:
        if new_name is not None and new_name != self.name:
            raise UserErrorException(
                f"Renaming an experiment on reactivate is not supported: reactivate "
                f"'{self.name}' without new_name.")
        self._update(archived=False)

    def tag(self, key: str, value: str | None = None) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        if not isinstance(tags, dict):
            raise UserErrorException(f"tags must be a dict, got {type(tags).__name__}.")
        self._update(set_tags={str(k): (None if v is None else str(v))
                               for k, v in tags.items()})

    def remove_tags(self, tags: Iterable[str]) -> None:
        keys = [tags] if isinstance(tags, str) else [str(k) for k in tags]
        self._update(remove_tags=keys)

    def refresh(self) -> None:
        """Reload name, tags and archive state from the store."""
        self._record = self.workspace._call_store(
            self.workspace._store.get_experiment, self.workspace._record.id,
            experiment_id=self._record.id)

    @staticmethod
    def delete(workspace: Workspace, experiment_id: str) -> None:
        """Delete the experiment with its runs, metrics and files; the name can be reused."""
        store = workspace._store
        # Looked up in this workspace first, so an id from another workspace is not deleted.
        workspace._call_store(store.get_experiment, workspace._record.id,
                              experiment_id=experiment_id)
        workspace._call_store(store.delete_experiment, experiment_id)

    # ------------------------------------------------------------------ display
    def get_portal_url(self) -> str:
        """Where the JupyterLab studio shows this experiment."""
        return f"mlws://experiments/{self.workspace._record.id}/{self.name}"

    def __str__(self) -> str:
        return f"Experiment(Name: {self.name},\nWorkspace: {self.workspace.name})"

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        name = html.escape(self.name)
        ws = html.escape(self.workspace.name)
        url = html.escape(self.get_portal_url(), quote=True)
        return (
            "<table style=\"width:100%\"><tr><th>Name</th><th>Workspace</th>"
            "<th>Report Page</th><th>Docs Page</th></tr>"
            f"<tr><td>{name}</td><td>{ws}</td>"
            f"<td><a href=\"{url}\" target=\"_blank\" rel=\"noopener\">Link to JupyterLab</a></td>"
            f"<td><a href=\"{DOCS_URL}\" target=\"_blank\" rel=\"noopener\">"
            "Link to Documentation</a></td></tr></table>")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Experiment):
            return NotImplemented
        return self._record.id == other._record.id

    def __hash__(self) -> int:
        return hash(self._record.id)


__all__ = [
    "Experiment",
    "ViewType",
    "experiment_method",
    "get_submit_function",
    "register_submit_function",
]
