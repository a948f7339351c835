"""The Run: one execution in an experiment, shaped like ``azureml.core.Run`` (v1 section 4).

A Run is a thin object over a :class:`RunRecord`: identity, run types and queries live here,
creation in :mod:`run_creation`, ending (complete, fail, cancel) in :mod:`run_lifecycle`, metric
logging in :mod:`run_metrics`, tags/properties/details in :mod:`run_details`, and the file side
(artifacts, outputs/, snapshots, image and JSON metrics) in the mixins of
:mod:`run_files` and :mod:`run_artifact_metrics`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import RunQuery, RunRecord
from .keyvault import name_list, run_secrets
from .metric_buffer import get_buffer
from .run_artifact_metrics import RunArtifactMetricsMixin
from .run_children import RunChildrenMixin, key_value_filter
from .run_creation import RunCreationMixin, outputs_folder
from .run_details import RunDetailsMixin
from .run_files import RunFilesMixin
from .run_insights import RunInsightsMixin
from .run_lifecycle import RunLifecycleMixin, run_error
from .run_metrics import RunMetricsMixin
from .run_models import RunModelsMixin
from .status import RunStatus

if TYPE_CHECKING:
    from .environment import Environment
    from .experiment import Experiment
    from .workspace import Workspace

RunFactory = Callable[["Experiment", RunRecord], "Run"]
_PAGE = 500


class Run(RunCreationMixin, RunLifecycleMixin, RunMetricsMixin, RunDetailsMixin,
          RunChildrenMixin, RunArtifactMetricsMixin, RunFilesMixin, RunInsightsMixin,
          RunModelsMixin):
    """A run of an experiment: metrics, files, tags, properties, children and status."""

    _type_providers: dict[str, RunFactory] = {}  # shared registry, on purpose
    _entry_points_loaded = False
    _set_status_on_end = True  # False for a submitted run: its executor owns the status

    def __init__(self, experiment: Experiment, run_id: str, outputs: Any = None,
                 **kwargs: Any) -> None:
        """Attach to the existing run ``run_id`` of ``experiment``."""
        record = kwargs.get("_record")
        if record is None:
            store = experiment.workspace._store
            record = store.get_run(run_id, workspace_id=experiment.workspace._record.id)
            if record.experiment_id != experiment._record.id:
                raise UserErrorException(f"Run {run_id} belongs to experiment "
                                         f"{record.experiment_name!r}, not {experiment.name!r}")
        self._attach(experiment, record, kwargs.get("_known_kinds"))
        if outputs not in (None, False):
            self._outputs_dir = outputs_folder(outputs)

    def _attach(self, experiment: Experiment, record: RunRecord,
                known_kinds: dict[str, str] | None = None) -> None:
        self.experiment = experiment
        self._store = experiment.workspace._store
        self._record = record
        self._outputs_dir: str | None = None
        self._buffer = get_buffer(self._store)
        self._metric_kinds = known_kinds
        self._metric_keys = {}
        self._owns_run = False

    @classmethod
    def _from_record(cls, experiment: Experiment, record: RunRecord) -> Run:
        """Build a run from a fetched record, without another store call."""
        run = cls.__new__(cls)
        run._attach(experiment, record)
        return run

    # ---- run types (v1 section 0)
    @classmethod
    def add_type_provider(cls, runtype: str, factory: RunFactory) -> None:
        """Register ``factory(experiment, record) -> Run`` for runs of type ``runtype``."""
        Run._type_providers[runtype] = factory

    @classmethod
    def _load_entry_points(cls) -> None:
        # Plug-ins register through the "jupyter_mlws_run_type_providers" entry-point group,
        # read once on first rehydration rather than at import (import time matters).
        Run._entry_points_loaded = True
        from importlib.metadata import entry_points  # only when a run opens: keeps `import` light

        for entry in entry_points(group="jupyter_mlws_run_type_providers"):
            try:
                Run._type_providers.setdefault(entry.name, entry.load())
            except Exception as exc:
                warnings.warn(f"Run type provider {entry.name!r} failed to load: {exc}",
                              RuntimeWarning, stacklevel=2)

    @classmethod
    def _rehydrate(cls, experiment: Experiment, record: RunRecord) -> Run:
        """The most specific Run class for ``record`` (by run_type or azureml.runsource)."""
        if not Run._entry_points_loaded:
            cls._load_entry_points()
        factory = (Run._type_providers.get(record.run_type or "")
                   or Run._type_providers.get(record.properties.get("azureml.runsource", "")))
        return factory(experiment, record) if factory else Run._from_record(experiment, record)

    # ---- queries
    @staticmethod
    def list(experiment: Experiment, type: str | None = None, tags: Any = None,
             properties: Any = None, status: str | None = None,
             include_children: bool = False, _rehydrate_runs: bool = True) -> Iterator[Run]:
        """Runs of ``experiment``, newest first (a generator)."""
        query = RunQuery(experiment_id=experiment._record.id, include_children=include_children,
                         status=[status] if isinstance(status, str) else status,
                         tags=key_value_filter(tags),
                         properties=key_value_filter(properties), run_type=type)
        return Run._iterate(experiment, query, _rehydrate_runs)

    @staticmethod
    def _iterate(experiment: Experiment, query: RunQuery, rehydrate: bool) -> Iterator[Run]:
        store = experiment.workspace._store
        workspace_id = experiment.workspace._record.id
        seen: set[str] = set()
        query.limit, query.offset = _PAGE, 0
        experiments: dict[str, Experiment] = {experiment._record.id: experiment}
        while True:
            page = store.list_runs(workspace_id, query)
            for record in page:
                if record.id in seen:  # a run created meanwhile shifted the page
                    continue
                seen.add(record.id)
                owner = experiments.get(record.experiment_id)
                if owner is None:
                    owner = experiments[record.experiment_id] = Run._experiment_of(
                        experiment.workspace, record)
                yield Run._rehydrate(owner, record) if rehydrate else Run._from_record(owner,
                                                                                       record)
            if len(page) < _PAGE:
                return
            query.offset += _PAGE

    @staticmethod
    def _experiment_of(workspace: Workspace, record: RunRecord) -> Experiment:
        from .experiment import Experiment  # cycle: experiment imports run

        exp = workspace._store.get_experiment(workspace._record.id,
                                              experiment_id=record.experiment_id)
        return Experiment._from_record(workspace, exp)

    @staticmethod
    def get(workspace: Workspace, run_id: str) -> Run:
        """The run ``run_id`` of ``workspace``, rehydrated to its specific class."""
        record = workspace._store.get_run(run_id, workspace_id=workspace._record.id)
        return Run._rehydrate(Run._experiment_of(workspace, record), record)

    def refresh(self) -> None:
        """Re-read the run's record from the store."""
        self._record = self._store.get_run(self.id)

    # ---- identity
    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        """Deprecated in v1; the display name."""
        return self.display_name

    @property
    def display_name(self) -> str:
        return self._record.display_name or self._record.id

    @display_name.setter
    def display_name(self, value: str) -> None:
        self._record = self._store.update_run(self.id, display_name=str(value))

    @property
    def description(self) -> str | None:
        return self._record.description

    @description.setter
    def description(self, value: str) -> None:
        self._record = self._store.update_run(self.id, description=str(value))

    @property
    def type(self) -> str | None:
        return self._record.run_type

    @property
    def number(self) -> int:
        return self._record.number

    @property
    def status(self) -> str:
        """Status as of the last fetch (get_status() refreshes)."""
        return self._record.status

    @property
    def parent(self) -> Run | None:
        """The parent run, fetched on first use; None for a top-level run."""
        if self._record.parent_run_id is None:
            return None
        cached = getattr(self, "_parent", None)
        if cached is None:
            record = self._store.get_run(self._record.parent_run_id)
            cached = self._parent = Run._rehydrate(self.experiment, record)
        return cached

    def get_environment(self) -> Environment:
        """The environment of the run's definition (v1: registered or curated by name and
        version); only submitted runs have one."""
        from .environment import Environment  # on use: environments load only for get_environment

        definition = (self._record.run_definition or {}).get("environment")
        if not definition:
            raise UserErrorException(f"Run {self.id} has no environment: only runs submitted "
                                     "with experiment.submit() record one")
        return Environment._of_run_definition(self.experiment.workspace, definition)

    # ---- context (v1 section 4.2)
    @classmethod
    def get_context(cls, allow_offline: bool = True, used_for_context_manager: bool = False,
                    **kwargs: Any) -> Run:
        """The run this code executes in (submitted run, else the local default run)."""
        from .run_context import get_context  # cycle: run_context imports run

        return get_context(allow_offline=allow_offline, **kwargs)

    # ---- secrets (v1 section 4.10): the workspace key vault, read as this run
    def get_secret(self, name: str) -> str:
        """A secret of the run's workspace; its value is masked in this run's logs."""
        found = run_secrets(self, [name])
        if not found:
            raise UserErrorException(f"Secret {name!r} not found in the key vault of "
                                     f"workspace {self.experiment.workspace.name!r}")
        return next(iter(found.values()))

    def get_secrets(self, secrets: list[str]) -> dict[str, str | None]:
        """``{name: value}`` (None for a name without a secret), read as this run."""
        names = name_list(secrets)
        found = run_secrets(self, names)
        return {name: found.get(name) for name in names}

    @classmethod
    def get_submitted_run(cls, **kwargs: Any) -> Run:
        """Deprecated v1 alias of ``get_context(allow_offline=False)``."""
        return cls.get_context(allow_offline=False, **kwargs)


def get_run(experiment: Experiment, run_id: str, rehydrate: bool = True,
            clean_up: bool = True) -> Run:
    """The run ``run_id`` of ``experiment`` (v1 ``azureml.core.get_run``)."""
    record = experiment.workspace._store.get_run(run_id,
                                                 workspace_id=experiment.workspace._record.id)
    if record.experiment_id != experiment._record.id:
        raise UserErrorException(f"Run {run_id} belongs to experiment "
                                 f"{record.experiment_name!r}, not {experiment.name!r}")
    return Run._rehydrate(experiment, record) if rehydrate else Run._from_record(experiment,
                                                                                 record)


__all__ = ["Run", "RunStatus", "get_run", "outputs_folder", "run_error"]
