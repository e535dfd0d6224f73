"""A local HTTP server for the network tests: the tests write what it serves, and nothing
reaches the internet."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Server:
    """A local server: ``routes[path] = handler(request) -> (status, headers, body)`` or a tuple."""

    def __init__(self):
        self.routes: dict = {}
        self.hits: dict[str, int] = {}
        self.agents: list[str] = []
        routes, hits, agents = self.routes, self.hits, self.agents

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _answer(self, body_in: bytes = b""):
                path = self.path
                hits[path] = hits.get(path, 0) + 1
                agents.append(self.headers.get("User-Agent", ""))
                route = routes.get(path.split("?", 1)[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not here"
                else:
                    status, headers, body = route(self, body_in) if callable(route) else route
                if callable(body):       # a generator writing slowly
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    try:
                        body(self.wfile)
                    except OSError:
                        pass
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def do_GET(self):
                self._answer()

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(n))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fast_retries(monkeypatch):
    """Waits between attempts are short in tests (import it into a test module, autouse there)."""
    from figures import fetch as F
    monkeypatch.setattr(F, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(F, "MAX_WAIT", 0.2)
