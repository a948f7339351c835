"""Browser tests of the JupyterLab studio: a throwaway `jupyter lab` (free port, temp root,
temp settings and its own MLWS_HOME) driven by Debian's Chromium through pytest-playwright.

The server is started once per session (per pytest-xdist worker): starting JupyterLab is the
slowest part of a browser test. Each test seeds its own workspace (unique name) through the SDK
against the server's MLWS_HOME and names its notebooks and files after it, so tests do not see
each other's data.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = os.environ.get("MLWS_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
LABEXTENSION = ROOT / "jupyter_mlws" / "labextension" / "package.json"
# The README's screenshots are refreshed only on request (MLWS_UPDATE_SCREENSHOTS=1), so a
# test run leaves the work tree clean; otherwise they land in the git-ignored .mlws-test/.
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("MLWS_UPDATE_SCREENSHOTS") == "1"
               else ROOT / ".mlws-test" / "screenshots")
# scripts/test.sh sets MLWS_REQUIRE_BROWSER=1: there a missing browser or build is an error.
_REQUIRED = os.environ.get("MLWS_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if _REQUIRED:
        raise pytest.UsageError(f"browser tests required but {reason}")
    pytest.skip(reason, allow_module_level=True)


if not Path(CHROMIUM).exists():
    _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
if not LABEXTENSION.exists():
    _unavailable("the lab extension is not built (jlpm install && jlpm build)")


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    home: Path
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}mlws/api/v1/{path}", timeout=10) as r:
            return json.loads(r.read())


@contextmanager
def launch_lab(base: Path, server_config: dict[str, Any] | None = None,
               token: str | None = None) -> Iterator[Lab]:
    """A `jupyter lab` of its own under `base` (store home, root, settings), stopped on exit.

    `server_config` is written as its jupyter_server_config.json (e.g. an identity provider
    and MlwsApp settings). Without `token` the server is open (no token, no password);
    with it the server's own authentication stays on and `token` is what the start-up probe
    authenticates with.
    """
    home, root, settings = base / "mlws-home", base / "root", base / "settings"
    for d in (home, root, settings):
        d.mkdir()
    home.chmod(0o700)  # a store home others can read is warned about (in screenshots too)
    # The "Jupyter news" toast would cover the UI.
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # Notebooks start their kernel without a "Select Kernel" dialog.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"autoStartDefaultKernel": true}')
    port = _free_port()
    # Nothing of this process's own store, tracking or run reaches the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env.update(MLWS_HOME=str(home), JUPYTER_PLATFORM_DIRS="1")
    if server_config is not None:
        config = base / "config"
        config.mkdir()
        (config / "jupyter_server_config.json").write_text(json.dumps(server_config))
        env["JUPYTER_CONFIG_DIR"] = str(config)
    access = ([] if token is not None
              else ["--IdentityProvider.token=", "--ServerApp.password="])
    log = base / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
             "--ServerApp.ip=127.0.0.1", *access,
             "--ServerApp.allow_root=True", f"--ServerApp.root_dir={root}",
             f"--LabApp.user_settings_dir={settings}",
             f"--LabApp.workspaces_dir={base / 'workspaces'}",
             "--ServerApp.disable_check_xsrf=False"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    headers = {"Authorization": f"token {token}"} if token is not None else {}

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"jupyter lab exited:\n{log.read_text()[-3000:]}")
        request = urllib.request.Request(f"{url}mlws/api/v1/workspaces", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for(ready, timeout=90, what="jupyter lab to start")
        yield Lab(url=url, home=home, root=root, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


LabFactory = Callable[..., Lab]


@pytest.fixture(scope="module")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFactory]:
    """Start more labs with their own server config: `lab_factory(server_config=...,
    token=...)` (the arguments of `launch_lab`); they stop with the test module."""
    with ExitStack() as stack:
        yield lambda **kwargs: stack.enter_context(
            launch_lab(tmp_path_factory.mktemp("lab"), **kwargs))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The open lab most tests share (one per session and xdist worker)."""
    with launch_lab(tmp_path_factory.mktemp("lab")) as started:
        yield started


@pytest.fixture
def lab_store(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """Point this test process's SDK at the server's store (after tests/conftest.py's
    per-test MLWS_HOME), so seeded data is what the browser sees."""
    from jupyter_mlws.store import reset_store_cache

    monkeypatch.setenv("MLWS_HOME", str(lab.home))
    reset_store_cache()
    yield lab
    from jupyter_mlws.core.metric_buffer import flush_all

    flush_all()
    reset_store_cache()


@pytest.fixture
def ws_name() -> str:
    return f"ws-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900},
            "accept_downloads": True}


class UI:
    """Helpers of the browser tests, over one page and the server."""

    def __init__(self, page: Any, lab: Lab) -> None:
        self.page = page
        self.lab = lab
        # A JupyterLab workspace (layout) of this test's own: nothing restored from another.
        self.lab_url = f"{lab.url}lab/workspaces/t{uuid.uuid4().hex[:10]}"
        # The kernel channel sockets of the page: [frames received, closed] each.
        self.kernel_sockets: list[list[Any]] = []
        page.on("websocket", self._watch_kernel_socket)

    def _watch_kernel_socket(self, ws: Any) -> None:
        if "/api/kernels/" in ws.url and "/channels" in ws.url:
            state: list[Any] = [0, False]
            self.kernel_sockets.append(state)
            ws.on("framereceived", lambda _: state.__setitem__(0, state[0] + 1))
            ws.on("close", lambda _: state.__setitem__(1, True))

    def _kernel_connected(self) -> bool:
        """A kernel socket that the kernel has answered on and that is still open. Until then
        JupyterLab may replace the socket (the first one is closed before it is established
        under load), and a widget created meanwhile never reaches the widget manager
        ("widget model not found")."""
        self.page.wait_for_timeout(50)  # lets playwright deliver the socket events
        return any(frames and not closed for frames, closed in self.kernel_sockets)

    def open_lab(self, query: str = "", path: str = "") -> None:
        """Load JupyterLab and wait until the shell and our sidebar are up."""
        self.page.goto(f"{self.lab_url}{path}{query}", timeout=60000)
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=60000)
        self.page.wait_for_selector(".jp-SideBar [data-id='mlws-panel']", timeout=30000)

    def run_notebook(self, name: str) -> Any:
        """Open a notebook of the server's root and run all its cells."""
        self.open_lab(path=f"/tree/{name}")
        panel = self.page.locator(".jp-NotebookPanel").filter(
            has=self.page.locator(".jp-Toolbar[aria-label]")).last
        panel.wait_for(timeout=60000)
        panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
            timeout=60000)
        wait_for(self._kernel_connected, timeout=60, what=f"the kernel of {name} to connect")
        # "Run All" while the kernel is still connecting is silently dropped
        # (jupyterlab#15420): click again until the first cell is queued or has run. Nothing
        # has run before that, so a repeated click cannot run a cell twice.
        started = self.page.locator(".jp-InputPrompt").filter(
            has_text=re.compile(r"\[(\*|\d+)\]")).first
        for _ in range(12):
            self.page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            self.page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                started.wait_for(timeout=5000)
                return panel
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(f"the cells of {name} never started")

    def open_panel(self) -> Any:
        panel = self.page.locator("#mlws-panel")
        if not panel.is_visible():
            self.page.locator(".jp-SideBar [data-id='mlws-panel']").click()
        panel.wait_for(state="visible")
        return panel

    def select_workspace(self, workspace_id: str) -> Any:
        panel = self.open_panel()
        select = panel.locator("select.mlws-ws-select")
        wait_for(lambda: select.locator(f"option[value='{workspace_id}']").count(),
                 what="the workspace in the picker")
        select.select_option(workspace_id)
        # The list below the picker must show this workspace, not the one loaded before.
        panel.locator(f".mlws-panel-body[data-workspace-id='{workspace_id}']").wait_for()
        return panel

    def open_run(self, workspace_id: str, run_id: str, tab: str = "") -> Any:
        """Open the run view through the page URL, as Run.get_portal_url() links do."""
        self.open_lab(f"?mlws-run={run_id}&mlws-workspace={workspace_id}")
        view = self.page.locator(f".mlws-run-view[data-run-id='{run_id}']")
        view.wait_for(state="visible", timeout=30000)
        view.locator(".mlws-run-title").wait_for()
        if tab:
            self.tab(view, tab)
        return view

    def tab(self, view: Any, tab: str) -> Any:
        view.locator(f".mlws-tab[data-tab='{tab}']").click()
        panel = view.locator(f".mlws-tabpanel[data-tab='{tab}']")
        panel.wait_for()
        return panel

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def ui(page: Any, lab_store: Lab, request: pytest.FixtureRequest) -> Iterator[UI]:
    page.set_default_timeout(20000)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)

    def watch_socket(ws: Any) -> None:
        # The live channel's traffic, for the failure report.
        if "/mlws/api/v1/live" in ws.url:
            messages.append(f"live socket opened: {ws.url}")
            ws.on("framesent", lambda f: messages.append(f"live >> {str(f)[:160]}"))
            ws.on("framereceived", lambda f: messages.append(f"live << {str(f)[:160]}"))
            ws.on("close", lambda _: messages.append("live socket closed"))

    page.on("websocket", watch_socket)
    yield UI(page, lab_store)
    if request.node.stash.get(_FAILED, False):
        # What the page looked like and complained about, for the failure report.
        failures = ROOT / ".mlws-test" / "browser-failures"  # git-ignored, kept after the run
        failures.mkdir(parents=True, exist_ok=True)
        shot = failures / f"{request.node.name}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        print("\n".join(messages[-60:]))
