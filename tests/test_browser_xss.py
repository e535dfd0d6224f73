"""Hostile text in a real browser. A document whose title, text, quotes, outlet, file name, address
and (through a review correction) place, source and speaker carry script tags, event handlers,
javascript: links, iframes and Markdown links/images is shown on every page that shows documents;
in Chromium nothing of it may run, load or become a link, and it must read as the literal text.

Checks on every page: no dialog opens (alert), no request or websocket goes anywhere but the
app's own 127.0.0.1 port, the hostile strings are visible as text, and the DOM (every frame) holds
no <img src=x>, no element with an on* attribute, no javascript: or evil.example link, no
<iframe>/<img>/<script> pointing at evil.example and no <script> of ours."""
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_helpers import CHROMIUM, StreamlitServer, chromium, have_chromium, wait_idle
from figures.formats import load_pasted
from figures.store import Filters, Store

pytestmark = pytest.mark.skipif(not have_chromium(),
                                reason=f"needs chromium at {CHROMIUM} (apt-get install chromium)")

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JS_LINK = '<a href="javascript:alert(3)">details</a>'
A_LINK = '<a href="http://evil.example/a">more</a>'
IFRAME = '<iframe src="http://evil.example/f"></iframe>'
MD_LINK = "[click](http://evil.example/x)"
MD_IMG = "![img](http://evil.example/y.png)"

TITLE = f"{SCRIPT} Mosul {IMG} {MD_LINK} {MD_IMG}"
TEXT = f"""{SCRIPT} Mosul report {IMG}

At least 40 people were killed in Mosul {IMG}, according to the UN.

Shelling injured 25 civilians in Kharkiv {SCRIPT}, the regional governor said.

Floods have displaced 12,000 people in Sindh province, officials said. Read {MD_LINK} and \
{MD_IMG} or {JS_LINK}, {A_LINK} {IFRAME}.

Up to 300 residents are trapped in Aleppo {MD_LINK}, according to {SCRIPT} Red Crescent.
"""
HOSTILE_PLACE = f"Mosul {IMG}"
HOSTILE_SOURCE = f"UN {SCRIPT} {MD_LINK}"
HOSTILE_SPEAKER = f"Dr {IMG} {MD_IMG}"
OUTLET = f"Evil {SCRIPT} Times {MD_IMG}"

# The DOM of one frame: everything a successful injection would leave behind.
FIND_INJECTED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      if (a.toLowerCase().startsWith('on')) out.push(`${el.tagName} ${a}=${el.getAttribute(a)}`);
    }
  }
  for (const img of document.querySelectorAll('img, image')) {
    const src = img.getAttribute('src') || img.getAttribute('href') || '';
    if (src === 'x' || src.includes('evil.example')) out.push(`IMG ${src}`);
  }
  for (const a of document.querySelectorAll('a, area')) {
    const href = (a.getAttribute('href') || a.getAttribute('xlink:href') || '').trim();
    if (/^\\s*javascript:/i.test(href) || href.includes('evil.example')) out.push(`A ${href}`);
  }
  for (const el of document.querySelectorAll('iframe, frame, object, embed, script, link')) {
    const src = el.getAttribute('src') || el.getAttribute('data') || el.getAttribute('href') || '';
    const alerting = el.tagName === 'SCRIPT' && /alert\\(/.test(el.textContent);
    if (src.includes('evil.example') || alerting)
      out.push(`${el.tagName} ${src || el.textContent.slice(0, 80)}`);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A store holding only the hostile document (so the sample corpus is not added), with the
    killed figure's place, source and speaker corrected to hostile text as an analyst could type it."""
    db = tmp_path_factory.mktemp("xss") / "figures.db"
    doc = load_pasted(TEXT, title=TITLE, url="javascript:alert(3)", published="2017-07-10")
    doc.outlet = OUTLET
    doc.file_name = f"{IMG}.txt"
    with Store(db) as s:
        result = s.add(doc)
        assert result.status == "added" and result.figures >= 3
        rows = s.figures(Filters(include_combatants=True, statuses=()))
        killed = next(r for r in rows if r["category"] == "killed")
        s.review(killed["figure_id"], location=HOSTILE_PLACE, source=HOSTILE_SOURCE,
                 speaker=HOSTILE_SPEAKER, note=f"checked {SCRIPT} {MD_LINK}")
        quotes = [r["quote"] for r in rows]
    assert any(IMG in q for q in quotes) and any(SCRIPT in q for q in quotes)
    assert any(MD_LINK in q for q in quotes)
    return db, result.document_id, killed["figure_id"]


@pytest.fixture(scope="module")
def server(hostile, tmp_path_factory):
    db = hostile[0]
    with StreamlitServer(db, tmp_path_factory.mktemp("log") / "streamlit.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Watched:
    """A page with every dialog, request, websocket and page error recorded."""

    def __init__(self, browser, server):
        self.page = browser.new_page(viewport={"width": 1500, "height": 1400})
        self.dialogs, self.requests, self.sockets, self.errors = [], [], [], []
        self.origin = ("127.0.0.1", server.port)
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda w: self.sockets.append(w.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def goto(self, url, ready="[data-testid='stMain'] h1"):
        self.page.goto(url)
        self.page.wait_for_selector(ready, timeout=90_000)
        wait_idle(self.page)

    def text(self) -> str:
        return self.page.inner_text("body")

    def check(self, must_show=()):
        """The assertions every page must pass."""
        page = self.page
        page.wait_for_timeout(500)      # let a late onerror/alert fire before looking
        assert self.dialogs == []
        outside = []
        for u in self.requests + self.sockets:
            parts = urlsplit(u)
            if parts.scheme in ("data", "blob"):
                continue          # in-page content, never the network
            if (parts.hostname, parts.port) != self.origin:
                outside.append(u)
        assert outside == [], outside
        assert self.requests, "the page made no request at all: the watcher is not working"
        for frame in page.frames:
            assert frame.evaluate(FIND_INJECTED) == [], frame.url
        body = self.text()
        for s in must_show:
            assert s in body, f"{s!r} is not shown as text"
        assert not [e for e in self.errors if "alert" in e or "evil" in e], self.errors

    def close(self):
        self.page.close()


@pytest.fixture
def watched(browser, server):
    w = Watched(browser, server)
    yield w
    w.close()


def test_overview_shows_hostile_place_and_source_as_text(watched, server, hostile):
    watched.goto(server.url + "/")
    watched.page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    watched.page.wait_for_selector(".js-plotly-plot .point", timeout=60_000)
    wait_idle(watched.page)
    # the killed card: the corrected place and source, the outlet, the document's title
    watched.check(must_show=[HOSTILE_PLACE, SCRIPT, MD_LINK, f"Evil {SCRIPT} Times"])
    card = watched.page.locator(".st-key-card_killed").inner_text()
    assert HOSTILE_PLACE in card and f"{HOSTILE_SOURCE} ({HOSTILE_SPEAKER})" in card
    # the chart's place axis shows the place as text, too (Plotly reads a subset of HTML)
    ticks = watched.page.locator(".js-plotly-plot .yaxislayer-above").first.text_content()
    assert "Mosul <img" in ticks

    # clicking the Mosul bar opens its provenance on the Overview
    watched.page.locator(".js-plotly-plot .barlayer .point path").first.click(force=True)
    watched.page.wait_for_selector("text=Where this figure comes from", timeout=30_000)
    wait_idle(watched.page)
    watched.check(must_show=[SCRIPT])


def test_hostile_filters_in_the_address_bar_are_text(watched, server):
    watched.goto(server.url + f"/?q={quote(SCRIPT)}&place={quote(IMG)}&source={quote(MD_LINK)}")
    watched.page.wait_for_selector("text=No figures match", timeout=60_000)
    watched.check(must_show=[f"quote contains “{SCRIPT}”", f"in {IMG}", f"from {MD_LINK}"])


def test_figures_table_row_opens_a_safe_provenance_panel(watched, server, hostile):
    db, _, killed = hostile
    page = watched.page
    watched.goto(server.url + "/figures?combatants=1")
    grid = page.locator("[data-testid='stDataFrame']")
    grid.wait_for(timeout=60_000)
    wait_idle(page)
    # the table's order (newest report first, then newest figure): the killed figure's row
    with Store(db) as s:
        rows = s.figures(Filters(include_combatants=True))
    order = [r["figure_id"] for r in sorted(rows, key=lambda r: (r["reported_date"],
                                                                  r["figure_id"]), reverse=True)]
    row = order.index(killed)
    box = grid.bounding_box()
    panel = page.locator(".st-key-provenance")
    for _ in range(3):              # a click that lands while the page reruns can be lost
        page.mouse.click(box["x"] + 14, box["y"] + 35 + 35 * row + 17)
        try:
            panel.filter(has_text=HOSTILE_PLACE).wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            wait_idle(page)
    else:
        pytest.fail(f"selecting row {row} did not open the Mosul figure's provenance")
    wait_idle(page)
    watched.check(must_show=[HOSTILE_PLACE, f"At least 40 people were killed in Mosul {IMG}"])
    assert HOSTILE_SOURCE in panel.inner_text() and HOSTILE_SPEAKER in panel.inner_text()
    # the document's address is javascript: so there is no "Original page" button
    assert page.get_by_text("Original page").count() == 0


def test_document_page_shows_the_text_literally(watched, server, hostile):
    db, document_id, killed = hostile
    watched.goto(server.url + f"/documents?doc={document_id}&figure={killed}")
    watched.page.wait_for_selector(".st-key-document_text mark", timeout=60_000)
    wait_idle(watched.page)
    watched.check(must_show=[SCRIPT, IMG, JS_LINK, A_LINK, IFRAME, MD_LINK, MD_IMG,
                             f"Evil {SCRIPT} Times"])
    text = watched.page.locator(".st-key-document_text").inner_text()
    assert A_LINK in text and IFRAME in text
    # every figure is marked; the marks hold the figures' own words
    marks = watched.page.locator(".st-key-document_text mark").all_inner_texts()
    with Store(db) as s:
        n = len(s.figures(Filters(document_id=document_id, include_combatants=True, statuses=())))
    assert len(marks) == n and any("40" in m for m in marks)
    # the selected document is labelled by its hostile title, as text
    shown = watched.page.locator("[data-testid='stSelectbox']").first.evaluate(
        "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")
    assert TITLE in shown


def test_review_page_shows_the_hostile_figure_as_text(watched, server):
    watched.goto(server.url + "/review")
    watched.page.wait_for_selector(".st-key-provenance", timeout=60_000)
    wait_idle(watched.page)
    watched.check(must_show=[SCRIPT])
    # the reviewed (killed) figure is not in the queue; its place shows in the counts only
    assert "1 corrected" in watched.text()
