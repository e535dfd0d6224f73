"""figures.fetch against a local HTTP server the tests start and fill: no test reaches the internet.

The server listens on 127.0.0.1, a loopback address: fetching it works with allow_private=True
(the CLI) and is refused with allow_private=False (the dashboard)."""
from __future__ import annotations

import gzip
import time

import pytest

from figures import fetch as F
from net_helpers import Server, fast_retries  # noqa: F401 - a fixture

PAGE = ("<!doctype html><html><head><title>Floods in the north</title>"
        "<meta property='og:site_name' content='Example Wire'></head><body><article>"
        "<h1>Floods in the north</h1>"
        "<p>Heavy rain over three days forced about 4,200 people from their homes in Gaibandha, "
        "district officials told reporters on Monday.</p>"
        "<p>Relief workers said at least six people were killed when a river embankment gave way "
        "near the town, and the search for others went on into the night.</p>"
        "</article></body></html>")


def make_pdf(text: str) -> bytes:
    from fpdf import FPDF
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _fast(fast_retries):
    """Waits between attempts are short in tests (net_helpers.fast_retries)."""


HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_a_page_is_fetched_and_read(server):
    server.routes["/story"] = (200, HTML, PAGE.encode())
    got = F.fetch(server.url("/story"))
    assert got.status == 200 and got.content_type == "text/html"
    assert got.final_url == got.url == server.url("/story")
    assert server.agents[-1].startswith("HumanitarianFigures/")
    doc = F.fetch_document(server.url("/story"))
    assert doc.format == "html" and doc.title == "Floods in the north"
    assert "4,200 people" in doc.text
    assert doc.url == server.url("/story")     # the page names no address of its own


def test_a_pdf_is_read(server):
    server.routes["/report"] = (200, {"Content-Type": "application/pdf"},
                                make_pdf("Landslides buried 12 houses and 30 people are missing."))
    doc = F.fetch_document(server.url("/report"))
    assert doc.format == "pdf" and "30 people are missing" in doc.text
    assert doc.file_name == "report.pdf" and doc.url == server.url("/report")


def test_gzip_is_decoded(server):
    server.routes["/gz"] = (200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(PAGE.encode()))
    assert "4,200" in F.fetch_document(server.url("/gz")).text


def test_404_names_the_address(server):
    with pytest.raises(F.FetchError) as e:
        F.fetch(server.url("/missing"))
    assert str(e.value).startswith(server.url("/missing") + ": HTTP 404")
    assert server.hits["/missing"] == 1        # a 404 is not retried


def test_500_then_200_is_retried(server):
    def flaky(req, _):
        if server.hits["/flaky"] == 1:
            return 500, {}, b"oops"
        return 200, HTML, PAGE.encode()
    server.routes["/flaky"] = flaky
    assert F.fetch(server.url("/flaky")).status == 200
    assert server.hits["/flaky"] == 2


def test_500_every_time_gives_up_after_the_retries(server):
    server.routes["/down"] = (503, {}, b"down")
    with pytest.raises(F.FetchError, match=r"HTTP 503 .*after 3 attempts"):
        F.fetch(server.url("/down"), retries=2)
    assert server.hits["/down"] == 3


def test_429_honours_retry_after(server, monkeypatch):
    waits = []
    monkeypatch.setattr(F.time, "sleep", waits.append)

    def limited(req, _):
        if server.hits["/busy"] == 1:
            return 429, {"Retry-After": "7"}, b"slow down"
        return 200, HTML, PAGE.encode()
    server.routes["/busy"] = limited
    monkeypatch.setattr(F, "MAX_WAIT", 60.0)
    assert F.fetch(server.url("/busy")).status == 200
    assert waits == [7.0]
    # the wait is capped, whatever the server asks
    server.hits["/busy"] = 0
    monkeypatch.setattr(F, "MAX_WAIT", 0.5)
    F.fetch(server.url("/busy"))
    assert waits[-1] == 0.5


def test_retry_after_forms():
    assert F.retry_after("12") == 12.0
    assert F.retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # in the past: no wait
    assert F.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert F.retry_after("soon") is None and F.retry_after(None) is None


def test_a_slow_answer_times_out(server):
    def slow(w):
        time.sleep(2)
        w.write(b"late")
    server.routes["/slow"] = (200, HTML, slow)
    t = time.monotonic()
    with pytest.raises(F.FetchError, match=r"/slow: .*within 0.5 s"):
        F.fetch(server.url("/slow"), timeout=0.5)
    assert time.monotonic() - t < 1.8


def test_a_body_over_the_cap_is_refused_from_its_length(server):
    server.routes["/big"] = (200, HTML, b"x" * 5000)
    with pytest.raises(F.FetchError, match=r"/big: the page is .* over the"):
        F.fetch(server.url("/big"), max_bytes=1000)


def test_a_body_over_the_cap_is_refused_while_streaming(server):
    sent = []

    def endless(w):
        for _ in range(2000):            # 128 MB if it were read whole
            w.write(b"y" * 65536)
            sent.append(1)
    server.routes["/endless"] = (200, HTML, endless)   # no Content-Length
    with pytest.raises(F.FetchError, match="over the"):
        F.fetch(server.url("/endless"), max_bytes=100_000)
    assert len(sent) < 2000


def test_a_redirect_is_followed(server):
    server.routes["/old"] = (301, {"Location": "/story"}, b"")
    server.routes["/story"] = (200, HTML, PAGE.encode())
    got = F.fetch(server.url("/old"))
    assert got.url == server.url("/old") and got.final_url == server.url("/story")
    assert F.fetch_document(server.url("/old")).url == server.url("/story")


def test_a_redirect_loop_is_refused(server):
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    server.routes["/b"] = (302, {"Location": "/a"}, b"")
    with pytest.raises(F.FetchError, match=r"/a: a redirect loop"):
        F.fetch(server.url("/a"))


def test_too_many_redirects(server):
    for i in range(10):
        server.routes[f"/r{i}"] = (302, {"Location": f"/r{i + 1}"}, b"")
    with pytest.raises(F.FetchError, match="more than 3 redirects"):
        F.fetch(server.url("/r0"), max_redirects=3)


@pytest.mark.parametrize("url", ["ftp://example.org/file.txt", "file:///etc/passwd",
                                 "javascript:alert(1)", "example.org/page", "http:///nohost"])
def test_only_http_and_https(url):
    with pytest.raises(F.FetchError) as e:
        F.fetch(url)
    assert str(e.value).startswith(url + ": ")


def test_a_redirect_to_another_scheme_is_refused(server):
    server.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    with pytest.raises(F.FetchError, match=r"not 'file:' \(redirected to file:///etc/passwd\)"):
        F.fetch(server.url("/to-file"))


def test_the_dashboard_path_refuses_a_private_server(server):
    server.routes["/story"] = (200, HTML, PAGE.encode())
    assert F.fetch(server.url("/story"), allow_private=True).status == 200
    with pytest.raises(F.FetchError, match="127.0.0.1 .a loopback address.; private addresses"):
        F.fetch(server.url("/story"), allow_private=False)
    assert server.hits["/story"] == 1       # never asked


def test_the_dashboard_path_refuses_a_redirect_to_a_private_address(server, monkeypatch):
    # the test server is loopback: let 127.0.0.1 count as public here, so that only the hop to
    # another private address is refused
    real = F.address_refusal
    monkeypatch.setattr(F, "address_refusal", lambda ip: None if ip == "127.0.0.1" else real(ip))
    server.routes["/story"] = (200, HTML, PAGE.encode())
    server.routes["/meta"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    server.routes["/lan"] = (307, {"Location": "http://10.1.2.3:8080/admin"}, b"")
    assert F.fetch(server.url("/story"), allow_private=False).status == 200
    with pytest.raises(F.FetchError, match=r"redirected to http://169.254.169.254/.*link-local"):
        F.fetch(server.url("/meta"), allow_private=False)
    with pytest.raises(F.FetchError, match=r"10.1.2.3 .a private address."):
        F.fetch(server.url("/lan"), allow_private=False)
    # the CLI path follows it (and fails to connect, or not: either way no refusal)
    with pytest.raises(F.FetchError) as e:
        F.fetch(server.url("/lan"), allow_private=True, timeout=0.3, retries=0)
    assert "private addresses" not in str(e.value)


def test_the_connected_peer_is_checked_too(server, monkeypatch):
    """A name that resolved to a public address but connects to a private one (DNS rebinding)."""
    server.routes["/story"] = (200, HTML, PAGE.encode())
    monkeypatch.setattr(F, "_check_host", lambda *a: None)     # the resolver 'said' public
    with pytest.raises(F.FetchError, match="refused: connected to 127.0.0.1"):
        F.fetch(server.url("/story"), allow_private=False)
    assert server.hits.get("/story") is None


@pytest.mark.parametrize("ip, refused", [
    ("8.8.8.8", False), ("2001:4860:4860::8888", False), ("127.0.0.1", True), ("::1", True),
    ("10.0.0.1", True), ("172.16.5.4", True), ("192.168.1.1", True), ("169.254.169.254", True),
    ("fe80::1", True), ("224.0.0.1", True), ("0.0.0.0", True), ("::", True), ("240.0.0.1", True),
    ("::ffff:192.168.0.1", True), ("100.64.0.1", True), ("fc00::1", True)])
def test_address_refusal(ip, refused):
    assert (F.address_refusal(ip) is not None) == refused


def test_an_unreadable_body_names_the_address(server):
    server.routes["/img"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"0" * 50)
    with pytest.raises(F.FetchError) as e:
        F.fetch_document(server.url("/img"))
    assert str(e.value).startswith(server.url("/img") + ": this is a binary file")
    server.routes["/empty"] = (200, HTML, b"<html><body></body></html>")
    with pytest.raises(F.FetchError, match="/empty: no readable text"):
        F.fetch_document(server.url("/empty"))


def test_an_unknown_server_names_the_address():
    for private in (False, True):
        with pytest.raises(F.FetchError, match=r"^http://no-such-host.invalid/: cannot find the "
                                               r"server 'no-such-host.invalid'"):
            F.fetch("http://no-such-host.invalid/", allow_private=private)


def test_a_closed_port_names_the_address():
    import socket
    with socket.socket() as sock:     # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(F.FetchError, match=rf"^http://127.0.0.1:{port}/: cannot connect"):
        F.fetch(f"http://127.0.0.1:{port}/", retries=0)


def test_name_for():
    assert F.name_for("https://x.org/a/report", "application/pdf") == "report.pdf"
    assert F.name_for("https://x.org/a/page.htm", "text/html") == "page.htm"
    assert F.name_for("https://x.org/", "text/html") == "x.org.html"
    assert F.name_for("https://x.org/notes.txt", "") == "notes.txt"
