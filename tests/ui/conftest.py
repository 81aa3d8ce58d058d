"""Real JupyterLab in real Chromium (recipe: ../shared/TESTING.md).

One JupyterLab server per test session, in a temporary notebooks folder, with Jupyter/IPython
state isolated under build/ui/home; one headless Debian Chromium driven by Python playwright
(never `playwright install`). Tests write a notebook with ``lab.notebook(name, cells)``, open it
with ``lab.open(page, name)``, run it without awaiting, and wait on output markers.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "ui"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.ui


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server plus helpers to write, open and run notebooks."""

    def __init__(self, base: str, root: Path):
        self.base = base
        self.root = root

    def notebook(self, name: str, cells: list[str]) -> str:
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.root / name)
        return name

    def open(self, page, name: str, timeout: float = 90_000) -> None:
        """Open a notebook and wait until its kernel is idle."""
        page.goto(f"{self.base}/lab/tree/{name}?reset")
        page.wait_for_function(
            """(name) => { const w = window.jupyterapp && jupyterapp.shell.currentWidget;
                 const k = w && w.sessionContext && w.sessionContext.session
                           && w.sessionContext.session.kernel;
                 return w && w.context && w.context.path === name && k && k.status === 'idle'; }""",
            arg=name, timeout=timeout)

    @staticmethod
    def run_all(page) -> None:
        # not awaited: awaiting the command blocks until every cell has finished
        page.evaluate("() => { jupyterapp.commands.execute('notebook:run-all-cells'); return null; }")

    @staticmethod
    def run_cell(page, index: int) -> None:
        page.evaluate("""(i) => { const nb = jupyterapp.shell.currentWidget.content;
            nb.activeCellIndex = i; jupyterapp.commands.execute('notebook:run-cell'); return null; }""", index)

    @staticmethod
    def output(page, marker: str):
        """Locator of the output that shows ``marker`` (cell sources do not match)."""
        return page.locator(f".jp-OutputArea-output:has-text('{marker}')")

    @staticmethod
    def shutdown_kernels(page) -> None:
        page.evaluate("() => jupyterapp.serviceManager.sessions.shutdownAll()")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    home = REPO / "build" / "ui" / "home"
    env = dict(os.environ)
    for var in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "XDG_CONFIG_HOME",
                "XDG_CACHE_HOME", "KERAS_HOME", "MPLCONFIGDIR"):
        env[var] = str(home / var.lower())
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    # no "get notified about Jupyter news?" toast over the screenshots
    labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    port = _free_port()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SCREENSHOTS / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
         "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/status", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start; see {log.name}")
                time.sleep(0.3)
        yield Lab(base, root)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.dialogs = []  # any alert()/confirm() is recorded (escaping tests assert it stays empty)
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield pg
    try:
        Lab.shutdown_kernels(pg)
    except Exception:  # the page may already be gone after a failure; the server stops anyway
        pass
    context.close()
