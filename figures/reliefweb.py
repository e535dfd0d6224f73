"""Reports from ReliefWeb (the UN's humanitarian information service) through its API v2.

    reports(appname=..., countries=["SDN"], query="floods", since="2026-11-01", limit=50)
        -> Report, newest first, page by page (POST BASE/v2/reports?appname=...)
    report_document(report) -> formats.LoadedDocument
    ingest_reports(store, reports, attachments=False) -> fetch.Summary

ReliefWeb's own fields are used: ``title``; ``body-html`` read into plain text with lxml (never
rendered); ``date.original`` (else ``date.created``) as the publication date; the first
``source`` (the publisher) as the outlet; ``url_alias`` (else ``url``) as the address;
``primary_country.iso3`` as the document's country hint (figures whose text names no place get it;
see store.figures_for); ``file[].url`` for attachments, PDFs read with ``--attachments``.

The API needs an approved ``appname`` (ReliefWeb asks each user to request one):
``--appname`` or $RELIEFWEB_APPNAME. Every request goes through figures.fetch (timeouts, retries,
size cap). An answer of the wrong shape is a ``ReliefWebError`` naming the API address.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode, urlsplit

from .fetch import FetchError, Outcome, Summary, fetch, fetch_document, store_document
from .formats import LoadedDocument

DEFAULT_API = "https://api.reliefweb.int"
PAGE_SIZE = 100           # reports per request (the API allows up to 1000)
MAX_TEXT = 2_000_000      # characters of one report's body kept

FIELDS = ["title", "body-html", "date.original", "date.created", "source.name",
          "source.shortname", "primary_country.iso3", "primary_country.name", "url", "url_alias",
          "file.url", "file.mimetype", "file.filename"]

# block elements whose content is a paragraph of its own in the text
_BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
           "blockquote", "section", "article", "header", "footer", "pre", "dd", "dt", "dl",
           "figure", "figcaption", "caption", "hr", "address", "main", "aside", "nav"}
_CELLS = {"td", "th"}
_DROP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
         "head", "title", "form", "button", "select", "textarea"}


class ReliefWebError(FetchError):
    """The API answered with something this program cannot read; the message names its address."""


@dataclass
class Report:
    id: str
    title: str = ""
    body_html: str = ""
    published: str = ""       # YYYY-MM-DD, "" when unknown
    outlet: str = ""          # the first source's name (the publisher)
    url: str = ""             # the report's page on reliefweb.int
    country: str = ""         # primary country, ISO3 upper case, "" when none
    files: list[str] = field(default_factory=list)   # attachment addresses


def appname_or_env(appname: str | None) -> str:
    return (appname or os.environ.get("RELIEFWEB_APPNAME", "")).strip()


def _secret(secrets, key: str) -> str:
    try:
        value = secrets.get(key, "") if secrets is not None else ""
    except Exception:   # noqa: BLE001 - no secrets file: Streamlit raises on access
        return ""
    return value.strip() if isinstance(value, str) else ""


def configured(secrets=None) -> tuple[str, str]:
    """(appname, API base) for the dashboard, set by the operator: $RELIEFWEB_APPNAME and
    $RELIEFWEB_API, else ``reliefweb_appname`` and ``reliefweb_api`` in Streamlit's secrets;
    the base defaults to ReliefWeb's."""
    appname = appname_or_env(None) or _secret(secrets, "reliefweb_appname")
    api = (os.environ.get("RELIEFWEB_API", "").strip() or _secret(secrets, "reliefweb_api")
           or DEFAULT_API)
    return appname, api


def reports_url(api: str, appname: str) -> str:
    return f"{api.rstrip('/')}/v2/reports?{urlencode({'appname': appname})}"


def request_body(*, countries=(), query: str = "", since: str = "", offset: int = 0,
                 limit: int = PAGE_SIZE) -> dict:
    """The JSON of one POST to /v2/reports."""
    body: dict = {"offset": offset, "limit": limit, "fields": {"include": FIELDS},
                  "sort": ["date.created:desc", "id:desc"]}
    conditions = []
    isos = [c.strip().upper() for c in countries if c and c.strip()]
    if isos:
        conditions.append({"field": "country.iso3", "value": isos, "operator": "OR"})
    if since:
        conditions.append({"field": "date.created", "value": {"from": f"{since}T00:00:00+00:00"}})
    if conditions:
        body["filter"] = {"operator": "AND", "conditions": conditions}
    if query and query.strip():
        body["query"] = {"value": query.strip(), "operator": "AND"}
    return body


def _date(value) -> str:
    text = str(value or "")[:10]
    try:
        date.fromisoformat(text)
    except ValueError:
        return ""
    return text


def _is_pdf(attachment: dict) -> bool:
    """An attachment at an http(s) address that says it is a PDF (by media type or name)."""
    url = attachment["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    kind = str(attachment.get("mimetype") or "").lower()
    name = str(attachment.get("filename") or parts.path).lower()
    return "pdf" in kind or name.endswith(".pdf")


def parse_report(item, where: str) -> Report:
    """One item of an answer's ``data`` list; ReliefWebError when it is not shaped like one."""
    if not isinstance(item, dict) or not isinstance(item.get("fields", {}), dict):
        raise ReliefWebError(where, "an item of 'data' is not an object with 'fields'")
    f = item.get("fields") or {}
    rid = str(item.get("id", "")).strip()
    dates = f.get("date") if isinstance(f.get("date"), dict) else {}
    sources = [s for s in f.get("source") or [] if isinstance(s, dict)] \
        if isinstance(f.get("source"), list) else []
    country = f.get("primary_country") if isinstance(f.get("primary_country"), dict) else {}
    iso3 = str(country.get("iso3") or "").strip().upper()
    files = [str(x["url"]) for x in (f.get("file") if isinstance(f.get("file"), list) else [])
             if isinstance(x, dict) and isinstance(x.get("url"), str) and _is_pdf(x)]
    url = next((str(u) for u in (f.get("url_alias"), f.get("url")) if isinstance(u, str) and u), "")
    if not url and rid.isdigit():
        url = f"https://reliefweb.int/node/{rid}"
    body = f.get("body-html") if isinstance(f.get("body-html"), str) else ""
    return Report(id=rid, title=" ".join(str(f.get("title") or "").split()), body_html=body,
                  published=_date(dates.get("original")) or _date(dates.get("created")),
                  outlet=" ".join(str(sources[0].get("name") or "").split()) if sources else "",
                  url=url, country=iso3 if len(iso3) == 3 and iso3.isalpha() else "",
                  files=files)


def parse_page(data: bytes, where: str) -> tuple[list[Report], int | None]:
    """(reports, totalCount) from one answer of /v2/reports."""
    try:
        payload = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ReliefWebError(where, "the answer is not JSON") from None
    if not isinstance(payload, dict):
        raise ReliefWebError(where, "the answer is not a JSON object")
    if "error" in payload and "data" not in payload:
        err = payload["error"]
        msg = err.get("message") if isinstance(err, dict) else err
        raise ReliefWebError(where, f"the API refused the request: {str(msg)[:200]}")
    items = payload.get("data")
    if not isinstance(items, list):
        raise ReliefWebError(where, "the answer has no list of reports ('data')")
    total = payload.get("totalCount")
    return [parse_report(item, where) for item in items], (
        total if isinstance(total, int) and not isinstance(total, bool) else None)


def reports(*, appname: str, countries=(), query: str = "", since: str = "", limit: int = 20,
            api: str = DEFAULT_API, allow_private: bool = True, **fetch_kw) -> Iterator[Report]:
    """Reports matching the filters, newest first, at most ``limit``, page by page."""
    if not appname:
        raise ReliefWebError(reports_url(api, ""), "an appname is needed (ReliefWeb asks each "
                             "user to request one): --appname NAME or $RELIEFWEB_APPNAME")
    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            raise ReliefWebError(reports_url(api, appname),
                                 f"the date '{since}' is not YYYY-MM-DD") from None
    where = reports_url(api, appname)
    offset = 0
    while offset < limit:
        size = min(PAGE_SIZE, limit - offset)
        body = request_body(countries=countries, query=query, since=since, offset=offset,
                            limit=size)
        try:
            got = fetch(where, method="POST", body=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json",
                                 "Accept": "application/json"},
                        allow_private=allow_private, **fetch_kw)
        except FetchError as e:
            if "HTTP 403" in e.reason:
                raise ReliefWebError(where, f"{e.reason}: is the appname '{appname}' approved "
                                            "by ReliefWeb?") from None
            raise
        page, total = parse_page(got.data, where)
        yield from page
        offset += len(page)
        if len(page) < size or (total is not None and offset >= total):
            return


# --- reading a report ------------------------------------------------------------------------

def html_to_text(html: str) -> str:
    """The plain text of an HTML fragment, a paragraph per block element; nothing is rendered,
    scripts and styles are dropped."""
    if not html or not html.strip():
        return ""
    import lxml.html
    from lxml import etree
    try:
        root = lxml.html.fragment_fromstring(html[:MAX_TEXT * 2], create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction, *_DROP)):
        if el is not root:
            el.drop_tree()          # keeps the text after it
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):   # no recursion
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            parts.append("\n\n" if tag in _BLOCKS else "\n" if tag == "br"
                         else " " if tag in _CELLS else "")
            parts.append(el.text or "")
        else:
            parts.append("\n\n" if tag in _BLOCKS else "")
            if el is not root:
                parts.append(el.tail or "")
    text = "".join(parts)[:MAX_TEXT]
    paragraphs = []
    for chunk in text.split("\n\n"):
        lines = [" ".join(line.split()) for line in chunk.split("\n")]
        para = "\n".join(line for line in lines if line)
        if para:
            paragraphs.append(para)
    return "\n\n".join(paragraphs)


def report_document(report: Report) -> LoadedDocument:
    """A report as a document: its title first, then its body; ReliefWebError when it has no text."""
    body = html_to_text(report.body_html)
    if not body:
        raise ReliefWebError(report.url or f"report {report.id}", "the report has no text")
    first = body.split("\n\n", 1)[0]
    text = body if not report.title or " ".join(first.split()) == report.title \
        else f"{report.title}\n\n{body}"
    slug = f"reliefweb-{report.id}" if report.id else "reliefweb"
    return LoadedDocument(text=text, format="html", title=report.title, url=report.url,
                          published=report.published, outlet=report.outlet,
                          file_name=f"{slug}.html", country_hint=report.country)


def attachment_document(report: Report, url: str, *, allow_private: bool = True,
                        **fetch_kw) -> LoadedDocument:
    """An attachment (a PDF) of a report, with the report's title, date (ReliefWeb's curated ones
    come before what the file says: a PDF's title and creation date are often a tool's), publisher
    and country."""
    doc = fetch_document(url, allow_private=allow_private, **fetch_kw)
    doc.title = report.title or doc.title
    doc.published = report.published or doc.published
    doc.outlet = doc.outlet or report.outlet
    doc.country_hint = report.country
    return doc


def ingest_reports(store, found, *, attachments: bool = False, allow_private: bool = True,
                   progress=None, **fetch_kw) -> Summary:
    """Store each report (and its attachments when asked). A report that cannot be read is a
    failure with its reason; the others go on. An error of the search itself (the API down,
    the wrong shape) is a failure of its own and ends the run."""
    summary = Summary()

    def done(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    it = iter(found)
    while True:
        try:
            report = next(it)
        except StopIteration:
            break
        except FetchError as e:
            done(Outcome(e.url, "failed", str(e)))
            break
        where = report.url or f"report {report.id}"
        try:
            done(store_document(store, report_document(report), where))
        except FetchError as e:
            done(Outcome(where, "failed", str(e)))
        if attachments:
            for url in report.files:
                try:
                    doc = attachment_document(report, url, allow_private=allow_private,
                                              **fetch_kw)
                except FetchError as e:
                    done(Outcome(url, "failed", str(e)))
                else:
                    done(store_document(store, doc, url))
    return summary


def run_query(store, *, country=(), query: str = "", since: str = "", limit: int = 20,
              appname: str | None = None, api: str | None = None, attachments: bool = False,
              allow_private: bool = True, **fetch_kw) -> Summary:
    """One ``[[reliefweb]]`` entry of a ``watch`` configuration: the reports it finds that were
    not taken before are stored (with their attachments when asked); each report taken is
    remembered in the store (``Store.mark_seen``), so a query repeated every round fetches no
    report or attachment twice. A report that failed is tried again next round."""
    countries = [country] if isinstance(country, str) else list(country or ())
    appname = appname_or_env(appname)
    api = api or os.environ.get("RELIEFWEB_API", "").strip() or DEFAULT_API
    source = "reliefweb " + json.dumps({"country": countries, "query": query, "since": since},
                                       sort_keys=True)
    summary = Summary()
    found = reports(appname=appname, countries=countries, query=query, since=since, limit=limit,
                    api=api, allow_private=allow_private, **fetch_kw)
    while True:
        try:
            report = next(found)
        except StopIteration:
            break
        except FetchError as e:
            summary.outcomes.append(Outcome(e.url, "failed", str(e)))
            break
        key = f"reliefweb:{report.id}"
        if store.seen(key) or (report.url and store.seen(report.url)):
            summary.outcomes.append(Outcome(report.url or key, "present"))
            continue
        one = ingest_reports(store, [report], attachments=attachments,
                             allow_private=allow_private, **fetch_kw)
        summary.outcomes.extend(one.outcomes)
        if all(o.status != "failed" for o in one.outcomes):
            doc_id = next((o.document_id for o in one.outcomes if o.document_id), None)
            store.mark_seen(source, key, doc_id)
    return summary
