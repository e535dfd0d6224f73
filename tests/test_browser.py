"""The dashboard in a real browser: Streamlit's server on a free port, driven by Playwright with
Debian's Chromium (.ci/run installs it when missing). A full-page screenshot of the Overview is
saved in test-artifacts/ (the README's screenshot is a copy of it)."""
import csv

import pytest

from browser_helpers import (CHROMIUM, StreamlitServer, chromium, download, have_chromium,
                             wait_idle)
from conftest import ROOT
from figures.store import Filters, Store

ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(not have_chromium(),
                                reason=f"needs chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "figures.db"
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with StreamlitServer(db, log) as srv:
        yield srv.url, db


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


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
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.goto(url + "/figures?category=trapped")
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=90_000)
    wait_idle(page)
    before = len(sent)
    path = download(page, "Download CSV", tmp_path)
    # the click asks for the file and nothing else: a rerun started by it could drop the file's
    # address on its way to the browser (then the click did nothing)
    assert "rerun_script" not in back_messages(sent[before:])
    assert path.name == "figures-trapped.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    with Store(db) as s:
        expected = s.figures(Filters(categories=("trapped",)))
    assert sorted(int(r["figure_id"]) for r in rows) == sorted(f["figure_id"] for f in expected)
    assert {r["category"] for r in rows} == {"trapped"}
    page.close()


def back_messages(frames) -> list[str]:
    """The kinds of the messages the page sent to Streamlit's server."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    return [BackMsg.FromString(f if isinstance(f, bytes) else f.encode()).WhichOneof("type")
            for f in frames]


def test_a_big_store_shown_for_the_first_time_by_the_real_server(tmp_path, browser):
    """The server as ./run starts it, a store shown the way a big one is (``FIGURES_DRIVER_MIN_
    ROWS=0``: a narrow frame read first, from the server's start) and nothing cached: the
    Overview shows the cards of every figure, then the watcher reads the whole frame and writes
    it to the cache; no temporary file is left behind, nothing fails in the log. (That the
    narrow frame is what the page reads is checked without a browser: test_app.py.)"""
    from figures import views
    db, cache, tmp = tmp_path / "figures.db", tmp_path / "cache", tmp_path / "tmp"
    tmp.mkdir()
    with Store(db) as s:
        s.seed_sample()
        cards = views.overview_cards(views.Selection(views.all_figures_frame(s), Filters()),
                                     s.pinned_ids())
    env = {"FIGURES_DRIVER_MIN_ROWS": "0", "FIGURES_CACHE_DIR": str(cache), "TMPDIR": str(tmp)}
    with StreamlitServer(db, tmp_path / "streamlit.log", env=env) as srv:
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.goto(srv.url + "/")
        page.wait_for_selector(".js-plotly-plot .point", timeout=90_000)
        wait_idle(page)
        shown = page.locator("[data-testid='stMetricValue']").all_inner_texts()
        assert shown == [c.number if c else "—" for c in cards.values()]
        for _ in range(300):                   # the whole frame, read by the watcher after
            if list(cache.glob("frames/figures-*.arrow")):
                break
            page.wait_for_timeout(100)
        assert list(cache.glob("frames/figures-*.arrow"))
        page.close()
        log = srv.log()
    assert "Traceback" not in log and not list(tmp.iterdir())
