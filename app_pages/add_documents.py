"""Add documents: upload files or paste text; the figures found are shown at once and stored."""
from datetime import date

import pandas as pd
import streamlit as st

from app_pages import common
from figures import views
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


upload_tab, paste_tab = st.tabs(["Upload files", "Paste text"])
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
