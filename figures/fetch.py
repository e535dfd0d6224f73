"""Fetching a web page or PDF over HTTP(S), safely, and reading it as a document.

    fetch(url)            -> Fetched (final address, status, content type, bytes, headers)
    fetch_document(url)   -> formats.LoadedDocument, read as an uploaded file would be

Every failure is a ``FetchError`` whose message starts with the address and says what went wrong
("https://example.org/x: HTTP 404 Not Found"); no network or parser exception escapes.

What is used and why: urllib3 (already a dependency, through requests and trafilatura) with
``redirect=False`` and ``preload_content=False``. ``trafilatura.downloads`` fetches with a size cap,
retries and a user agent, but it follows redirects inside urllib3 (no check of our own at each
hop), sleeps up to 30 s on Retry-After with no way for a test to shorten it, and reports a failure
as ``None`` with the reason only in its log. Here:

* only http and https, at the first address and at every redirect;
* redirects are followed by hand, at most ``max_redirects``, each hop checked (scheme, address);
* retries with exponential backoff on 429 and 5xx, honouring Retry-After (seconds or an HTTP date),
  every wait capped by ``MAX_WAIT`` (module constants ``BACKOFF_BASE`` and ``MAX_WAIT``: tests lower
  them);
* connect and read timeouts of ``timeout`` seconds, and at most ``MAX_SECONDS`` for one response;
* a body over ``max_bytes`` is refused from its Content-Length, else while it streams (counted
  after decompression, so a gzip bomb is refused too); it is never read whole first;
* with ``allow_private=False`` (the dashboard), a host whose name resolves (socket.getaddrinfo,
  every address) to a loopback, link-local, private, reserved, multicast or unspecified address is
  refused before connecting, and the address actually connected to is checked again on the open
  socket, before a byte of the request is sent. So a name that resolves to a public address when
  checked and to a private one when connected (DNS rebinding) is refused too. The limit: the TCP
  handshake to that private address has happened by then (no request is sent). With a proxy the
  check would see the proxy: no proxy is used (environment proxy variables are ignored).
"""
from __future__ import annotations

import email.utils
import ipaddress
import os
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as _Urllib3Error

from .formats import LoadedDocument, load_bytes
from .reading import MAX_BYTES, UnreadableDocument

try:
    from . import __version__ as _VERSION
except ImportError:   # pragma: no cover - a partial install
    _VERSION = "0"

# The product and version; the operator may add a contact address (a URL or an e-mail) that site
# owners can reach: FIGURES_FETCH_CONTACT=https://example.org/contact
_CONTACT = os.environ.get("FIGURES_FETCH_CONTACT", "").strip()
USER_AGENT = f"HumanitarianFigures/{_VERSION}" + (
    f" (+{_CONTACT})" if _CONTACT else " (humanitarian figures reader)")

BACKOFF_BASE = 1.0     # seconds before the first retry; doubled for each further retry
MAX_WAIT = 30.0        # seconds: the longest wait between attempts, whatever Retry-After asks
MAX_SECONDS = 300.0    # seconds: the longest one response may take to arrive in full
CHUNK = 64 * 1024

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 509, 520, 521, 522, 523, 524})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A page that could not be fetched or read: the message is "ADDRESS: REASON"."""

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"{url}: {reason}")


@dataclass
class Fetched:
    url: str                  # the address asked for
    final_url: str            # the address the body came from, after redirects
    status: int
    content_type: str         # the media type only, lower case ("text/html"), "" when not given
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)


# --- addresses -----------------------------------------------------------------------------

def address_refusal(ip: str) -> str | None:
    """Why the dashboard may not connect to this IP address, or None when it is a public one."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return f"'{ip}' is not an IP address"
    mapped = getattr(addr, "ipv4_mapped", None)
    addr = mapped or addr
    for test, what in (("is_loopback", "a loopback"), ("is_link_local", "a link-local"),
                       ("is_multicast", "a multicast"), ("is_unspecified", "an unspecified"),
                       ("is_private", "a private"), ("is_reserved", "a reserved")):
        if getattr(addr, test):
            return f"{addr} ({what} address)"
    if not addr.is_global:
        return f"{addr} (not a public address)"
    return None


def _check_host(url: str, host: str, port: int) -> None:
    """Refuse a host any of whose resolved addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        raise FetchError(url, f"cannot find the server '{host}' ({_why(e)})") from None
    for info in infos:
        why = address_refusal(str(info[4][0]))
        if why:
            named = "" if why.startswith(f"{host} ") else f"'{host}' is "
            raise FetchError(url, f"refused: {named}{why}; private addresses are not "
                                  "fetched here")


class _VettedHTTPConnection(urllib3.connection.HTTPConnection):
    """A connection that checks the address it is connected to before sending anything."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            peer = ""
        why = address_refusal(str(peer))
        if why:
            sock.close()
            raise urllib3.exceptions.NewConnectionError(self, f"refused: connected to {why}")
        return sock


class _VettedHTTPSConnection(_VettedHTTPConnection, urllib3.connection.HTTPSConnection):
    pass


class _VettedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _VettedHTTPConnection


class _VettedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _VettedHTTPSConnection


def _pool(allow_private: bool) -> urllib3.PoolManager:
    import certifi
    pm = urllib3.PoolManager(num_pools=4, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    if not allow_private:
        pm.pool_classes_by_scheme = {"http": _VettedHTTPPool, "https": _VettedHTTPSPool}
    return pm


# --- fetching ------------------------------------------------------------------------------

def _why(e: BaseException) -> str:
    """A short reason from a network exception."""
    reason = getattr(e, "reason", None)
    if isinstance(reason, BaseException):
        e = reason
    text = " ".join(str(e).split())
    # urllib3 prefixes messages with the connection object's repr: keep what follows it
    if "refused: " in text:
        text = text[text.index("refused: "):]
    elif "new connection: " in text:
        text = text.split("new connection: ", 1)[1]
    elif ">: " in text:
        text = text.split(">: ", 1)[1]
    return (text or type(e).__name__)[:200]


def _network_reason(e: BaseException, host: str, timeout: float) -> str:
    """What went wrong on the network, in words."""
    ex = urllib3.exceptions
    text = str(e).lower()
    if isinstance(e, ex.NameResolutionError):
        return f"cannot find the server '{host}'"
    if isinstance(e, ex.NewConnectionError):     # (a subclass of ConnectTimeoutError)
        why = _why(e)
        return why if why.startswith("refused: ") else f"cannot connect ({why})"
    if isinstance(e, ex.TimeoutError) or "timed out" in text:
        return f"no answer within {timeout:g} s"
    if isinstance(e, ex.SSLError):
        return f"the secure connection failed ({_why(e)})"
    return _why(e)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), None if absent
    or unreadable; never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _wait(attempt: int, header: str | None) -> float:
    asked = retry_after(header)
    wait = asked if asked is not None else BACKOFF_BASE * (2 ** attempt)
    return max(0.0, min(wait, MAX_WAIT))


def _check_url(url: str, asked: str) -> tuple[str, int]:
    """(host, port) of an http(s) address, or FetchError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise FetchError(asked, f"not a valid address ({e})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        where = "" if url == asked else f" (redirected to {url})"
        if not scheme:
            raise FetchError(asked, "not a web address (it should start with http:// or "
                                    f"https://){where}")
        raise FetchError(asked, f"only http and https addresses are fetched, not "
                                f"'{scheme}:'{where}")
    if not parts.hostname:
        raise FetchError(asked, "the address names no server")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def _read_capped(resp, url: str, max_bytes: int, deadline: float) -> bytes:
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(url, f"the page is {_size(int(length))}, over the "
                              f"{_size(max_bytes)} limit")
    chunks, total = [], 0
    for chunk in resp.stream(CHUNK, decode_content=True):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(url, f"the page is over the {_size(max_bytes)} limit")
        if time.monotonic() > deadline:
            raise FetchError(url, f"the page took over {MAX_SECONDS:.0f} s to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, *, allow_private: bool = True, timeout: float = 20.0,
          max_bytes: int = MAX_BYTES, retries: int = 3, max_redirects: int = 5,
          headers: dict[str, str] | None = None, method: str = "GET",
          body: bytes | None = None) -> Fetched:
    """GET (or POST ``body`` to) an http(s) address, following redirects, retrying 429 and 5xx;
    FetchError otherwise.

    ``retries``: how many more times a 429 or 5xx answer is asked again (waits: Retry-After, else
    BACKOFF_BASE doubled each time, at most MAX_WAIT); other failures are not retried.
    ``allow_private=False`` refuses servers at non-public addresses (see the module docstring)."""
    asked = url = (url or "").strip()
    if not url:
        raise FetchError("(no address)", "the address is empty")
    send = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate",
            "Accept": "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5"}
    send.update(headers or {})
    pm = _pool(allow_private)
    seen: list[str] = []
    attempt = 0
    try:
        while True:
            host, port = _check_url(url, asked)
            if not allow_private:
                _check_host(asked if url == asked else f"{asked} (redirected to {url})", host, port)
            try:
                resp = pm.request(method, url, body=body, headers=send, redirect=False,
                                  retries=False,
                                  preload_content=False,
                                  timeout=urllib3.Timeout(connect=timeout, read=timeout))
            except _Urllib3Error as e:
                where = "" if url == asked else f" (redirected to {url})"
                raise FetchError(asked, _network_reason(e, host, timeout) + where) from None
            try:
                status = resp.status
                if status in REDIRECT_STATUSES:
                    location = resp.headers.get("Location", "")
                    if not location:
                        raise FetchError(asked, f"HTTP {status} redirect without a Location")
                    seen.append(url)
                    url = urljoin(url, location.strip())
                    if status == 303 or (status in (301, 302) and method == "POST"):
                        method, body = "GET", None     # what browsers do
                    if url in seen:
                        raise FetchError(asked, f"a redirect loop (back to {url})")
                    if len(seen) > max_redirects:
                        raise FetchError(asked, f"more than {max_redirects} redirects")
                    continue
                if status in RETRY_STATUSES and attempt < retries:
                    wait = _wait(attempt, resp.headers.get("Retry-After"))
                    attempt += 1
                    time.sleep(wait)
                    continue
                if not 200 <= status < 300:
                    where = "" if url == asked else f" (at {url})"
                    raise FetchError(asked, f"HTTP {status} {resp.reason or ''}".rstrip() + where
                                     + (f" after {attempt + 1} attempts" if attempt else ""))
                deadline = time.monotonic() + MAX_SECONDS
                data = _read_capped(resp, asked, max_bytes, deadline)
                ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                return Fetched(url=asked, final_url=url, status=status, content_type=ctype,
                               data=data, headers=dict(resp.headers))
            except _Urllib3Error as e:
                raise FetchError(asked, "the download broke off: "
                                 + _network_reason(e, host, timeout)) from None
            finally:
                resp.close()   # never reuse a half-read connection
    finally:
        pm.clear()


# --- reading -------------------------------------------------------------------------------

_TYPE_SUFFIX = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
                "application/x-pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md",
                "text/x-markdown": ".md"}


def name_for(final_url: str, content_type: str) -> str:
    """A file name for a fetched body: the address's last path segment, with the extension its
    content type implies ("report" + application/pdf -> "report.pdf")."""
    path = urlsplit(final_url).path
    base = unquote(path.rsplit("/", 1)[-1]).strip() or (urlsplit(final_url).hostname or "page")
    base = base.replace("\\", "_")[:120]
    suffix = _TYPE_SUFFIX.get(content_type)
    if suffix and not base.lower().endswith(suffix) and not (
            suffix == ".html" and base.lower().endswith(".htm")):
        base += suffix
    return base


def read_fetched(got: Fetched, max_bytes: int = MAX_BYTES) -> LoadedDocument:
    """The document in a fetched body, read as an uploaded file is; FetchError naming the address."""
    name = name_for(got.final_url, got.content_type)
    try:
        doc = load_bytes(got.data, name, max_bytes=max_bytes)
    except UnreadableDocument as e:
        reason = str(e)
        reason = reason[len(name) + 2:] if reason.startswith(f"{name}: ") else reason
        raise FetchError(got.url, reason) from None
    if not doc.url:
        doc.url = got.final_url
    return doc


def fetch_document(url: str, *, allow_private: bool = True, **kw) -> LoadedDocument:
    """Fetch an address and read it (HTML with trafilatura, PDF with pypdf, the checks files get);
    the document's url is the final address when the page names none. Raises FetchError only."""
    got = fetch(url, allow_private=allow_private, **kw)
    return read_fetched(got, max_bytes=kw.get("max_bytes", MAX_BYTES))


# --- fetching into the store -----------------------------------------------------------------

@dataclass
class Outcome:
    """What became of one address (or one ReliefWeb report or attachment)."""
    url: str
    status: str                 # "added", "present" or "failed"
    reason: str = ""            # for "failed": the message, which names the address
    figures: int = 0
    title: str = ""
    document_id: int | None = None


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def present(self) -> int:
        return self.count("present")

    @property
    def failures(self) -> list[str]:
        return [o.reason for o in self.outcomes if o.status == "failed"]

    def line(self) -> str:
        """The summary as ``ingest`` prints it: "added 2, already present 1, failed 0"."""
        return f"added {self.added}, already present {self.present}, failed {len(self.failures)}"


def store_document(store, doc: LoadedDocument, url: str) -> Outcome:
    """Add one document to the store (its own transaction, all or nothing). The engine giving up
    on it (ExtractionTimeout) is a failure naming the address; a store error is raised."""
    try:
        result = store.add(doc)
    except UnreadableDocument as e:
        return Outcome(url, "failed", f"{url}: {e}")
    return Outcome(url, result.status, figures=result.figures, title=result.title or doc.title,
                   document_id=result.document_id)


def ingest_urls(store, urls, *, allow_private: bool = True, progress=None, **kw) -> Summary:
    """Fetch, read and store each address in turn. A failure is recorded with its reason, stores
    nothing and the rest go on; a store error (disk full...) is raised. ``progress(outcome)`` is
    called after each address."""
    summary = Summary()
    for url in urls:
        try:
            doc = fetch_document(url, allow_private=allow_private, **kw)
        except FetchError as e:
            outcome = Outcome(url, "failed", str(e))
        else:
            outcome = store_document(store, doc, url)
        summary.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return summary


def private_fetch_allowed(secrets=None) -> bool:
    """Whether the dashboard may fetch from private addresses: FIGURES_ALLOW_PRIVATE_FETCH=1 in
    the environment, or ``allow_private_fetch = true`` in Streamlit's secrets (``secrets``, a
    mapping, when given). Off by default."""
    value = os.environ.get("FIGURES_ALLOW_PRIVATE_FETCH", "")
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        return bool(secrets is not None and secrets.get("allow_private_fetch", False) is True)
    except Exception:   # noqa: BLE001 - no secrets file: Streamlit raises on access
        return False
