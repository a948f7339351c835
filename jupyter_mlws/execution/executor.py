"""``execute_run(spec)``: run one submitted script to completion and record it in the store.

The same function runs in the detached supervisor of a local run and in a Dask worker, so it
depends on nothing but the JSON spec (documented in docs/internals.md, "Run executor spec").
When the environment is already built and the working copy prepared, the script is started
*before* the store is imported (that import costs ~0.5 s): submit -> script running stays
well under 300 ms.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

# Only what starting the script needs is imported here; the store (and cancel, which reads
# store records) load once the script runs.
from .environments import EnvironmentBuildError, ensure_environment, ready_interpreter
from .log_stream import OutputPump, traceback_tail
from .process import kill_tree, spawn
from .system_metrics import SystemSampler

STD_LOG = "user_logs/std_log.txt"
BUILD_LOG = "azureml-logs/20_image_build_log.txt"
LOG_FLUSH_SECONDS = 0.2
CANCEL_POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 30.0
TICK = 0.05


class DataInputError(Exception):
    """A dataset input could not be made available (Failed, code DatasetError)."""


class _Cancelled(Exception):
    """A cancel request arrived before the script started."""


def _working_directory(spec: dict[str, Any]) -> str:
    root = spec.get("working_root") or os.path.join(spec["store"]["home"], "runs")
    return os.path.join(root, spec["run_id"], "wd")


def _child_env(spec: dict[str, Any], interpreter: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in (spec.get("environment_variables") or {}).items()})
    store = spec["store"]
    coordinates = {
        ("MLWS_RUN_ID", "AZUREML_RUN_ID"): spec["run_id"],
        ("MLWS_SUBSCRIPTION_ID", "AZUREML_ARM_SUBSCRIPTION"): spec["subscription_id"],
        ("MLWS_RESOURCE_GROUP", "AZUREML_ARM_RESOURCEGROUP"): spec["resource_group"],
        ("MLWS_WORKSPACE_NAME", "AZUREML_ARM_WORKSPACE_NAME"): spec["workspace_name"],
        ("MLWS_EXPERIMENT_NAME", "AZUREML_ARM_PROJECT_NAME"): spec["experiment_name"],
        ("MLWS_OUTPUT_DIRECTORY", "AZUREML_OUTPUT_DIRECTORY"): "./outputs",
    }
    for names, value in coordinates.items():
        for name in names:
            env[name] = value
    env["MLWS_HOME"] = store["home"]
    env["MLWS_DATABASE_URL"] = store["database_url"]
    env["MLWS_STORAGE_URL"] = store["storage_root"]
    # The script records where its submitter does: through the same server, or not at all
    # through one (a tracking URI inherited from this process must not redirect it).
    for name, key in (("MLWS_TRACKING_URI", "tracking_uri"), ("MLWS_TOKEN", "token")):
        if store.get(key):
            env[name] = store[key]
        else:
            env.pop(name, None)
    env.pop("MLWS_RUN_TOKEN", None)
    for name, key in (("MLWS_RUN_TOKEN", "run_token"), ("MLWS_SUBMITTED_BY", "submitted_by")):
        if spec.get(key):
            env[name] = str(spec[key])
    env["AZUREML_WORKSPACE_ID"] = spec["workspace_id"]
    env["PYTHONUNBUFFERED"] = "1"  # lines reach the log as they are printed
    env_bin = os.path.dirname(interpreter)
    if os.path.exists(os.path.join(env_bin, "..", "pyvenv.cfg")) and "/envs/" in interpreter:
        env["VIRTUAL_ENV"] = os.path.dirname(env_bin)
        env["PATH"] = env_bin + os.pathsep + env.get("PATH", "")
    return env


def _argv(spec: dict[str, Any], interpreter: str) -> list[str]:
    command = [str(a) for a in spec["command"]]
    if command and command[0] in ("python", "python3"):
        command[0] = interpreter
    return command


def _start(spec: dict[str, Any], interpreter: str, workdir: str):  # -> Popen
    os.makedirs(os.path.join(workdir, "outputs"), exist_ok=True)
    os.makedirs(os.path.join(workdir, "logs"), exist_ok=True)
    return spawn(_argv(spec, interpreter), workdir, _child_env(spec, interpreter))


def open_run_store(spec: dict[str, Any]):  # -> Store
    """The store a run spec names (the submitting SDK's own settings). Imported here, not at
    the top: a cached environment's script starts before the store is imported (~150 ms)."""
    from ..store import get_store  # on use: loads 8 more modules
    from ..store.settings import StoreSettings  # on use: loads 8 more modules

    settings = spec["store"]
    return get_store(StoreSettings(home=Path(settings["home"]),
                                   database_url=settings["database_url"],
                                   storage_root=settings["storage_root"],
                                   tracking_uri=settings.get("tracking_uri") or None,
                                   token=settings.get("token") or None))


def _prepare_workdir(spec: dict[str, Any], store: Any) -> str:
    given = spec.get("working_directory")
    if given and os.path.isdir(given):
        return given
    workdir = given or _working_directory(spec)
    partial = workdir + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    if spec.get("snapshot_id"):
        record = store.get_snapshot(spec["snapshot_id"])
        for rel in record.files:
            target = os.path.join(partial, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with store.open_snapshot_file(record.id, rel) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
    elif spec.get("source_directory"):
        shutil.copytree(spec["source_directory"], partial, symlinks=True)
    else:
        os.makedirs(partial)
    os.replace(partial, workdir)
    return workdir


def _upload_outputs(store: Any, run_id: str, workdir: str) -> None:
    folder = os.path.join(workdir, "outputs")
    if not os.path.isdir(folder):
        return
    existing = {a.path: a.size for a in store.list_artifacts(run_id, prefix="outputs/")}
    for dirpath, _dirs, files in os.walk(folder):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue  # never follow a link out of the run's folder
            target = "outputs/" + os.path.relpath(path, folder).replace(os.sep, "/")
            if existing.get(target) == os.path.getsize(path):
                continue  # already uploaded by the script's own run.complete()
            try:
                store.upload_artifact(run_id, target, path, overwrite=target in existing)
            except Exception as exc:  # one bad file must not cost the other outputs
                store.append_log(run_id, STD_LOG, f"\n[jupyter_mlws] not uploading {target}: "
                                 f"{exc}\n".encode())


class _Execution:
    """One run being executed: the store, the process and the bookkeeping of the loop."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.run_id: str = spec["run_id"]
        self.store: Any = None
        self.proc: Any = None
        self.pump: OutputPump | None = None
        self.workdir: str | None = None

    # ---- store helpers
    def status(self) -> tuple[str, bool]:
        from .cancel import cancel_requested  # on use: loads 9 more modules

        record = self.store.get_run(self.run_id)
        return record.status, cancel_requested(record)

    def cancel_requested(self) -> bool:
        from ..store.status import RunStatus, is_terminal  # loaded with the store (above)

        status, flagged = self.status()
        return flagged or status == RunStatus.CANCEL_REQUESTED or is_terminal(status)

    def set_status(self, status: str, error: dict[str, Any] | None = None) -> None:
        self.store.update_run(self.run_id, status=status, error=error, only_if_active=True)

    def build_log(self, text: str) -> None:
        self.store.append_log(self.run_id, BUILD_LOG, text.encode("utf-8", "replace"))

    # ---- phases
    def start_fast(self) -> None:
        """Start the script before touching the store when nothing needs preparing."""
        env_spec = self.spec.get("environment") or {"type": "interpreter"}
        interpreter = ready_interpreter(env_spec, self.spec["store"]["home"])
        given = self.spec.get("working_directory")
        if interpreter and given and os.path.isdir(given) and not self.spec.get("data"):
            self.workdir = given
            self.proc = _start(self.spec, interpreter, given)
            self.pump = OutputPump(self.proc.stdout)

    def prepare_and_start(self) -> None:
        if self.cancel_requested():
            raise _Cancelled()
        self.set_status("Preparing")
        self.workdir = _prepare_workdir(self.spec, self.store)
        env_spec = self.spec.get("environment") or {"type": "interpreter"}
        interpreter = ensure_environment(env_spec, self.spec["store"]["home"], self.build_log)
        if self.spec.get("data"):
            from .data_io import prepare  # cycle: data_io imports this module

            self.spec = prepare(self.store, self.spec, self.workdir)  # DataInputError
        if self.cancel_requested():
            raise _Cancelled()
        self.proc = _start(self.spec, interpreter, self.workdir)
        self.pump = OutputPump(self.proc.stdout)

    def supervise(self) -> tuple[str, int | None, dict[str, Any] | None]:
        """Follow the running script; returns (final status, exit code, error)."""
        assert self.proc is not None and self.pump is not None
        started = time.monotonic()
        limit = self.spec.get("max_run_duration_seconds")
        if not self.cancel_requested():
            self.set_status("Running")
        last_flush = last_poll = last_beat = started
        sampler = self._sampler()
        while True:
            rc = self.proc.poll()
            now = time.monotonic()
            if rc is not None:
                return self._finished(rc)
            if sampler is not None and sampler.due(now):
                sampler = self._sample(sampler, now)
            if limit and now - started > float(limit):
                rc = kill_tree(self.proc)
                return "Failed", rc, {"error": {
                    "code": "RunTimeout",
                    "message": f"The run exceeded max_run_duration_seconds={limit} and was "
                               "stopped."}}
            if now - last_poll >= CANCEL_POLL_SECONDS:
                last_poll = now
                if self.cancel_requested():
                    rc = kill_tree(self.proc)
                    return "Canceled", rc, None
            if now - last_flush >= LOG_FLUSH_SECONDS:
                last_flush = now
                self.pump.flush(self.store, self.run_id, STD_LOG)
            if now - last_beat >= HEARTBEAT_SECONDS:
                last_beat = now
                self.store.update_run(self.run_id, heartbeat=True)
            self.pump.done.wait(TICK)

    def _sampler(self) -> Any:
        """The run's CPU/memory/GPU sampler (system/... metrics), None when turned off."""

        try:
            sampler = SystemSampler(self.proc.pid)
        except Exception:  # psutil cannot see the process: run without system metrics
            return None
        return sampler if sampler.enabled else None

    def _sample(self, sampler: Any, now: float) -> Any:
        """Record one sample; a sampler that fails is dropped, the run goes on."""
        try:
            points = sampler.points(self.run_id, now)
            if points:
                self.store.append_metrics(points)
        except Exception:
            return None
        return sampler

    def _finished(self, rc: int) -> tuple[str, int, dict[str, Any] | None]:
        if rc == 0:
            return "Completed", rc, None
        assert self.pump is not None
        self.pump.close()
        tail = traceback_tail(self.pump.tail())
        reason = f"status code {rc}"
        if rc < 0:
            with contextlib.suppress(ValueError):
                reason = f"signal {signal.Signals(-rc).name}"
        message = (f"Execution failed. User process '{self.spec['command'][0]}' exited with "
                   f"{reason}. Please check log file '{STD_LOG}' for error details.")
        if tail:
            message += f" Error: {tail}"
        return "Failed", rc, {"error": {"code": "UserError", "message": message,
                                        "exitCode": rc, "logTail": tail}}

    def finalize(self, status: str, error: dict[str, Any] | None) -> None:
        if self.pump is not None:
            self.pump.close()
            self.pump.flush(self.store, self.run_id, STD_LOG, final=True)
        from ..store.status import is_terminal  # loaded with the store (above)

        current, _ = self.status()
        if not is_terminal(current):
            if status != "Canceled":
                self.set_status("Finalizing")
            if self.workdir:
                try:
                    _upload_outputs(self.store, self.run_id, self.workdir)
                except Exception as exc:
                    if error is None and status == "Completed":
                        status, error = "Failed", {"error": {
                            "code": "OutputUploadError",
                            "message": f"Uploading outputs/ failed: {exc}"}}
            if self.workdir and status == "Completed" and self.spec.get("data"):
                from .data_io import finish  # cycle: data_io imports this module

                try:
                    finish(self.store, self.spec, self.workdir)
                except Exception as exc:
                    status, error = "Failed", {"error": {
                        "code": "OutputDatasetError",
                        "message": f"Recording the output datasets failed: "
                                   f"{type(exc).__name__}: {exc}"}}
        self.set_status(status, error)


def execute_run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the script of ``spec`` to completion; returns ``{"status", "exit_code"}``.

    Honours a cancel request recorded in the store (status CancelRequested, or the
    ``mlws.cancelRequested`` property) within about a quarter of a second, and
    ``max_run_duration_seconds`` (Failed, code RunTimeout).
    """
    from ..store.liveness import current_owner  # on use: loads 9 more modules

    run = _Execution(spec)
    run.start_fast()
    try:
        run.store = open_run_store(spec)
        # From now on this process is the run's owner: if it dies, the store reconciles the
        # run to Failed instead of leaving it Running forever.
        run.store.update_run(run.run_id, owner=current_owner(), heartbeat=True)
    except BaseException:
        if run.proc is not None:
            kill_tree(run.proc)
        raise
    exit_code: int | None = None
    try:
        if run.proc is None:
            run.prepare_and_start()
        status, exit_code, error = run.supervise()
    except _Cancelled:
        status, error = "Canceled", None
    except DataInputError as exc:
        status, error = "Failed", {"error": {"code": "DatasetError", "message": str(exc)}}
    except EnvironmentBuildError as exc:
        status, error = "Failed", {"error": {"code": "EnvironmentBuildError",
                                             "message": str(exc)}}
        run.build_log(f"\n{exc}\n")
    except BaseException as exc:
        if run.proc is not None and run.proc.poll() is None:
            exit_code = kill_tree(run.proc)
        status, error = "Failed", {"error": {"code": "ExecutionError",
                                             "message": f"{type(exc).__name__}: {exc}"}}
        run.finalize(status, error)
        if not isinstance(exc, Exception):
            raise
        return {"status": status, "exit_code": exit_code}
    run.finalize(status, error)
    return {"status": status, "exit_code": exit_code}


__all__ = ["BUILD_LOG", "STD_LOG", "execute_run"]
