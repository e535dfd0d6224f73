"""Humanitarian Figures: the dashboard. Layout and widgets only; the work is done in ``figures``.

    streamlit run app.py            (or ./run)

The database is $FIGURES_DB, else data/figures.db; on the first start of an empty store the sample
corpus in data/ is added, so a new user sees a full dashboard at once.
"""
import streamlit as st

from app_pages import common
from figures.store import as_store_error

# An emoji favicon is drawn in the page (a data: URL); a :material/...: one is fetched from
# fonts.gstatic.com by every visitor's browser, which the dashboard must never do.
st.set_page_config(page_title="Humanitarian Figures", page_icon="\N{BAR CHART}",
                   layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/figures_table.py", title="Figures", icon=":material/table:",
            url_path="figures"),
    st.Page("app_pages/documents.py", title="Documents", icon=":material/article:",
            url_path="documents"),
    st.Page("app_pages/add_documents.py", title="Add documents", icon=":material/upload_file:",
            url_path="add"),
    st.Page("app_pages/review.py", title="Review", icon=":material/fact_check:",
            url_path="review"),
]

page = st.navigation(PAGES)
store = common.open_store()
try:
    # on the Overview, whose chart would otherwise wait for Plotly.js after a long first read
    notice = common.reading_notice(store) if page is PAGES[0] else None
    common.sidebar_filters(store)
    if notice is not None:
        notice.empty()
    page.run()
    common.state_drawn(store)
except Exception as e:       # damage found while reading, a full disk while writing
    problem = as_store_error(store.path, e)
    if problem is None:
        raise
    common.database_error(problem)
finally:
    store.close()
