"""Add documents: upload files or paste text; the figures found are shown at once and stored."""
from datetime import date

import pandas as pd
import streamlit as st

from app_pages import common
from figures import reliefweb, views
from figures.fetch import ingest_urls, private_fetch_allowed
from figures.formats import SUPPORTED, load_bytes, load_pasted
from figures.reading import UnreadableDocument

store = common.store()
st.title("Add documents")


def show_results(results: list[tuple[str, str, object]]) -> None:
    """(name, outcome, detail) per input: added / already present / refused with the reason."""
    for name, outcome, detail in results:
        if outcome == "added":
            st.success(f"{common.md(name)}: added, {detail.figures} figure(s) found.",
                       icon=":material/check_circle:")
        elif outcome == "present":
            st.info(f"{common.md(name)}: already in the store ({detail.figures} figure(s)).",
                    icon=":material/info:")
        else:
            st.error(common.md(detail), icon=":material/error:")
    added = [d.document_id for _, o, d in results if o in ("added", "present")]
    if added:
        rows = [r for r in store.figures() if r["document_id"] in added]
        if rows:
            df = pd.DataFrame(rows)
            df = pd.DataFrame({
                "category": df["category"], "number_text": df["number_text"],
                "location": df["location"],
                "source": views.credits(df["source"], df["speaker"]),
                "reported_date": df["reported_date"].map(views.format_date),
                "quote": df["quote"]})
            st.dataframe(df, hide_index=True, width="stretch")
        st.page_link("app_pages/documents.py", label="Open the last one",
                     query_params={"doc": str(added[-1])}, icon=":material/article:")


def outcomes(summary) -> list[tuple[str, str, object]]:
    """A fetch summary as show_results takes it."""
    return [(o.url, o.status, o.reason if o.status == "failed" else o)
            for o in summary.outcomes]


def secrets():
    try:
        return st.secrets
    except Exception:   # noqa: BLE001 - no secrets file
        return None


upload_tab, paste_tab, link_tab, rw_tab = st.tabs(
    ["Upload files", "Paste text", "From a link", "From ReliefWeb"])
with upload_tab:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Articles and reports (.txt, .md, .html, .pdf; up to 20 MB each)",
            type=sorted(s.lstrip(".") for s in SUPPORTED), accept_multiple_files=True)
        go = st.form_submit_button("Add", type="primary")
    if go and files:
        results = []
        for up in files:
            try:
                # the name is only used for its extension and shown as text, never as a path
                result = store.add(load_bytes(up.getvalue(), up.name))
                results.append((up.name, result.status, result))
            except UnreadableDocument as e:
                results.append((up.name, "failed", str(e)))
        show_results(results)
    elif go:
        st.warning("Choose at least one file first.")

with paste_tab:
    with st.form("paste"):
        text = st.text_area("Text", height=240, placeholder="Paste an article or a report")
        c1, c2, c3 = st.columns([2, 2, 1])
        title = c1.text_input("Title (optional)")
        url = c2.text_input("Address (optional)", placeholder="https://…")
        published = c3.date_input("Published (optional)", value=None, max_value=date.today())
        go = st.form_submit_button("Add", type="primary")
    if go:
        try:
            doc = load_pasted(text, title=title.strip(), url=url.strip(),
                              published=published.isoformat() if published else "")
            result = store.add(doc)
            show_results([(title or "pasted text", result.status, result)])
        except UnreadableDocument as e:
            show_results([("pasted text", "failed", str(e))])

# The dashboard fetches on behalf of whoever uses it: servers at private addresses (this machine,
# the local network, cloud metadata) are refused unless the operator allows them
# (FIGURES_ALLOW_PRIVATE_FETCH=1, or allow_private_fetch = true in .streamlit/secrets.toml).
allow_private = private_fetch_allowed(secrets())

with link_tab:
    with st.form("link"):
        link = st.text_input("Address of a web page or a PDF", placeholder="https://…",
                             key="link_url")
        go = st.form_submit_button("Fetch and add", type="primary")
    if go:
        if not link.strip():
            st.warning("Type or paste an address first.")
        else:
            with st.spinner("Fetching…"):
                summary = ingest_urls(store, [link.strip()], allow_private=allow_private)
            show_results(outcomes(summary))

with rw_tab:
    appname, api = reliefweb.configured(secrets())
    if not appname:
        st.info("ReliefWeb's API needs an appname, which ReliefWeb gives on request. The operator "
                "sets it as RELIEFWEB_APPNAME in the environment or reliefweb_appname in "
                ".streamlit/secrets.toml.", icon=":material/info:")
    with st.form("reliefweb"):
        c1, c2, c3 = st.columns([1, 2, 1])
        countries = c1.text_input("Countries (ISO3 codes)", placeholder="SDN, SSD",
                                  key="rw_country")
        words = c2.text_input("Words", placeholder="e.g. floods", key="rw_words")
        since = c3.date_input("Posted since", value=None, max_value=date.today(), key="rw_since")
        c4, c5 = st.columns([1, 3])
        limit = c4.number_input("At most", min_value=1, max_value=50, value=10, key="rw_limit")
        attachments = c5.checkbox("Also read the PDF attachments", key="rw_files")
        go = st.form_submit_button("Search and add", type="primary", disabled=not appname)
    if go and appname:
        isos = [c.strip().upper() for c in countries.replace(";", ",").split(",") if c.strip()]
        bad = [c for c in isos if not (len(c) == 3 and c.isalpha())]
        if bad:
            st.error(f"Not ISO3 country codes: {common.md(', '.join(bad))}",
                     icon=":material/error:")
        else:
            # the API's address is the operator's configuration; the addresses found in its
            # answers (attachments) follow the dashboard's rule on private addresses
            found = reliefweb.reports(appname=appname, countries=isos, query=words,
                                      since=since.isoformat() if since else "", limit=int(limit),
                                      api=api, allow_private=True)
            with st.spinner("Asking ReliefWeb…"):
                summary = reliefweb.ingest_reports(store, found, attachments=attachments,
                                                   allow_private=allow_private)
            if not summary.outcomes:
                st.info("ReliefWeb has no report that matches.", icon=":material/info:")
            show_results(outcomes(summary))
