"""Overview: the latest civilian figure per category, then the charts."""
import streamlit as st

from app_pages import common
from figures import charts, maps, views
from figures.schema import CATEGORIES


def _short(text: str, limit: int) -> str:
    """Cut before escaping, so an escape or code span is never cut in half."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


store = common.store()
# counted at once; the rows (the columns the Overview reads) are copied out only if the cards or
# the chart must be computed. While a big store is read whole for the first time, of its narrow
# frame: the cards and the chart by place then read only the rows they show.
sel, f = common.selection(store)


def whole() -> views.Selection:
    """The selection of every figure's frame (the key figures, the map, the other charts)."""
    global sel
    if sel.narrow:
        sel = common.selection(store, whole=True)[0]
    return sel

st.title("Humanitarian figures")
st.caption(f"{len(sel):,} figures · {common.md(views.describe_filters(f))}")

if sel.empty:
    common.say_empty(f)
    st.stop()

# big numbers that fit five to a row, however long "20,000–99,999" is
st.html("<style>[data-testid='stMetricValue']{font-size:1.7rem;white-space:normal}</style>")
pinned = store.pinned_ids()
# the cards and the chart by place read the selected rows where they lie (sel.keep), not a copy
cards = common.cached(store, views.cards_key(f, pinned),
                      lambda: views.overview_cards(sel, pinned))
for col, cat in zip(st.columns(len(CATEGORIES)), CATEGORIES):
    card = cards[cat]
    with col.container(border=True, key=f"card_{cat}"):
        if card is None:
            st.metric(cat.capitalize(), "—")
            st.caption("no civilian figure under this filter")
            continue
        st.metric(cat.capitalize(), card.number)
        st.caption(f"{common.md(card.place)}  \n{common.md(card.source)}")
        if card.agreement:      # the place's sources, reconciled (figures/keyfigures.py)
            st.caption(common.md(card.agreement))
        st.page_link("app_pages/documents.py", label=common.md(_short(card.document_title, 90)),
                     icon=":material/article:",
                     query_params={"doc": str(card.document_id), "figure": str(card.figure_id)})


def key_figures() -> list:
    return common.cached(store, f"key figures {f!r} {sorted(pinned)}",
                         lambda: views.key_figures(whole().overview, pinned))


# reconciled only when opened (a second for a million figures), not on every filter change
panel = st.expander("Key figures: each place's sources reconciled", expanded=False,
                    key="key_figures_open", on_change="rerun")
with panel:
    st.caption("For each place and category: the latest estimate, and each source's latest figure "
               "within 30 days before it (copies of one story count once; rejected figures drop "
               "out). Sources more than 1.5 times apart disagree. An accepted figure pinned in its "
               "provenance panel is the key figure. Pick a row for its provenance.")
    if panel.open:
        keys = key_figures()
        picked_key = st.dataframe(views.key_figures_table(keys), hide_index=True,
                                  width="stretch", on_select="rerun", selection_mode="single-row",
                                  key="key_table", column_config={"figure_id": None})
        if picked_key and picked_key.selection.rows:
            st.session_state["figure"] = keys[picked_key.selection.rows[0]].figure_id

VIEWS = {"By place": "place", "Map": "map", "Over time": "time",
         "Sources side by side": "sources"}
# one chart per run (not three tabs all computed): a filter change redraws only what is shown
view = st.segmented_control("Chart", list(VIEWS), default="By place", key="chart_view",
                            label_visibility="collapsed") or "By place"
picked = None
if VIEWS[view] == "place":
    fig, name = common.cached(store, views.by_place_key(f), lambda: views.overview_by_place(sel))
    picked = common.chart(fig, name, sel.empty, "chart_place")
elif VIEWS[view] == "map":
    # the key figures of the table above (civilian figures, as the cards), not reconciled again
    civilians = whole().overview[whole().overview["combatant"] == 0]
    fig, name = common.cached(store, f"map {f!r}", lambda: (
        maps.figure_map(civilians, key_figures()), charts.chart_filename("map", civilians)))
    picked = common.chart(fig, name, sel.empty, "chart_map",
                          config=maps.map_config(name, st.get_option("server.baseUrlPath")))
    note = maps.unmapped_note((fig.layout.meta or {}).get("unmapped", 0))
    if note:
        st.caption(note + ": a part of a country (\"northern Syria\"), a list of places or a "
                   "place the bundled gazetteer does not know.")
elif VIEWS[view] == "time":
    fig, name = common.cached(store, f"timeline {f!r}", lambda: (
        charts.timeline(whole().overview), charts.chart_filename("timeline", whole().overview)))
    picked = common.chart(fig, name, sel.empty, "chart_time")
else:
    df = whole().overview
    places = df["location"].replace("", None).dropna().value_counts().index.tolist()
    if places:
        c1, c2 = st.columns(2)
        place = c1.selectbox("Place", places, key="cmp_place")
        cats = [c for c in CATEGORIES if ((df["location"] == place) & (df["category"] == c)).any()]
        category = c2.selectbox("Category", cats, key="cmp_category")
        sub = df[(df["location"] == place) & (df["category"] == category)]
        picked = common.chart(charts.sources_compare(sub, place, category),
                              charts.chart_filename("sources", sub), sub.empty, "chart_sources")
    else:
        st.info("No figure names its place, so sources cannot be compared by place.")

if picked is not None:
    st.session_state["figure"] = picked
if st.session_state.get("figure") is not None:
    st.subheader("Where this figure comes from")
    common.provenance_panel(store, st.session_state["figure"])
