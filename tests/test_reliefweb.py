"""figures.reliefweb and the `fetch` / `reliefweb` commands, against ReliefWeb-shaped JSON, pages
and PDFs served by a local server the tests start: no test reaches the internet."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from figures import fetch as F
from figures import reliefweb as RW
from figures.store import Store
from net_helpers import Server, fast_retries  # noqa: F401 - a fixture

# Invented reports, in our own words.
NO_PLACE = ("<p>Aid workers said 250 civilians were injured in the clashes last week.</p>"
            "<p>Clinics are short of <b>dressings</b> and fuel.</p><script>alert(1)</script>")
WITH_PLACE = "<div><p>Floods displaced 3,000 people in Sindh province, officials said.</p></div>"


def item(rid, title, body, iso3="SDN", source="Relief Agency", files=()):
    return {"id": str(rid), "score": 1, "href": f"https://api.example/v2/reports/{rid}",
            "fields": {"title": title, "body-html": body,
                       "date": {"original": "2026-11-20T00:00:00+00:00",
                                "created": "2026-11-21T08:00:00+00:00"},
                       "source": [{"name": source, "shortname": "RA"}, {"name": "Second Body"}],
                       "primary_country": {"iso3": iso3.lower(), "name": "Somewhere"},
                       "url": f"https://reliefweb.int/node/{rid}",
                       "url_alias": f"https://reliefweb.int/report/x/report-{rid}",
                       "file": [{"url": u, "mimetype": "application/pdf", "filename": "a.pdf"}
                                for u in files]}}


@pytest.fixture
def api():
    """A server answering POST /v2/reports from ``api.items``, honouring offset and limit."""
    s = Server()
    s.items = []
    s.bodies = []

    def reports(req, body):
        q = json.loads(body or b"{}")
        s.bodies.append((req.path, q))
        off, lim = q.get("offset", 0), q.get("limit", 10)
        page = s.items[off:off + lim]
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"totalCount": len(s.items), "count": len(page), "data": page}).encode()
    s.routes["/v2/reports"] = reports
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _fast(fast_retries):
    """Waits between attempts are short in tests (net_helpers.fast_retries)."""


def test_the_request(api):
    api.items = [item(1, "One", NO_PLACE)]
    found = list(RW.reports(appname="tests-app", countries=["sdn", "SSD"], query="clashes",
                            since="2026-11-01", limit=5, api=api.base))
    assert len(found) == 1
    path, body = api.bodies[0]
    assert path == "/v2/reports?appname=tests-app"
    assert body["limit"] == 5 and body["offset"] == 0
    assert {"title", "body-html", "primary_country.iso3", "file.url"} <= set(body["fields"]["include"])
    conds = body["filter"]["conditions"]
    assert {"field": "country.iso3", "value": ["SDN", "SSD"], "operator": "OR"} in conds
    assert {"field": "date.created", "value": {"from": "2026-11-01T00:00:00+00:00"}} in conds
    assert body["query"] == {"value": "clashes", "operator": "AND"}
    r = found[0]
    assert (r.title, r.published, r.outlet, r.country) == ("One", "2026-11-20", "Relief Agency",
                                                           "SDN")
    assert r.url == "https://reliefweb.int/report/x/report-1"


def test_pages_are_followed(api, monkeypatch):
    monkeypatch.setattr(RW, "PAGE_SIZE", 2)
    api.items = [item(i, f"Report {i}", NO_PLACE) for i in range(5)]
    found = list(RW.reports(appname="a", limit=4, api=api.base))
    assert [r.id for r in found] == ["0", "1", "2", "3"]
    assert [(b["offset"], b["limit"]) for _, b in api.bodies] == [(0, 2), (2, 2)]
    api.bodies.clear()
    assert len(list(RW.reports(appname="a", limit=50, api=api.base))) == 5   # all there are
    assert [(b["offset"], b["limit"]) for _, b in api.bodies] == [(0, 2), (2, 2), (4, 2)]


@pytest.mark.parametrize("answer, reason", [
    (b"<html>maintenance</html>", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"data": {"id": 1}}', "no list of reports"),
    (b'{"totalCount": 1}', "no list of reports"),
    (b'{"data": [42]}', "not an object with 'fields'"),
    (b'{"error": {"message": "Invalid limit"}}', "refused the request: Invalid limit"),
])
def test_the_wrong_shape_names_the_api(api, answer, reason):
    api.routes["/v2/reports"] = (200, {"Content-Type": "application/json"}, answer)
    with pytest.raises(RW.ReliefWebError) as e:
        list(RW.reports(appname="a", api=api.base))
    assert str(e.value).startswith(f"{api.base}/v2/reports?appname=a: ")
    assert reason in str(e.value)


def test_an_unapproved_appname(api):
    api.routes["/v2/reports"] = (403, {}, b'{"error": "AccessDenied"}')
    with pytest.raises(RW.ReliefWebError, match="HTTP 403.*appname 'nope' approved"):
        list(RW.reports(appname="nope", api=api.base))


def test_no_appname():
    with pytest.raises(RW.ReliefWebError, match="appname is needed"):
        list(RW.reports(appname="", api="http://127.0.0.1:9"))


def test_body_html_becomes_text_never_markup():
    text = RW.html_to_text(NO_PLACE + "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td>"
                           "<td>b</td></tr></table><style>p{}</style><!-- note -->")
    assert text == ("Aid workers said 250 civilians were injured in the clashes last week.\n\n"
                    "Clinics are short of dressings and fuel.\n\none\n\ntwo\n\na b")
    assert RW.html_to_text("") == "" and RW.html_to_text("plain &amp; simple") == "plain & simple"


def test_report_document_and_the_country_hint(api, tmp_path):
    api.items = [item(7, "Clashes", NO_PLACE, iso3="SDN"),
                 item(8, "Floods", WITH_PLACE, iso3="AFG"),
                 item(9, "Empty", "<p> </p>")]
    with Store(tmp_path / "f.db") as store:
        s = RW.ingest_reports(store, RW.reports(appname="a", api=api.base))
        assert (s.added, s.present) == (2, 0)
        assert s.failures == ["https://reliefweb.int/report/x/report-9: the report has no text"]
        docs = {d["title"]: d for d in store.documents()}
        assert docs["Clashes"]["outlet"] == "Relief Agency"
        assert docs["Clashes"]["published"] == "2026-11-20"
        assert docs["Clashes"]["url"] == "https://reliefweb.int/report/x/report-7"
        figs = {f["category"]: f for f in store.figures()}
        # the text names no place: the primary country is the figure's country
        assert (figs["injured"]["value"], figs["injured"]["location"], figs["injured"]["country"]) \
            == (250, "", "SDN")
        # the text names its place: the hint does not override it
        assert (figs["displaced"]["location"], figs["displaced"]["country"]) == (
            "Sindh province", "PAK")
        # re-extraction keeps the hint
        store.reextract(everything=True)
        assert {f["category"]: f["country"] for f in store.figures()} == {
            "injured": "SDN", "displaced": "PAK"}
        # the same reports again: already present
        s = RW.ingest_reports(store, RW.reports(appname="a", api=api.base))
        assert (s.added, s.present, len(s.failures)) == (0, 2, 1)


def test_attachments(api, tmp_path):
    from test_fetch import make_pdf
    api.routes["/files/sitrep.pdf"] = (200, {"Content-Type": "application/pdf"}, make_pdf(
        "Situation update. At least 40 people were killed when fighting reached the market."))
    api.items = [item(3, "Update", NO_PLACE, iso3="SSD",
                      files=[api.url("/files/sitrep.pdf"), api.url("/files/gone.pdf")])]
    with Store(tmp_path / "f.db") as store:
        s = RW.ingest_reports(store, RW.reports(appname="a", api=api.base))
        assert s.added == 1 and api.hits.get("/files/sitrep.pdf") is None   # not asked for
        s = RW.ingest_reports(store, RW.reports(appname="a", api=api.base), attachments=True)
        assert (s.added, s.present) == (1, 1)
        assert s.failures == [f"{api.url('/files/gone.pdf')}: HTTP 404 Not Found"]
        pdf = next(d for d in store.documents() if d["format"] == "pdf")
        assert pdf["url"] == api.url("/files/sitrep.pdf") and pdf["title"] == "Update"
        assert pdf["outlet"] == "Relief Agency" and pdf["published"] == "2026-11-20"
        killed = next(f for f in store.figures() if f["category"] == "killed")
        assert killed["country"] == "SSD"


def test_the_api_failing_midway_is_a_failure_and_keeps_what_came_before(api, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(RW, "PAGE_SIZE", 1)
    api.items = [item(1, "First", NO_PLACE), item(2, "Second", WITH_PLACE)]
    good = api.routes["/v2/reports"]

    def second_page_broken(req, body):
        if json.loads(body)["offset"] >= 1:
            return 200, {}, b"{oops"
        return good(req, body)
    api.routes["/v2/reports"] = second_page_broken
    with Store(tmp_path / "f.db") as store:
        s = RW.ingest_reports(store, RW.reports(appname="a", limit=5, api=api.base))
        assert s.added == 1 and len(s.failures) == 1 and "not JSON" in s.failures[0]


# --- the commands, end to end ----------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "figures", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_fetch_command(api, tmp_path):
    from test_fetch import PAGE
    api.routes["/story"] = (200, {"Content-Type": "text/html"}, PAGE.encode())
    db = str(tmp_path / "f.db")
    r = run("fetch", api.url("/story"), api.url("/missing"), "ftp://example.org/x", "--db", db)
    assert r.returncode == 1
    assert "added 1, already present 0, failed 2" in r.stderr
    assert f"failed: {api.url('/missing')}: HTTP 404" in r.stderr
    assert "failed: ftp://example.org/x: only http and https" in r.stderr
    with Store(db) as store:
        (doc,) = store.documents()
        assert doc["url"] == api.url("/story") and doc["title"] == "Floods in the north"
        assert {f["category"] for f in store.figures()} >= {"displaced"}
    r = run("fetch", api.url("/story"), "--db", db)
    assert r.returncode == 0 and "added 0, already present 1, failed 0" in r.stderr


def test_reliefweb_command(api, tmp_path):
    api.items = [item(1, "Clashes", NO_PLACE), item(2, "Floods", WITH_PLACE, iso3="PAK")]
    db = str(tmp_path / "f.db")
    r = run("reliefweb", "--country", "SDN", "--query", "clashes", "--since", "2026-11-01",
            "--limit", "10", "--appname", "tests-app", "--api", api.base, "--db", db)
    assert r.returncode == 0, r.stderr
    assert "added 2, already present 0, failed 0" in r.stderr
    assert api.bodies[0][1]["filter"]["conditions"][0]["value"] == ["SDN"]
    with Store(db) as store:
        assert sorted(d["title"] for d in store.documents()) == ["Clashes", "Floods"]
    api.routes["/v2/reports"] = (200, {}, b'{"data": "nothing"}')
    r = run("reliefweb", "--appname", "x", "--api", api.base, "--db", db)
    assert r.returncode == 1 and f"{api.base}/v2/reports?appname=x: the answer has no list" in r.stderr


def test_reliefweb_command_needs_an_appname(tmp_path):
    import os
    env = {k: v for k, v in os.environ.items() if k != "RELIEFWEB_APPNAME"}
    r = subprocess.run([sys.executable, "-m", "figures", "reliefweb", "--db",
                        str(tmp_path / "f.db")], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=60)
    assert r.returncode == 2 and "appname" in r.stderr


def test_the_engine_giving_up_is_a_failure_naming_the_address(api, tmp_path, monkeypatch):
    from test_fetch import PAGE
    from figures import store as store_module
    from figures.extract import ExtractionTimeout

    def too_slow(*a, **k):
        raise ExtractionTimeout("gave up after 30 s")
    api.routes["/story"] = (200, {"Content-Type": "text/html"}, PAGE.encode())
    monkeypatch.setattr(store_module, "extract", too_slow)
    with Store(tmp_path / "f.db") as store:
        s = F.ingest_urls(store, [api.url("/story")])
        assert s.failures == [f"{api.url('/story')}: gave up after 30 s"]
        assert store.documents() == []


def test_a_watched_query_fetches_no_report_or_attachment_twice(api, tmp_path):
    from test_fetch import make_pdf
    pdf_hits = []

    def sitrep(req, body):
        pdf_hits.append(req.path)
        return 200, {"Content-Type": "application/pdf"}, make_pdf(
            "Situation update. At least 40 people were killed when fighting reached the market.")
    api.routes["/files/sitrep.pdf"] = sitrep
    api.items = [item(3, "Update", NO_PLACE, iso3="SSD", files=[api.url("/files/sitrep.pdf")]),
                 item(4, "Floods", WITH_PLACE, iso3="PAK")]
    with Store(tmp_path / "w.db") as store:
        s = RW.run_query(store, country=["SSD", "PAK"], appname="a", api=api.base,
                         attachments=True)
        assert (s.added, s.present, s.failures) == (3, 0, [])
        assert len(pdf_hits) == 1
        # the next round: the same answer from the API, nothing fetched or stored again
        s = RW.run_query(store, country=["SSD", "PAK"], appname="a", api=api.base,
                         attachments=True)
        assert (s.added, s.present, s.failures) == (0, 2, [])
        assert len(pdf_hits) == 1 and len(store.documents()) == 3
        # a new report in a later round is taken
        api.items.insert(0, item(5, "Clashes", NO_PLACE, iso3="SSD"))
        s = RW.run_query(store, country=["SSD", "PAK"], appname="a", api=api.base)
        assert (s.added, s.present) == (1, 2)


def test_watch_runs_a_reliefweb_query(api, tmp_path):
    api.items = [item(4, "Floods", WITH_PLACE, iso3="PAK")]
    cfg = tmp_path / "watch.toml"
    cfg.write_text(f'interval_minutes = 60\nfeeds = []\n[[reliefweb]]\ncountry = ["PAK"]\n'
                   f'appname = "a"\napi = "{api.base}"\n', encoding="utf-8")
    db = tmp_path / "w.db"
    for _ in range(2):
        r = subprocess.run([sys.executable, "-m", "figures", "watch", str(cfg), "--once",
                            "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
    with Store(db) as store:
        assert [d["title"] for d in store.documents()] == ["Floods"]
    assert "added 0, already present 1" in r.stdout + r.stderr
