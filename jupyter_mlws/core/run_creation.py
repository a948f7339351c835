"""Creating runs: an interactive run (``experiment.start_logging``, its snapshot stored first)
and a Running run owned by this process (children, cells), with ``outputs/`` made at once as
v1 does. Mixed into :class:`jupyter_mlws.core.run.Run`."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import TYPE_CHECKING, Any

from .identity import current_identity
from .run_details import string_values
from .run_lifecycle import run_error
from .status import RunStatus

if TYPE_CHECKING:
    from .experiment import Experiment
    from .run import Run

# run.type of start_logging runs (v1 leaves it None on some versions; a name says what it is).
INTERACTIVE_RUN_TYPE = "interactive"


def outputs_folder(outputs: Any) -> str | None:
    """start_logging's ``outputs``: None/True -> ./outputs, False -> none, str -> that dir."""
    if outputs is False:
        return None
    folder = "./outputs" if outputs is None or outputs is True else os.fspath(outputs)
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)  # v1 creates it at once so scripts can write into it
    return folder


class RunCreationMixin:
    """The constructors behind ``start_logging`` and ``child_run``."""

    @classmethod
    def _start_logging(cls, experiment: Experiment, *, name: str | None = None,
                       run_id: str | None = None, outputs: Any = None,
                       snapshot_directory: str | os.PathLike | None = ".",
                       display_name: str | None = None, tags: dict[str, Any] | None = None,
                       description: str | None = None, run_type: str = INTERACTIVE_RUN_TYPE,
                       **kwargs: Any) -> Run:
        """Create and start an interactive run (what Experiment.start_logging calls).

        The snapshot is collected and stored before the run is created, so a folder over the
        v1 limits (or any failure storing it) raises without leaving a Failed run behind."""
        from .git_info import git_properties  # on use: git only for a new run

        outputs_dir = outputs_folder(outputs)
        store = experiment.workspace._store
        snapshot_id = None
        if snapshot_directory is not None:
            # on use: the snapshot machinery loads with the first run
            from .run_files import START_SNAPSHOT_HINT

            # on use: the snapshot machinery loads with the first run
            from .snapshot import collect_for_store

            files = collect_for_store(store, snapshot_directory, START_SNAPSHOT_HINT)
            snapshot_id = store.create_snapshot(experiment.workspace._record.id, files).id
        properties = git_properties(snapshot_directory if snapshot_directory is not None
                                    else ".")
        if snapshot_id is not None:
            properties["ContentSnapshotId"] = snapshot_id
        run = cls._create(experiment, run_id=run_id, display_name=display_name or name,
                          description=description, tags=tags, properties=properties,
                          run_type=run_type)
        run._outputs_dir = outputs_dir
        if snapshot_id is not None:
            try:
                run._record = store.update_run(run.id, snapshot_id=snapshot_id)
            except BaseException as exc:
                run._finish(RunStatus.FAILED, run_error(exc, type(exc).__name__),
                            upload=False)
                raise
        return run

    @classmethod
    def _create(cls, experiment: Experiment, *, run_id: str | None = None,
                parent: Run | None = None, display_name: str | None = None,
                description: str | None = None, tags: dict[str, Any] | None = None,
                properties: dict[str, str] | None = None, run_type: str | None = None) -> Run:
        """Create a Running run owned by this process (heartbeats keep it alive)."""
        from ..store.liveness import current_owner  # on use: only a run that owns itself needs it

        props = dict(properties or {})
        with contextlib.suppress(Exception):  # no user name (some containers): leave it out
            props.setdefault("mlws.submittedBy", current_identity())
        store = experiment.workspace._store
        record = store.create_run(
            experiment.workspace._record.id, experiment._record.id,
            run_id=run_id or str(uuid.uuid4()), status=RunStatus.RUNNING,
            parent_run_id=parent.id if parent else None,
            target=parent._record.target if parent else "local",
            display_name=display_name, description=description, run_type=run_type,
            tags=string_values("Tag", tags or {}, True), properties=props, owner=current_owner())
        run = cls.__new__(cls)
        run._attach(experiment, record, known_kinds={})
        run._owns_run = True
        run._buffer.own(run.id)
        return run


__all__ = ["INTERACTIVE_RUN_TYPE", "RunCreationMixin", "outputs_folder"]
