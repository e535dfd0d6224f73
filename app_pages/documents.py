"""Documents: one document's text with every figure marked in its category's colour."""
import pandas as pd
import streamlit as st

from app_pages import common
from figures import charts, views
from figures.document import structure
from figures.schema import CATEGORIES
from figures.store import ARCHIVE_FORMAT, Filters

store = common.store()
docs = store.documents()
st.title("Documents")
if not docs:
    st.info("No documents yet. Add some on the Add documents page.")
    st.stop()

ids = [d["id"] for d in docs]
labels = {d["id"]: f"{d['title'] or d['doc_id']} · {d['figures']} figures · added "
                   f"{d['added_at'][:10]}" for d in docs}
try:
    wanted = int(st.query_params.get("doc", ids[0]))
except ValueError:
    wanted = ids[0]
if st.session_state.get("doc_choice") not in ids or "doc" in st.query_params:
    st.session_state["doc_choice"] = wanted if wanted in ids else ids[0]
doc_id = st.selectbox("Document", ids, format_func=lambda i: labels[i], key="doc_choice")
common.sync_url(doc=doc_id)
doc = store.document(doc_id)

meta = [doc["outlet"], views.format_date(doc["published"]) if doc["published"] else "",
        doc["file_name"], doc["format"].upper()]
st.caption(" · ".join(common.md(m) for m in meta if m))
story = store.story_documents(doc_id)
if story:
    names = "; ".join(dict.fromkeys(views.outlet_name(d) for d in story))
    head = next((d for d in story if d["id"] == doc["copy_of"]), None)
    if head is not None:
        st.caption(f"A near copy of a story first stored from {common.md(views.outlet_name(head))}"
                   f" ({common.md(head['title'])}): its figures that an earlier copy gives are "
                   f"counted there, once. Also carried by: {common.md(names)}.")
    else:
        st.caption(f"This story was also carried by {common.md(names)}: near copies, whose "
                   "figures are counted here, once.")
url = common.safe_url(doc["url"])
if url:
    st.link_button("Original page", url, icon=":material/open_in_new:")

rows = store.figures(Filters(document_id=doc_id, include_combatants=True, statuses=()))
legend = " ".join(
    f"<span style='background:{charts.CATEGORY_COLOURS[c]}30;border-bottom:3px solid "
    f"{charts.CATEGORY_COLOURS[c]};padding:0 4px;margin-right:6px'>{c}</span>"
    for c in CATEGORIES)
st.html(f"<div style='font-size:0.85rem'>{legend}</div>")

articles = structure(doc["text"])
if len(articles) > 1:
    st.caption(f"This page holds {len(articles)} articles; each new one is marked by a rule.")
if rows:
    options = [r["figure_id"] for r in rows]
    by_id = {r["figure_id"]: r for r in rows}
    try:
        pre = int(st.query_params.get("figure", 0))
    except ValueError:
        pre = 0
    index = options.index(pre) if pre in options else None
    chosen = st.selectbox(
        "Figure in this document", options, index=index, key=f"doc_fig_{doc_id}",
        placeholder="Choose a figure to see its record",
        format_func=lambda i: f"{by_id[i]['category']} · {by_id[i]['number_text']} · "
                              f"{by_id[i]['location'] or '?'} (figure {i})")
    if chosen is not None:
        common.provenance_panel(store, chosen)
else:
    st.caption("No figures were found in this document.")

if doc["format"] == ARCHIVE_FORMAT:
    st.info("From an archive: the text of this document was not kept, only its figures and "
            "the sentence each was read from.")
    st.stop()
with st.container(border=True, key="document_text"):
    st.html(views.document_html(doc["text"], rows, charts.CATEGORY_COLOURS,
                                [a.start for a in articles]))
    if len(doc["text"]) > 300_000:
        st.caption("The text is cut at 300,000 characters here; exports and figures cover it all.")
