"""Shared by the browser tests, the kill tests and bench/load.py: Streamlit's server on a free
loopback port with its own store, and Debian's Chromium driven by Playwright.

No pytest here, so scripts outside the test suite can import it too."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def have_chromium() -> bool:
    return os.path.exists(CHROMIUM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    pass


class StreamlitServer:
    """The dashboard as ``./run`` starts it (``scripts/serve.py``, which runs ``streamlit run
    app.py``) on 127.0.0.1:<free port> with FIGURES_DB=db; output to log_path.

    Use as a context manager (stopped on exit, killed if it does not stop) or call start()/stop().
    kill() sends SIGKILL, for the fault tests."""

    def __init__(self, db, log_path, port: int | None = None, env: dict | None = None):
        self.db, self.log_path = Path(db), Path(log_path)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FIGURES_DB": str(self.db), **(env or {})}
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 90) -> "StreamlitServer":
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            # scripts/serve.py is what ./run starts: the tests go through the same launcher
            [sys.executable, "scripts/serve.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        return self
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise ServerDidNotStart(f"streamlit did not start: {self.log()[-2000:]}")
            time.sleep(0.3)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def kill(self) -> int:
        """SIGKILL, no chance to clean up; returns the exit status (-9)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self._reap()

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self._reap()

    def _reap(self) -> int:
        code = self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing of its own going to the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


# Streamlit is idle when the app says its script is not running, no element of the run before
# is still shown as stale, and the status widget is gone (it only appears after a delay, so it
# alone can say "idle" in the middle of a run)
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


def wait_idle(page, timeout=60_000):
    """Until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_function(IDLE_JS, timeout=timeout)
    page.wait_for_timeout(300)


def download(page, button: str, folder, timeout: int = 90_000):
    """Click the button named ``button`` and save the file it downloads into ``folder``: its path
    (under the name the page suggested). A loaded machine can take far longer than the 30 s
    default to serve it."""
    with page.expect_download(timeout=timeout) as info:
        page.get_by_role("button", name=button).click(timeout=timeout)
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path
