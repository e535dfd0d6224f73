"""Figures: the filtered table; selecting a row opens its provenance."""
import streamlit as st

from app_pages import common
from figures import views

store = common.store()
df, f = common.filtered(store)

st.title("Figures")
st.caption(f"{len(df):,} figures · {common.md(views.describe_filters(f))}")
common.table_downloads(df, f, "table")
if df.empty:
    common.say_empty(f)
    st.stop()

table = views.table_frame(df)      # dates in words, the source with its speaker in one line
table["document_url"] = table["document_url"].map(common.safe_url)
event = st.dataframe(
    table, hide_index=True, width="stretch", height=520, key="figures_table",
    on_select="rerun", selection_mode="single-row",
    column_config={
        "reported_date": st.column_config.TextColumn("Reported", width="small"),
        "figure_date": st.column_config.TextColumn(
            "Figure dated", width="small",
            help="The date the text gives for the figure when it is not the article's "
                 "(\"since 1 March\"); the words as written are in the row's details."),
        "category": st.column_config.TextColumn("Category", width="small"),
        "number_text": st.column_config.TextColumn("As written"),
        "value": st.column_config.NumberColumn("Value", format="localized"),
        "qualifier": st.column_config.TextColumn("Qualifier"),
        "who": "Who",
        "part_of": st.column_config.TextColumn(
            "Part of", help="A part of a breakdown (\"4 children\" of \"23 people, including 4 "
                            "children\") names its total; charts and cards count the total only"),
        "location": "Place",
        "country": st.column_config.TextColumn("Country", width="small"),
        "source": st.column_config.TextColumn(
            "Source", help="The body credited, and in brackets the person speaking for it"),
        "document_title": "Document",
        "review_status": "Review",
        "quote": st.column_config.TextColumn("Quote", width="large"),
        "document_url": st.column_config.LinkColumn("Link", display_text="open"),
        "figure_id": st.column_config.NumberColumn("ID", format="%d", width="small"),
    })
rows = event.selection.rows if event else []
if rows:
    st.subheader("Where this figure comes from")
    common.provenance_panel(store, int(table.iloc[rows[0]]["figure_id"]))
else:
    st.caption("Select a row to see the sentence and the document it came from.")
