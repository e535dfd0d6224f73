"""The map in a real browser (issue 16): the Overview's "Map" view draws country outlines and the
sample's bubbles from the bundled base maps, and no request leaves 127.0.0.1, in the browser or in
the PNG download (the server's kaleido runs behind a proxy that answers nothing). Saves the
screenshot in test-artifacts/map.png (the README's docs/map.png is a copy of it)."""
from urllib.parse import urlsplit

import pytest

from browser_helpers import (CHROMIUM, StreamlitServer, chromium, download, have_chromium,
                             wait_idle)
from conftest import ROOT

pytestmark = pytest.mark.skipif(not have_chromium(),
                                reason=f"needs chromium at {CHROMIUM} (apt-get install chromium)")
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("map") / "figures.db"
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    # the PNG download's Chromium (kaleido, in the server) gets a proxy on a closed port: any
    # request of it to the network fails, and so would the map's PNG if it needed the CDN
    with StreamlitServer(db, log, env={"CHOREO_PROXY_SERVER": "127.0.0.1:9"}) as srv:
        yield srv


def test_map_draws_outlines_and_bubbles_with_no_request_outside(server, tmp_path):
    requests = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1300}, accept_downloads=True)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server.url + "/")
        page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
        wait_idle(page)
        page.locator("[data-testid='stButtonGroup'] button").filter(has_text="Map").first.click()
        plot = page.locator(".js-plotly-plot").filter(has=page.locator(".geo"))
        plot.wait_for(timeout=60_000)
        # the base map arrived: country outlines drawn
        page.wait_for_selector(".js-plotly-plot .geo .countries path", state="attached",
                               timeout=60_000)
        page.wait_for_selector(".js-plotly-plot .scattergeo .point", timeout=60_000)
        wait_idle(page)
        outlines = page.locator(".js-plotly-plot .geo .countries path").first.get_attribute("d")
        assert outlines and len(outlines) > 1000
        n_bubbles = page.locator(".js-plotly-plot .scattergeo .point").count()
        assert n_bubbles >= 3
        places = page.evaluate("""() => {
            const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
                g => g._fullLayout && g._fullLayout.geo);
            return gd.data.flatMap(t => (t.meta && t.meta.places) || []);
        }""")
        assert {"Raqqa", "Mosul", "Daraa"} <= set(places)
        assert page.get_by_text("have no place on the map").count() >= 1
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        plot.screenshot(path=str(ROOT / "test-artifacts" / "map.png"))   # docs/map.png: a copy

        # a bubble's click opens its provenance, as on the other charts
        page.locator(".js-plotly-plot .scattergeo .point").last.click(force=True)
        page.wait_for_selector("text=Where this figure comes from", timeout=30_000)
        wait_idle(page)

        # the PNG for a briefing, rendered by the server's kaleido with no network
        path = download(page, "PNG for a briefing", tmp_path, timeout=120_000)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
        page.close()

    topo = [u for u in requests if "/app/static/topojson/" in u]
    assert topo and all(u.endswith(("world_50m.json", "world_110m.json")) for u in topo)
    outside = [u for u in requests
               if urlsplit(u).scheme not in ("data", "blob", "about")
               and urlsplit(u).hostname not in LOCAL]
    assert outside == []
    assert "could not find topojson" not in server.log()
