"""Review: accept, reject or correct figures; the unreviewed ones first, newest first."""
import streamlit as st

from app_pages import common
from figures import charts, views
from figures.schema import CATEGORIES
from figures.store import Filters

store = common.store()
st.title("Review")

f = common.current_filters()
queue = [r for r in store.iter_figures(
    Filters(**{**f.__dict__, "statuses": ("unreviewed",)}),
    order="document_added_at DESC, figure_id DESC")]
done = store.stats()["reviews"]
st.caption(f"{len(queue):,} unreviewed figures under the current filters · "
           + " · ".join(f"{n:,} {s}" for s, n in done.items() if s != "unreviewed"))

if not queue:
    st.success("Nothing left to review under these filters.", icon=":material/task_alt:")
    st.stop()

ids = [r["figure_id"] for r in queue]
by_id = {r["figure_id"]: r for r in queue}
if st.session_state.get("review_pick") not in ids:
    st.session_state["review_pick"] = ids[0]
pick = st.selectbox(
    "Figure", ids, key="review_pick",
    format_func=lambda i: f"{by_id[i]['category']} · {by_id[i]['number_text']} · "
                          f"{by_id[i]['location'] or '?'} · {by_id[i]['document_title'][:60]}")
row = by_id[pick]
common.provenance_panel(store, pick)

note = st.text_input("Note (optional)", key=f"note_{pick}")
c1, c2, _ = st.columns([1, 1, 4])
if c1.button("Accept", type="primary", key=f"accept_{pick}", icon=":material/check:"):
    store.review(pick, "accepted", note=note)
    st.toast("Accepted")
    st.rerun()
if c2.button("Reject", key=f"reject_{pick}", icon=":material/close:"):
    store.review(pick, "rejected", note=note)
    st.toast("Rejected")
    st.rerun()

with st.form(f"correct_{pick}"):
    st.markdown("**Correct it** (the extracted values stay visible beside the correction)")
    c1, c2 = st.columns(2)
    value = c1.number_input("Value", min_value=0.0, value=float(row["value"]), step=1.0,
                            format="%.0f")
    category = c2.selectbox("Category", CATEGORIES, index=CATEGORIES.index(row["category"]))
    c3, c4 = st.columns(2)
    location = c3.text_input("Place", value=row["location"])
    country = c4.text_input("Country (ISO3)", value=row["country"], max_chars=3)
    c5, c6 = st.columns(2)
    source = c5.text_input("Source", value=row["source"],
                           help="The body the figure comes from: UNICEF, the health ministry")
    speaker = c6.text_input("Speaker", value=row["speaker"],
                            help="The person speaking for the source; empty when none is named. "
                                 "Saved as shown here, also when you change the source.")
    if st.form_submit_button("Save correction"):
        changes = {k: v for k, v in (("value", value), ("category", category),
                                     ("location", location.strip()),
                                     ("country", country.strip().upper()),
                                     ("source", source.strip()),
                                     ("speaker", speaker.strip())) if v != row[k]}
        if "source" in changes:
            # the form shows both: what the Speaker field holds is what is meant
            changes["speaker"] = speaker.strip()
        if not changes:
            st.warning("Nothing was changed; use Accept if the figure is right.")
        else:
            try:
                store.review(pick, note=note, **changes)
            except ValueError as e:      # e.g. a place or source emptied and nothing else
                st.error(common.md(e), icon=":material/error:")
            else:
                st.toast("Correction saved")
                st.rerun()
