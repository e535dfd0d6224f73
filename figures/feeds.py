"""News feeds and the watch loop: RSS/Atom items fetched, read and stored with their provenance.

- ``read_feed(url)``: a feed's title and its items (link, title, published date, outlet), read
  with feedparser. trafilatura.feeds finds feed links and item addresses, but not each item's
  title and date, which are the provenance a figure carries.
- ``ingest_feed(store, url)``: each item not taken before is fetched, read and stored with the
  item's title, date and link. What was taken is remembered in the store (``seen_items``), so
  a later run, or a restart, fetches nothing twice. One failing item never stops the others, and
  a failure stores nothing.
- ``Watcher``: feeds and ReliefWeb queries from a TOML configuration, in rounds, on an interval,
  until stopped.

Fetching is done by functions given in a ``Fetchers`` (by default those of ``figures.fetch`` and
``figures.reliefweb``, imported when first needed), so tests give their own.
"""
from __future__ import annotations

import calendar
import io
import signal
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

FEED_MAX_BYTES = 10 * 1024 * 1024
FEED_TIMEOUT_S = 30.0


class FeedError(Exception):
    """A feed that cannot be read; the message names its address."""


class ConfigError(Exception):
    """A watch configuration that cannot be used; the message says what to change."""


@dataclass
class Fetchers:
    """The functions that reach the network. ``None`` means the default, imported when needed:
    ``figures.fetch.fetch``, ``figures.fetch.fetch_document`` and ``figures.reliefweb.run_query``
    (absent: ReliefWeb entries are skipped with a message)."""

    fetch: Callable | None = None
    fetch_document: Callable | None = None
    run_query: Callable | None = None

    def get_fetch(self) -> Callable:
        if self.fetch is None:
            from . import fetch as module
            self.fetch = module.fetch
        return self.fetch

    def get_fetch_document(self) -> Callable:
        if self.fetch_document is None:
            from . import fetch as module
            self.fetch_document = module.fetch_document
        return self.fetch_document

    def get_run_query(self) -> Callable | None:
        if self.run_query is None:
            try:
                from . import reliefweb as module
            except ImportError:
                return None
            self.run_query = getattr(module, "run_query", None)
        return self.run_query


def default_fetchers() -> Fetchers:
    """The fetchers the command line uses (a test's subprocess may replace this function)."""
    return Fetchers()


# ---------------------------------------------------------------------------------------------
# Reading a feed


@dataclass
class FeedItem:
    link: str
    title: str = ""
    published: str = ""          # ISO date YYYY-MM-DD, "" when the feed gives none
    outlet: str = ""             # the feed's title


@dataclass
class Feed:
    url: str
    title: str
    items: list[FeedItem]


def _clean(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _iso_date(entry) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:   # feedparser gives UTC struct_time
                return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc).date().isoformat()
            except (OverflowError, ValueError, OSError):
                continue
    return ""


def parse_feed(data: bytes, url: str, content_type: str = "") -> Feed:
    """The feed in ``data`` (fetched from ``url``, whose address resolves relative links)."""
    import feedparser
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # a stream, never a string: feedparser would take a string as an address or a file name
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        why = parsed.get("bozo_exception")
        raise FeedError(f"{url}: this is not an RSS or Atom feed"
                        + (f" ({_clean(why)})" if why else ""))
    title = _clean(parsed.feed.get("title"))
    items = []
    for entry in parsed.entries:
        link = _clean(entry.get("link"))
        if not link:   # some feeds give the address only as the item's id
            guid = _clean(entry.get("id"))
            link = guid if guid.startswith(("http://", "https://")) else ""
        items.append(FeedItem(link=link, title=_clean(entry.get("title")),
                              published=_iso_date(entry), outlet=title))
    return Feed(url=url, title=title, items=items)


def read_feed(url: str, fetchers: Fetchers | None = None, *, timeout: float = FEED_TIMEOUT_S,
              max_bytes: int = FEED_MAX_BYTES) -> Feed:
    """Fetch and read one feed; FeedError (naming the address) when it cannot be."""
    try:
        fetch = (fetchers or default_fetchers()).get_fetch()
        got = fetch(url, allow_private=True, timeout=timeout, max_bytes=max_bytes)
    except Exception as e:   # noqa: BLE001 - figures.fetch.FetchError, or a test's own
        raise FeedError(_naming(url, e)) from e
    return parse_feed(got.data, getattr(got, "final_url", None) or url,
                      getattr(got, "content_type", "") or "")


def _naming(url: str, e: BaseException) -> str:
    """The error's message, with the address in front unless it names it already."""
    msg = _clean(e) or type(e).__name__
    return msg if url in msg else f"{url}: {msg}"


# ---------------------------------------------------------------------------------------------
# Storing a feed's items


@dataclass
class Report:
    """What a run did: added, already present (or taken before), and failures with reasons."""

    added: int = 0
    present: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)    # sources not run, with the reason

    @property
    def failed(self) -> int:
        return len(self.failures)

    def merge(self, other: Report) -> Report:
        self.added += other.added
        self.present += other.present
        self.failures += other.failures
        self.skipped += other.skipped
        return self

    def summary(self) -> str:
        return f"added {self.added}, already present {self.present}, failed {self.failed}"


def ingest_item(store, item: FeedItem, source: str, fetchers: Fetchers) -> str:
    """Fetch, read and store one item; returns "added", "present" or "seen" (taken before).
    Raises on failure, having stored nothing."""
    if store.seen(item.link):
        return "seen"
    doc = fetchers.get_fetch_document()(item.link, allow_private=True)
    # the feed's word first: the page's metadata is often missing or the site's, not the story's
    doc.title = item.title or doc.title
    doc.published = item.published or doc.published
    doc.outlet = item.outlet or doc.outlet
    doc.url = item.link          # the key ``seen`` also finds, should we stop before marking it
    result = store.add(doc)
    store.mark_seen(source, item.link, result.document_id)
    return result.status


MAX_ATTEMPTS = 3     # a watch gives up on an item after this many failures (until restarted)


def ingest_feed(store, url: str, fetchers: Fetchers | None = None,
                stop: Callable[[], bool] = lambda: False,
                attempts: Counter | None = None) -> Report:
    """Read one feed and store each of its items not taken before. A feed that cannot be read is
    one failure; each item that cannot be fetched or read is one more, and the rest go on.
    ``attempts`` (a watch's, across rounds) counts failures per link: an item that failed
    MAX_ATTEMPTS times is passed over."""
    fetchers = fetchers or default_fetchers()
    report = Report()
    try:
        feed = read_feed(url, fetchers)
    except FeedError as e:
        report.failures.append(str(e))
        return report
    for item in feed.items:
        if stop():
            break
        if not item.link:
            report.failures.append(f"{url}: an item without a link ({item.title or 'no title'})")
            continue
        if not item.link.lower().startswith(("http://", "https://")):
            report.failures.append(f"{item.link}: not a web address (in {url}); only http and "
                                   "https are fetched")
            continue
        if attempts is not None and attempts[item.link] >= MAX_ATTEMPTS:
            continue
        try:
            status = ingest_item(store, item, url, fetchers)
        except Exception as e:   # noqa: BLE001 - one item never stops the others
            reason = _naming(item.link, e)
            if attempts is not None:
                attempts[item.link] += 1
                if attempts[item.link] >= MAX_ATTEMPTS:
                    reason += (f" ({MAX_ATTEMPTS} attempts: not tried again until the watch "
                               "restarts)")
            report.failures.append(reason)
            continue
        if status == "added":
            report.added += 1
        else:
            report.present += 1
    return report


# ---------------------------------------------------------------------------------------------
# Watching: a configuration, rounds, an interval


RELIEFWEB_KEYS = ("country", "query", "since", "limit", "appname", "api", "attachments")


@dataclass
class WatchConfig:
    interval_minutes: float
    feeds: list[str]
    reliefweb: list[dict]


def load_config(path: str | Path) -> WatchConfig:
    """The watch configuration in a TOML file; ConfigError says what is wrong with it."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    unknown = set(raw) - {"interval_minutes", "feeds", "reliefweb"}
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; expected "
                          "interval_minutes, feeds and [[reliefweb]] tables")
    interval = raw.get("interval_minutes", 60)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise ConfigError(f"{path}: interval_minutes must be a positive number, not {interval!r}")
    feeds = raw.get("feeds", [])
    if not isinstance(feeds, list) or not all(isinstance(f, str) and f.strip() for f in feeds):
        raise ConfigError(f"{path}: feeds must be a list of addresses, e.g. "
                          'feeds = ["https://example.org/news.rss"]')
    queries = raw.get("reliefweb", [])
    if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
        raise ConfigError(f"{path}: ReliefWeb queries are [[reliefweb]] tables")
    for q in queries:
        bad = set(q) - set(RELIEFWEB_KEYS)
        if bad:
            raise ConfigError(f"{path}: unknown ReliefWeb setting(s) {', '.join(sorted(bad))}; "
                              f"expected {', '.join(RELIEFWEB_KEYS)}")
        if isinstance(q.get("country"), str):
            q["country"] = [q["country"]]
        if not all(isinstance(c, str) for c in q.get("country", [])):
            raise ConfigError(f"{path}: a ReliefWeb country is an ISO3 code in quotes, e.g. "
                              'country = ["SDN"]')
        if "since" in q:     # since = 2026-11-01, unquoted, is a TOML date
            q["since"] = str(q["since"])[:10]
    if not feeds and not queries:
        raise ConfigError(f"{path}: nothing to watch (no feeds and no [[reliefweb]] queries)")
    return WatchConfig(float(interval), [f.strip() for f in feeds], queries)


def _as_report(result) -> Report:
    """Whatever ``run_query`` returns, as a Report: a list of outcomes (``.outcomes``, each with
    ``.status`` "added", "present" or "failed" and ``.reason``), or counts or lists under added,
    present and failed/failures, as attributes or keys; anything else counts as nothing."""
    outcomes = getattr(result, "outcomes", None)
    if isinstance(outcomes, (list, tuple)):
        report = Report()
        for o in outcomes:
            status = getattr(o, "status", "")
            if status == "added":
                report.added += 1
            elif status == "present":
                report.present += 1
            elif status == "failed":
                report.failures.append(str(getattr(o, "reason", "") or getattr(o, "url", "")))
        return report
    def get(*names):
        for name in names:
            value = result.get(name) if isinstance(result, dict) else getattr(result, name, None)
            if value is not None:
                return value
        return None

    def count(value) -> int:
        return value if isinstance(value, int) else len(value) if value is not None else 0

    failures = get("failures", "failed")
    failures = ([str(f) for f in failures] if isinstance(failures, (list, tuple))
                else ["a ReliefWeb report failed (no reason given)"] * count(failures))
    return Report(added=count(get("added")), present=count(get("present")), failures=failures)


def run_reliefweb(store, params: dict, fetchers: Fetchers) -> Report:
    run_query = fetchers.get_run_query()
    label = "reliefweb " + " ".join(f"{k}={v}" for k, v in params.items())
    if run_query is None:
        return Report(skipped=[f"{label}: skipped, this installation has no ReliefWeb client"])
    try:
        return _as_report(run_query(store, **params))
    except Exception as e:   # noqa: BLE001 - one failing source never stops the others
        return Report(failures=[f"{label}: {_clean(e) or type(e).__name__}"])


class Watcher:
    """Rounds of every feed and query in the configuration, ``interval_minutes`` apart, until
    ``stop()`` (SIGINT or SIGTERM from ``install_signals``). ``clock`` and ``sleep`` are given
    by tests; ``sleep`` must return early once stopped (the default does)."""

    def __init__(self, store, config: WatchConfig, fetchers: Fetchers | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None,
                 out=None):
        self.store, self.config = store, config
        self.fetchers = fetchers or default_fetchers()
        self.clock = clock
        self._stopped = threading.Event()
        self.sleep = sleep or self._stopped.wait
        self.out = out or sys.stderr
        self.rounds = 0
        self.attempts: Counter = Counter()     # failures per item link, across rounds

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def install_signals(self) -> None:
        """SIGINT and SIGTERM end the run after the item in hand; a second one ends it now."""
        def handler(signum, frame):
            if self.stopped:
                raise KeyboardInterrupt
            print("stopping after the item in hand (again to stop at once)", file=self.out,
                  flush=True)
            self.stop()
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def round(self) -> Report:
        """Every source once; prints one summary line and the failures."""
        self.rounds += 1
        report = Report()
        for url in self.config.feeds:
            if self.stopped:
                break
            report.merge(ingest_feed(self.store, url, self.fetchers, stop=lambda: self.stopped,
                                     attempts=self.attempts))
        for params in self.config.reliefweb:
            if self.stopped:
                break
            report.merge(run_reliefweb(self.store, dict(params), self.fetchers))
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        print(f"{stamp} round {self.rounds}: {report.summary()}", file=self.out, flush=True)
        for reason in report.failures:
            print(f"  failed: {reason}", file=self.out, flush=True)
        for reason in report.skipped:
            print(f"  {reason}", file=self.out, flush=True)
        return report

    def run(self, once: bool = False) -> Report:
        """Rounds until stopped (or one round with ``once``); returns the sum of the rounds."""
        total = Report()
        interval = self.config.interval_minutes * 60
        while not self.stopped:
            started = self.clock()
            total.merge(self.round())
            if once:
                break
            wait = interval - (self.clock() - started)
            if wait > 0 and not self.stopped:
                self.sleep(wait)
        return total
