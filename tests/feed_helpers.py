"""A local web site for the feed tests, and fetch functions built on urllib that read from it.

Run as a script, it is ``python -m figures`` with these fetch functions in place of
``figures.fetch`` (a test's subprocess: ``python tests/feed_helpers.py watch CONFIG --db PATH``).
No test reaches the internet.
"""
from __future__ import annotations

import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class FetchError(Exception):
    pass


def fetch(url, *, allow_private=True, timeout=10.0, max_bytes=10 * 2**20, retries=0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            data = r.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise FetchError(f"{url}: larger than {max_bytes} bytes")
            return SimpleNamespace(url=url, final_url=r.geturl(), status=r.status,
                                   content_type=r.headers.get("Content-Type", ""), data=data,
                                   headers=dict(r.headers))
    except urllib.error.HTTPError as e:
        raise FetchError(f"{url}: HTTP {e.code}") from None
    except urllib.error.URLError as e:
        raise FetchError(f"{url}: {e.reason}") from None


def fetch_document(url, *, allow_private=True, **kw):
    from figures.formats import load_bytes
    got = fetch(url, allow_private=allow_private, **kw)
    return load_bytes(got.data, urlsplit(got.final_url).path.rsplit("/", 1)[-1] or "page.html")


def fetchers(run_query=None):
    from figures.feeds import Fetchers
    return Fetchers(fetch=fetch, fetch_document=fetch_document, run_query=run_query)


class Site:
    """A threaded HTTP server on 127.0.0.1 serving ``pages`` (path -> (status, type, body)),
    counting requests per path. A path in ``hold`` waits until ``release()``."""

    def __init__(self):
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.requests: Counter = Counter()
        self.hold: set[str] = set()
        self.held = threading.Event()          # a request is waiting on a held path
        self._release = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                site.requests[path] += 1
                if path in site.hold:
                    site.held.set()
                    site._release.wait(30)
                status, ctype, body = site.pages.get(path, (404, "text/plain", b"not found"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def page(self, path: str, body: str | bytes, ctype: str = "text/html; charset=utf-8",
             status: int = 200) -> str:
        self.pages[path] = (status, ctype, body.encode("utf-8") if isinstance(body, str) else body)
        return self.url(path)

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def article(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title></head><body><article>"
            f"<h1>{title}</h1>{body}</article></body></html>")


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """items: (link, title, RFC 822 date or "")."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
           "</title><link>http://example.org/</link><description>news</description>"]
    for link, t, date in items:
        out.append(f"<item><title>{t}</title><link>{link}</link>"
                   + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>")
    return "".join(out) + "</channel></rss>"


def atom(title: str, items: list[tuple[str, str, str]]) -> str:
    """items: (link, title, ISO timestamp)."""
    out = ['<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           f"<title>{title}</title><id>urn:test:feed</id><updated>2026-11-02T00:00:00Z</updated>"]
    for link, t, when in items:
        out.append(f'<entry><title>{t}</title><link href="{link}"/><id>urn:test:{t}</id>'
                   f"<updated>{when}</updated></entry>")
    return "".join(out) + "</feed>"


if __name__ == "__main__":
    import figures.feeds
    from figures.cli import main
    figures.feeds.default_fetchers = fetchers
    sys.exit(main(sys.argv[1:]))
