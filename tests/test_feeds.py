"""News feeds and the watch loop, against a local web site the tests write (never the internet)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feed_helpers import Site, article, atom, fetchers, rss
from figures import cli, feeds
from figures.feeds import ConfigError, FeedError, Watcher, load_config
from figures.store import SCHEMA_VERSION, Store, migrate

HELPERS = Path(__file__).resolve().parent / "feed_helpers.py"
ROOT = HELPERS.parent.parent

STORIES = {
    "/news/flood.html": article(
        "Floods cut off villages in Sylhet",
        "At least 14 people were killed when the river burst its banks near Sylhet on Monday, "
        "district officials said.",
        "Rescue teams in boats were still searching the flooded fields late in the evening."),
    "/news/quake.html": article(
        "Tremor damages homes near Herat",
        "Some 2,300 families were displaced after the tremor flattened mud-brick houses around "
        "Herat, a provincial spokesman said on Tuesday.",
        "Aid groups said tents and blankets were the most urgent needs."),
    "/news/storm.html": article(
        "Storm batters the coast of Mozambique",
        "The storm injured 57 people in Beira, the city's health director told reporters.",
        "Power lines were down across much of the port city."),
}


@pytest.fixture
def site():
    s = Site()
    for path, html in STORIES.items():
        s.page(path, html)
    yield s
    s.close()


def rss_feed(site, paths=("/news/flood.html", "/news/quake.html", "/news/storm.html")):
    dates = ["Mon, 02 Nov 2026 09:30:00 +0000", "Tue, 03 Nov 2026 23:30:00 -0300", ""]
    items = [(site.url(p), f"Feed title {i}", dates[i % 3]) for i, p in enumerate(paths)]
    return site.page("/rss.xml", rss("Valley Courier", items), "application/rss+xml")


def page_requests(site) -> int:
    return sum(n for p, n in site.requests.items() if p.startswith("/news/"))


def test_rss_items_give_link_title_date_and_the_feed_as_outlet(site):
    url = rss_feed(site)
    feed = feeds.read_feed(url, fetchers())
    assert feed.title == "Valley Courier"
    assert [(i.link, i.title, i.published, i.outlet) for i in feed.items] == [
        (site.url("/news/flood.html"), "Feed title 0", "2026-11-02", "Valley Courier"),
        (site.url("/news/quake.html"), "Feed title 1", "2026-11-04", "Valley Courier"),  # UTC
        (site.url("/news/storm.html"), "Feed title 2", "", "Valley Courier")]


def test_atom_items_and_relative_links(site):
    url = site.page("/feeds/atom.xml", atom("Coast Watch", [
        ("../news/storm.html", "Storm entry", "2026-10-30T18:00:00Z")]), "application/atom+xml")
    (item,) = feeds.read_feed(url, fetchers()).items
    assert (item.link, item.title, item.published, item.outlet) == (
        site.url("/news/storm.html"), "Storm entry", "2026-10-30", "Coast Watch")


@pytest.mark.parametrize("body, ctype", [
    ("<!doctype html><html><body><p>Our news page</p></body></html>", "text/html"),
    ('{"not": "a feed"}', "application/json"),
    ("", "application/rss+xml"),
])
def test_a_feed_that_is_not_a_feed_is_an_error_naming_its_address(site, body, ctype):
    url = site.page("/broken.xml", body, ctype)
    with pytest.raises(FeedError, match="not an RSS or Atom feed") as e:
        feeds.read_feed(url, fetchers())
    assert url in str(e.value)


def test_an_unreachable_feed_is_an_error_naming_its_address(site):
    with pytest.raises(FeedError) as e:
        feeds.read_feed(site.url("/missing.xml"), fetchers())
    assert site.url("/missing.xml") in str(e.value) and "404" in str(e.value)


def test_items_are_stored_with_the_feeds_provenance_and_a_404_stops_nothing(site, tmp_path):
    del site.pages["/news/quake.html"]                    # this item's page is gone
    url = rss_feed(site)
    with Store(tmp_path / "f.db") as store:
        report = feeds.ingest_feed(store, url, fetchers())
        assert (report.added, report.present) == (2, 0)
        (reason,) = report.failures
        assert site.url("/news/quake.html") in reason and "404" in reason
        docs = {d["url"]: d for d in store.documents()}
        assert set(docs) == {site.url("/news/flood.html"), site.url("/news/storm.html")}
        flood = docs[site.url("/news/flood.html")]
        assert (flood["title"], flood["published"], flood["outlet"]) == (
            "Feed title 0", "2026-11-02", "Valley Courier")
        # no date in the feed: the page's own (none here) is kept
        assert docs[site.url("/news/storm.html")]["published"] == ""
        (killed,) = [f for f in store.figures() if f["document_url"] == flood["url"]]
        assert (killed["category"], killed["value"], killed["reported_date"]) == (
            "killed", 14, "2026-11-02")
        # again: the stored items are not fetched again; the failed one is tried again
        site.requests.clear()
        site.page("/news/quake.html", STORIES["/news/quake.html"])
        report = feeds.ingest_feed(store, url, fetchers())
        assert (report.added, report.present, report.failures) == (1, 2, [])
        assert site.requests["/news/flood.html"] == site.requests["/news/storm.html"] == 0
        assert site.requests["/news/quake.html"] == 1
        assert len(store.documents()) == 3


def test_an_item_that_is_not_a_web_address_is_not_fetched(site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("At least 99 people were killed, the secret file said.\n")
    url = site.page("/odd.xml", rss("Odd", [(secret.as_uri(), "Local file", ""),
                                            (site.url("/news/flood.html"), "Flood", "")]))
    with Store(tmp_path / "f.db") as store:
        report = feeds.ingest_feed(store, url, fetchers())
        assert report.added == 1
        (reason,) = report.failures
        assert "secret.txt" in reason and "not a web address" in reason
        assert [d["title"] for d in store.documents()] == ["Flood"]


def test_the_same_link_in_two_feeds_is_fetched_once(site, tmp_path):
    first = rss_feed(site, ["/news/flood.html"])
    second = site.page("/other.xml", atom("Other", [
        (site.url("/news/flood.html"), "Same story", "2026-11-02T10:00:00Z")]))
    with Store(tmp_path / "f.db") as store:
        assert feeds.ingest_feed(store, first, fetchers()).added == 1
        assert feeds.ingest_feed(store, second, fetchers()).present == 1
    assert site.requests["/news/flood.html"] == 1


def test_feed_command_end_to_end(site, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(feeds, "default_fetchers", fetchers)
    db = str(tmp_path / "cli.db")
    good = rss_feed(site)
    bad = site.page("/page.html", "<html><body>not a feed</body></html>")
    assert cli.main(["feed", bad, good, site.url("/gone.xml"), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "added 3, already present 0, failed 2" in err
    assert f"failed: {bad}: this is not an RSS or Atom feed" in err
    assert site.url("/gone.xml") in err
    assert cli.main(["feed", good, "--db", db]) == 0
    assert "added 0, already present 3, failed 0" in capsys.readouterr().err
    assert page_requests(site) == 3
    with Store(db) as store:
        assert sorted(d["title"] for d in store.documents()) == [
            "Feed title 0", "Feed title 1", "Feed title 2"]
        assert store.conn.execute("SELECT count(*) FROM seen_items").fetchone()[0] == 3


# -- watch ------------------------------------------------------------------------------------


def write_config(tmp_path, text: str) -> Path:
    path = tmp_path / "watch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_watch_once_twice_fetches_nothing_the_second_time(site, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(feeds, "default_fetchers", fetchers)
    url = rss_feed(site, ["/news/flood.html", "/news/quake.html"])
    atom_url = site.page("/atom.xml", atom("Coast Watch", [
        ("/news/storm.html", "Storm entry", "2026-10-30T18:00:00Z")]))
    cfg = write_config(tmp_path, f'interval_minutes = 30\nfeeds = ["{url}", "{atom_url}"]\n')
    db = str(tmp_path / "w.db")
    assert cli.main(["watch", str(cfg), "--db", db, "--once"]) == 0
    assert "round 1: added 3, already present 0, failed 0" in capsys.readouterr().err
    assert page_requests(site) == 3
    assert cli.main(["watch", str(cfg), "--db", db, "--once"]) == 0
    assert "round 1: added 0, already present 3, failed 0" in capsys.readouterr().err
    assert page_requests(site) == 3                          # nothing fetched twice
    assert site.requests["/rss.xml"] == site.requests["/atom.xml"] == 2


class FakeTime:
    """A clock that moves only when slept on, stopping the watcher after ``rounds`` sleeps."""

    def __init__(self, rounds: int, work: float = 5.0):
        self.now, self.sleeps, self.rounds, self.work = 1000.0, [], rounds, work
        self.watcher = None

    def clock(self) -> float:
        self.now += self.work              # each round seems to take ``work`` seconds
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if len(self.sleeps) >= self.rounds:
            self.watcher.stop()


def test_watch_rounds_on_the_interval_and_one_failing_source_stops_none(site, tmp_path):
    del site.pages["/news/quake.html"]
    url = rss_feed(site)
    broken = site.page("/broken.xml", "<html><body>not a feed</body></html>")
    calls = []

    def run_query(store, **params):
        calls.append(params)
        if params.get("query") == "fails":
            raise RuntimeError("the API answered 503")
        return {"added": 2, "present": [1], "failures": []}

    config = load_config(write_config(tmp_path, f"""
interval_minutes = 2
feeds = ["{broken}", "{url}"]
[[reliefweb]]
country = "SDN"
query = "floods"
limit = 5
since = 2026-11-01
[[reliefweb]]
query = "fails"
"""))
    out = tmp_path / "out.txt"
    fake = FakeTime(rounds=4)
    with Store(tmp_path / "w.db") as store, open(out, "w") as sink:
        watcher = fake.watcher = Watcher(store, config, fetchers(run_query), clock=fake.clock,
                                         sleep=fake.sleep, out=sink)
        total = watcher.run()
    assert watcher.rounds == 4 and fake.sleeps == [115.0] * 4   # 2 minutes less the work
    assert calls[0] == {"country": ["SDN"], "query": "floods", "limit": 5, "since": "2026-11-01"}
    assert len(calls) == 8
    lines = out.read_text().splitlines()
    rounds = [line for line in lines if " round " in line]
    assert rounds[0].endswith("round 1: added 4, already present 1, failed 3")
    assert rounds[1].endswith("round 2: added 2, already present 3, failed 3")
    assert rounds[2].endswith("round 3: added 2, already present 3, failed 3")
    # the page that keeps failing is given up after three attempts; the broken feed is not
    assert rounds[3].endswith("round 4: added 2, already present 3, failed 2")
    assert sum("not tried again until the watch restarts" in line for line in lines) == 1
    assert site.requests["/news/quake.html"] == 3
    assert sum(broken in line and "not an RSS or Atom feed" in line for line in lines) == 4
    assert sum("the API answered 503" in line for line in lines) == 4
    assert total.added == 10


def test_what_a_reliefweb_query_returns_is_counted():
    from types import SimpleNamespace as NS
    outcomes = NS(outcomes=[NS(status="added", reason=""), NS(status="present", reason=""),
                            NS(status="failed", reason="https://x.example/r/1: HTTP 500")])
    r = feeds._as_report(outcomes)
    assert (r.added, r.present, r.failures) == (1, 1, ["https://x.example/r/1: HTTP 500"])
    r = feeds._as_report(NS(added=3, present=0, failed=2))
    assert (r.added, r.present, r.failed) == (3, 0, 2)
    assert feeds._as_report(None).summary() == "added 0, already present 0, failed 0"


def test_watch_skips_reliefweb_without_a_client(site, tmp_path, monkeypatch):
    # an installation without the ReliefWeb client (a module without run_query)
    import figures.reliefweb
    monkeypatch.delattr(figures.reliefweb, "run_query")
    url = rss_feed(site, ["/news/flood.html"])
    config = load_config(write_config(
        tmp_path, f'feeds = ["{url}"]\n[[reliefweb]]\ncountry = ["AFG"]\n'))
    out = tmp_path / "out.txt"
    with Store(tmp_path / "w.db") as store, open(out, "w") as sink:
        report = Watcher(store, config, fetchers(), out=sink).run(once=True)
    assert report.added == 1 and report.failures == []
    assert "skipped, this installation has no ReliefWeb client" in out.read_text()


@pytest.mark.parametrize("text, message", [
    ("feeds = [", "not valid TOML"),
    ('feed = ["http://x/"]', "unknown setting(s) feed"),
    ('feeds = ["http://x/"]\ninterval_minutes = 0', "positive number"),
    ('feeds = "http://x/"', "list of addresses"),
    ('[[reliefweb]]\ncountries = ["SDN"]', "unknown ReliefWeb setting(s) countries"),
    ("interval_minutes = 5", "nothing to watch"),
    ("[[reliefweb]]\ncountry = [729]", "ISO3 code in quotes"),
])
def test_a_bad_configuration_says_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write_config(tmp_path, text))


def test_the_example_configuration_is_valid():
    config = load_config(ROOT / "data" / "watch.example.toml")
    assert config.interval_minutes == 60 and config.feeds and config.reliefweb
    assert all(set(q) <= set(feeds.RELIEFWEB_KEYS) for q in config.reliefweb)


def test_watch_command_refuses_a_bad_configuration(tmp_path, capsys):
    assert cli.main(["watch", str(tmp_path / "none.toml"), "--db", str(tmp_path / "x.db")]) == 2
    assert "cannot read" in capsys.readouterr().err


def _start_watch(cfg, db, *extra):
    return subprocess.Popen([sys.executable, str(HELPERS), "watch", str(cfg), "--db", str(db),
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait(predicate, seconds=60.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_watch_killed_and_restarted_fetches_nothing_twice(site, tmp_path):
    url = rss_feed(site)
    cfg = write_config(tmp_path, f'interval_minutes = 0.02\nfeeds = ["{url}"]\n')
    db = tmp_path / "killed.db"
    site.hold.add("/news/quake.html")         # the second item's page hangs ...
    proc = _start_watch(cfg, db)
    try:
        assert site.held.wait(60), proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGKILL)      # ... and the watcher is killed while it waits
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    site.hold.clear()
    assert site.requests["/news/flood.html"] == 1 and site.requests["/news/storm.html"] == 0
    with Store(db) as store:
        assert [d["url"] for d in store.documents()] == [site.url("/news/flood.html")]

    # restarted: the stored item is not fetched again, the others are, once; SIGTERM ends it
    proc = _start_watch(cfg, db)
    try:
        assert _wait(lambda: site.requests["/rss.xml"] >= 4 or proc.poll() is not None)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped after" in err and "round 1: added 2, already present 1, failed 0" in err
    assert (site.requests["/news/flood.html"], site.requests["/news/quake.html"],
            site.requests["/news/storm.html"]) == (1, 2, 1)    # quake: never stored the first time
    with Store(db) as store:
        assert len(store.documents()) == 3

    proc = _start_watch(cfg, db, "--once")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "added 0, already present 3, failed 0" in err
    assert page_requests(site) == 4


def test_an_old_version_4_store_opens_and_keeps_everything(tmp_path):
    from conftest import UNICEF, unicef_figure
    from figures.schema import FIELDS
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path)
    assert migrate(conn, upto=4) == 4
    conn.execute("INSERT INTO documents (sha256, doc_id, title, url, added_at, format, text,"
                 " extractor_version, pages) VALUES ('abc', 'unicef', 'Old report',"
                 " 'https://example.org/old', '2026-01-01', 'txt', ?, '0.4.0', '[]')", (UNICEF,))
    fig = unicef_figure()
    v4 = {r[1] for r in conn.execute("PRAGMA table_info(figures)")}
    fields = [c for c in FIELDS if c in v4]       # the schema's fields a version 4 store had
    columns = ", ".join(f'"{c}"' for c in fields)
    conn.execute(f"INSERT INTO figures (document_id, {columns},"
                 f" extractor_version) VALUES (1, {', '.join('?' * len(fields))}, '0.4.0')",
                 [getattr(fig, c) for c in fields])
    conn.execute("INSERT INTO reviews (document_id, span_start, span_end, status, note,"
                 " reviewed_at) VALUES (1, ?, ?, 'accepted', 'checked', '2026-01-02')",
                 (fig.start, fig.end))
    conn.execute("INSERT INTO meta (key, value) VALUES ('sample_offered', 'yes')")
    conn.commit()
    before, columns = {}, {}
    for table in ("documents", "figures", "reviews", "meta", "figure_rows"):
        cur = conn.execute(f"SELECT * FROM {table}")
        before[table] = cur.fetchall()
        columns[table] = ", ".join(f'"{d[0]}"' for d in cur.description)
    conn.close()
    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 5
        # every column there was keeps its values (later versions may add columns, and keys of
        # their own to meta)
        after = {t: [tuple(r) for r in s.conn.execute(f"SELECT {c} FROM {t}")]
                 for t, c in columns.items()}
        assert [r for r in after.pop("meta") if r[0] in dict(before["meta"])] == before["meta"]
        assert after == {t: rows for t, rows in before.items() if t != "meta"}
        assert s.figures()[0]["review_status"] == "accepted"
        assert s.seen("https://example.org/old")          # a stored document's address counts
        assert not s.seen("https://example.org/new")
        s.mark_seen("https://example.org/rss", "https://example.org/new", None)
        s.mark_seen("https://example.org/rss", "https://example.org/new", None)   # once
        assert s.seen("https://example.org/new")
        assert s.conn.execute("SELECT count(*) FROM seen_items").fetchone()[0] == 1
