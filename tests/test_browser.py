"""The dashboard in a real browser: Streamlit's server on a free port, driven by Playwright with
Debian's Chromium (.ci/run installs it when missing). A full-page screenshot of the Overview is
saved in test-artifacts/ (the README's screenshot is a copy of it)."""
import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT
from figures.store import Filters, Store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="needs Debian's chromium (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "figures.db"
    port = free_port()
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "FIGURES_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"streamlit did not start: {open(log.name).read()[-2000:]}")
        time.sleep(0.3)
    yield url, db
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def wait_idle(page, timeout=60_000):
    """Until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(300)


def test_overview_click_a_bar_see_the_quote(server, browser):
    url, db = server
    page = browser.new_page(viewport={"width": 1440, "height": 1500}, accept_downloads=True)
    page.goto(url + "/")
    page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
    page.wait_for_selector(".js-plotly-plot .point", timeout=60_000)
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    assert page.locator("[data-testid='stMetric']").count() == 5

    bar = page.locator(".js-plotly-plot .barlayer .point path").first
    bar.click(force=True)
    page.wait_for_selector("text=Where this figure comes from", timeout=30_000)
    wait_idle(page)
    marked = page.locator("[data-testid='stHtml'] mark").first.inner_text()
    with Store(db) as s:
        quotes = [f["quote"] for f in s.figures()]
    assert marked and any(marked in q for q in quotes)
    page.screenshot(path=str(ARTIFACTS / "overview-provenance.png"), full_page=True)
    page.close()


def test_download_the_filtered_csv(server, browser, tmp_path):
    url, db = server
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page.goto(url + "/figures?category=trapped")
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=90_000)
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "figures-trapped.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    with Store(db) as s:
        expected = s.figures(Filters(categories=("trapped",)))
    assert sorted(int(r["figure_id"]) for r in rows) == sorted(f["figure_id"] for f in expected)
    assert {r["category"] for r in rows} == {"trapped"}
    page.close()
