"""The Add documents page's "From a link" and "From ReliefWeb", through Streamlit's AppTest, against
a local server (loopback: refused unless the operator allows private addresses)."""
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from figures import fetch as F
from figures.store import Store
from net_helpers import Server
from test_fetch import PAGE
from test_reliefweb import NO_PLACE, item

APP = str(ROOT / "app.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "figures.db"
    monkeypatch.setenv("FIGURES_DB", str(path))
    monkeypatch.delenv("FIGURES_ALLOW_PRIVATE_FETCH", raising=False)
    monkeypatch.delenv("RELIEFWEB_APPNAME", raising=False)
    monkeypatch.delenv("RELIEFWEB_API", raising=False)
    monkeypatch.setattr(F, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(F, "MAX_WAIT", 0.2)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def server():
    s = Server()
    s.routes["/story"] = (200, {"Content-Type": "text/html"}, PAGE.encode())
    yield s
    s.close()


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/add_documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_to_a_private_address_is_refused(db, server):
    at = page()
    at.text_input(key="link_url").set_value(server.url("/story"))
    at.button(key="FormSubmitter:link-Fetch and add").click().run()
    assert not at.exception
    assert any("private addresses are not fetched" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert server.hits.get("/story") is None
    with Store(db) as s:
        assert not any(d["url"] == server.url("/story") for d in s.documents())


def test_a_link_is_fetched_when_the_operator_allows_private_addresses(db, server, monkeypatch):
    monkeypatch.setenv("FIGURES_ALLOW_PRIVATE_FETCH", "1")
    at = page()
    at.text_input(key="link_url").set_value(server.url("/story"))
    at.button(key="FormSubmitter:link-Fetch and add").click().run()
    assert any("added" in s.value for s in at.success), [e.value for e in at.error]
    server.routes["/gone"] = (404, {}, b"")
    at.text_input(key="link_url").set_value(server.url("/gone"))
    at.button(key="FormSubmitter:link-Fetch and add").click().run()
    assert any("HTTP 404" in e.value for e in at.error)
    with Store(db) as s:
        (doc,) = [d for d in s.documents() if d["url"].startswith(server.base)]
        assert doc["title"] == "Floods in the north"


def test_reliefweb_needs_an_appname(db):
    at = page()
    assert any("appname" in i.value for i in at.info)
    assert at.button(key="FormSubmitter:reliefweb-Search and add").disabled


def test_reliefweb_reports_are_added(db, server, monkeypatch):
    bodies = []

    def api(req, body):
        bodies.append(json.loads(body))
        data = [item(5, "Clashes <script>alert(1)</script>", NO_PLACE, iso3="SDN")]
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"totalCount": 1, "data": data}).encode()
    server.routes["/v2/reports"] = api
    monkeypatch.setenv("RELIEFWEB_APPNAME", "tests-app")
    monkeypatch.setenv("RELIEFWEB_API", server.base)    # the operator's mirror: allowed
    at = page()
    at.text_input(key="rw_country").set_value("sdn")
    at.text_input(key="rw_words").set_value("clashes")
    at.button(key="FormSubmitter:reliefweb-Search and add").click().run()
    assert not at.exception
    assert any("added, 1 figure" in s.value for s in at.success), [e.value for e in at.error]
    assert bodies[0]["filter"]["conditions"][0]["value"] == ["SDN"]
    assert bodies[0]["query"]["value"] == "clashes"
    with Store(db) as s:
        fig = next(f for f in s.figures() if f["document_title"].startswith("Clashes"))
        assert fig["country"] == "SDN"
    at.text_input(key="rw_country").set_value("Sudan")
    at.button(key="FormSubmitter:reliefweb-Search and add").click().run()
    assert any("Not ISO3" in e.value for e in at.error)
