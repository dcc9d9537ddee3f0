"""Helpers for tests that look at pages: script sources of exported HTML, headless JupyterLab, Chromium."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# as root on a machine without network: no sandbox, no GPU, no background connections (docs/environment.md)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
WIDGET_RENDERER = re.compile(r"widgetRendererSrc\s*=\s*'([^']*)'")
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


def script_sources(html: str) -> list[str]:
    """Every script URL an nbconvert page loads: <script src> and the widget renderer it injects."""
    return SCRIPT_SRC.findall(html) + WIDGET_RENDERER.findall(html)


def remote_sources(html: str) -> list[str]:
    """The script URLs that need the network (http, https or protocol-relative)."""
    return [src for src in script_sources(html) if REMOTE.match(src)]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running headless JupyterLab: its base URL (with token) and process."""

    url: str
    token: str
    process: subprocess.Popen

    def page(self, path: str) -> str:
        """URL of a Lab page, e.g. 'lab/tree/x.ipynb', with the token."""
        return f"{self.url}/{path}?token={self.token}"


@contextmanager
def jupyter_lab(root: Path, timeout: float = 90.0) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 (a free port, a random token) serving `root`; stop it by its PID."""
    port, token = free_port(), secrets.token_hex(16)
    state = root.parent / f"{root.name}-lab-state"   # runtime files, settings and workspaces of this server only
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = state / "lab.log"
    no_news = state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    no_news.parent.mkdir(parents=True, exist_ok=True)
    no_news.write_text('{"fetchNews": "false"}')   # no "official Jupyter news?" toast over the screenshot
    # every cell stays in the page (JupyterLab 4 leaves cells outside the viewport out of the DOM by default)
    windowing = state / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    windowing.parent.mkdir(parents=True, exist_ok=True)
    windowing.write_text('{"windowingMode": "none"}')
    with log.open("w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        server = LabServer(url=f"http://127.0.0.1:{port}", token=token, process=process)
        try:
            wait_for_http(server.page("api/status"), timeout, process, log)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_http(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    """Poll `url` until it answers 200; fail early with the server's log if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def browser_missing() -> str | None:
    """Why browser tests cannot run here (None when Chromium and Playwright are both present)."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium, or `make browser-test`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright; never `playwright install`)"
    return None
