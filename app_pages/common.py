"""Widgets shared by the dashboard's pages: the store, the sidebar filters, the provenance panel
and the downloads. Computation lives in ``figures``; this file only lays things out.

Text that came from a document (quotes, titles, places, sources, addresses) is untrusted: it is
shown with ``st.text``/``st.code``/dataframes, escaped with ``md()`` before any Markdown, or
escaped with ``html.escape`` inside the few HTML fragments we build ourselves.
"""
from __future__ import annotations

import gc
import html
import re
import threading
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from figures import charts, frames, views
from figures.export import to_text
from figures.schema import CATEGORIES, REVIEW_STATUSES
from figures.store import Filters, Store, StoreError, db_path

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")
# GitHub-flavoured Markdown turns bare addresses (http://…, www.…, a@b.c) into links after the
# text is parsed, so backslashes cannot stop it; a word holding one is shown as inline code.
_LINKABLE = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.", re.I)
_WORD = re.compile(r"[^ \t]+")


def _code_span(word: str) -> str:
    """``word`` as a CommonMark code span: read literally, never a link, whatever it holds."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", word)), default=0) + 1)
    pad = " " if word.startswith("`") or word.endswith("`") else ""
    return f"{fence}{pad}{word}{pad}{fence}"


def md(text) -> str:
    """Untrusted text made inert for st.markdown/st.caption/labels, shown exactly as written:
    every ASCII punctuation character that Markdown or Streamlit's directives (:red[...],
    $math$) could read is backslash-escaped, and words that Markdown would turn into a link
    become inline code. Line breaks become spaces."""
    text = re.sub(r"\r\n?|\n", " ", str(text or ""))
    return _WORD.sub(lambda m: _code_span(m.group()) if _LINKABLE.search(m.group())
                     else _MD_SPECIAL.sub(r"\\\1", m.group()), text)


def safe_url(url: str) -> str:
    """Only http(s) addresses become links; anything else (javascript:, data:) is dropped."""
    url = (url or "").strip()
    return url if re.match(r"https?://[^\s<>\"']+$", url, re.I) else ""


# ---------------------------------------------------------------------------------------------
# The store


@st.cache_resource(show_spinner="Adding the sample articles to a new store…")
def _first_start(path: str) -> int:
    with Store(path) as s:
        return s.seed_sample()


_run = threading.local()     # each session's script runs in its own thread


def open_store() -> Store:
    """Open the database for this script run (app.py does it; it closes it when the run ends).
    One connection per run: sessions never share a connection."""
    path = db_path()
    _run.frame = None
    try:
        _first_start(str(path))
        _run.store = Store(path)
        return _run.store
    except StoreError as e:
        database_error(e, opening=True)
        st.stop()


def database_error(e: StoreError, opening: bool = False) -> None:
    """The store's own words on what is wrong with the database file and what to do (escaped:
    the message holds a file path)."""
    what = "cannot be opened" if opening else "stopped working"
    st.error(f"The figures database {what}. {md(e)}", icon=":material/error:")


def store() -> Store:
    """The store app.py opened for this run."""
    return _run.store


#: the state of each store whose frame ``_all_figures`` computed last (the one it holds)
_frame_versions: dict[str, tuple] = {}
#: the state of each store whose frame ``_all_figures`` has finished computing
_frames_done: dict[str, tuple] = {}
#: the state of each store of which this server has drawn a page or prepared the first one
_drawn: dict[str, tuple] = {}


@st.cache_resource(show_spinner="Loading figures…", max_entries=2)
def _all_figures(path: str, version: tuple) -> pd.DataFrame:
    # one frame shared by every session, never copied or pickled: pages only read it (filters
    # make new frames). On disk too, so a restarted dashboard loads it in milliseconds.
    _frame_versions[path] = version
    with Store(path) as s:
        df = views.load_all_figures(s)
    _frames_done[path] = version
    return df


@st.cache_resource(show_spinner="Counting figures…", max_entries=1)
def _narrow(path: str, version: tuple) -> pd.DataFrame | None:
    # a big store's figures, the columns the filters read, while its whole frame is read
    with Store(path) as s:
        got = frames.load_narrow(s)
    return got[1] if got is not None and got[0] == version else None


def reading_notice(store: Store):
    """On the first page of a big store's state (seconds at a million figures, after a start
    or a change of the store), a notice in the main area while its figures are read, drawn as
    a chart, so that the browser loads its charting code (4.7 MB of Plotly.js: about a second
    on a small machine) while it waits, not after the page is computed. Returns the notice's
    slot, to be emptied once the figures are read; None when the store is small or this state
    has been drawn or prepared (``state_drawn``)."""
    version, path = store.data_version(), str(store.path)
    if ((version[2] or 0) < frames.DRIVER_MIN_ROWS or _frames_done.get(path) == version
            or _drawn.get(path) == version):
        return None
    fig = go.Figure(layout=dict(
        height=80, margin=dict(l=0, r=0, t=0, b=0), template="plotly_white",
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text="Reading the figures of this store…", showarrow=False,
                          xref="paper", yref="paper", x=0, xanchor="left", y=0.5,
                          font=dict(size=16, color="#555"))]))
    slot = st.empty()
    with slot.container(key="figures_reading"):
        st.plotly_chart(fig, theme=None, config={"staticPlot": True, "displayModeBar": False})
    return slot


def state_drawn(store: Store) -> None:
    """Note that a page of this run's state of the store has been drawn: its next pages need no
    ``reading_notice``."""
    frame = getattr(_run, "frame", None)
    if frame is not None and frame[0] is store:
        _drawn[str(store.path)] = frame[2]


def all_figures(store: Store) -> pd.DataFrame:
    """Every stored figure; reloaded only when some process has committed a change. One frame per
    script run: the sidebar's count, the cards, the charts and the table of a page show the same
    state of the store even when an ingest commits while the page is being drawn."""
    frame = getattr(_run, "frame", None)
    if frame is not None and frame[0] is store and frame[3] is None:
        return frame[1]
    version = frame[2] if frame is not None and frame[0] is store else store.data_version()
    df = _all_figures(str(store.path), version)
    _run.frame = (store, df, version, None)
    return df


def filter_frame(store: Store) -> tuple[pd.DataFrame, object]:
    """(the frame the filters, the sidebar and the Overview's cards and chart by place read, and
    None), or while a big store's whole frame is being read for the first time (8-10 s at a
    million figures: ``frames.narrow_wanted``), (its narrow frame, the function that reads the
    whole rows of some of its figures): ``views.Selection``. One state per script run, as
    ``all_figures``."""
    frame = getattr(_run, "frame", None)
    if frame is not None and frame[0] is store:
        return frame[1], frame[3]
    version, path = store.data_version(), str(store.path)
    if _frames_done.get(path) != version and frames.narrow_wanted(store):
        narrow = _narrow(path, version)
        if narrow is not None:
            def fetch(ids: list[int]) -> pd.DataFrame:
                return frames.rows_by_id(store, version, ids)
            _run.frame = (store, narrow, version, fetch)
            return narrow, fetch
    return all_figures(store), None


def cached(store: Store, key: str, compute):
    """``compute()`` (a pure function of this run's frame) computed once per state of the store
    and ``key``: in memory for every session, and on disk for the next server start. When the
    store changed before a narrow frame's rows were read (``frames.StateChanged``), the page is
    drawn again, of the new state."""
    filter_frame(store)
    try:
        return _cached(str(store.path), _run.frame[2], key, compute)
    except frames.StateChanged:
        if get_script_run_ctx() is None:      # the server's own thread: it tries again later
            raise
        st.rerun()


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached(path: str, version: tuple, key: str, _compute):
    with Store(path) as s:
        return views.cached_view(s, version, key, _compute)


def prepare_first_page(path) -> None:
    """Put the Overview's first page (no filter) for the store's current state into this
    server's caches, as a visitor's first run would: the frame, the cards and the chart by place.
    Run by the server in a thread of its own (``scripts/serve.py``, ``figures.standby``) at its
    start and after each change of the store, so the next visitor finds them. A visitor who comes
    while they are being computed waits for them (one computation per state, never two)."""
    with Store(path) as s:
        held = _frame_versions.get(str(s.path))
        if held is not None and held != s.data_version():
            # the frame of an earlier state is let go before the new one is made (a session
            # drawing a page keeps it until its run ends), so that the server does not hold two
            # frames of a million figures at once (pandas' frames hold reference cycles: freed
            # by the collector, which would otherwise come after the new one is made)
            _all_figures.clear()
            gc.collect()
        _run.store, _run.frame = s, None
        try:
            df, fetch = filter_frame(s)
            for key, compute in views.first_page(df, s.pinned_ids(), fetch):
                cached(s, key, compute)
            state_drawn(s)
            if fetch is not None:
                # the first page from a narrow frame (a big store read whole for the first
                # time); then the whole frame, for the other pages and charts, with the codes
                # of its keys, which a filter change reads; and the narrow one let go
                views.remember_keys(all_figures(s))
                _narrow.clear()
        except frames.StateChanged:
            return               # changed again meanwhile: the next look prepares that state
        finally:
            _run.store = _run.frame = None


# ---------------------------------------------------------------------------------------------
# Filters: sidebar widgets, kept in the address bar so a link reproduces the view

_KEYS = {"categories": "f_cat", "countries": "f_country", "places": "f_place",
         "sources": "f_source", "statuses": "f_status", "date_from": "f_from",
         "date_to": "f_to", "include_combatants": "f_combatants", "search": "f_q",
         "copies": "f_copies"}
_KEEP_PARAMS = ("doc", "figure")      # page-specific parameters the filters must not wipe


def _init_from_url() -> None:
    if st.session_state.get("_filters_ready"):
        return
    f = views.filters_from_params(st.query_params)
    ss = st.session_state
    ss[_KEYS["categories"]] = list(f.categories)
    ss[_KEYS["countries"]] = list(f.countries)
    ss[_KEYS["places"]] = list(f.places)
    ss[_KEYS["sources"]] = list(f.sources)
    ss[_KEYS["statuses"]] = list(f.statuses)
    ss[_KEYS["date_from"]] = date.fromisoformat(f.date_from) if f.date_from else None
    ss[_KEYS["date_to"]] = date.fromisoformat(f.date_to) if f.date_to else None
    ss[_KEYS["include_combatants"]] = f.include_combatants
    ss[_KEYS["search"]] = f.search
    ss[_KEYS["copies"]] = f.copies
    ss["_filters_ready"] = True


def current_filters() -> Filters:
    ss = st.session_state
    d_from, d_to = ss.get(_KEYS["date_from"]), ss.get(_KEYS["date_to"])
    return Filters(
        categories=tuple(ss.get(_KEYS["categories"], ())),
        countries=tuple(ss.get(_KEYS["countries"], ())),
        places=tuple(ss.get(_KEYS["places"], ())),
        sources=tuple(ss.get(_KEYS["sources"], ())),
        statuses=tuple(ss.get(_KEYS["statuses"], Filters().statuses)),
        date_from=d_from.isoformat() if d_from else "",
        date_to=d_to.isoformat() if d_to else "",
        include_combatants=bool(ss.get(_KEYS["include_combatants"], False)),
        search=ss.get(_KEYS["search"], "") or "",
        copies=bool(ss.get(_KEYS["copies"], False)))


@st.cache_resource(max_entries=8, show_spinner=False)
def _distinct(path: str, version: tuple, column: str, _df: pd.DataFrame) -> frozenset:
    # once per state of the store, not on every run (a few ms per column at 100,000 figures)
    return frozenset(_df[column].dropna().unique()) - {""} if not _df.empty else frozenset()


def _options(store: Store, df: pd.DataFrame, column: str, key: str) -> list[str]:
    values = _distinct(str(store.path), _run.frame[2], column, df)
    return sorted(values | set(st.session_state.get(key, [])))


def sidebar_filters(store: Store) -> None:
    _init_from_url()
    df, _ = filter_frame(store)
    with st.sidebar:
        st.subheader("Filters")
        st.multiselect("Category", CATEGORIES, key=_KEYS["categories"],
                       placeholder="All categories")
        st.multiselect("Country (ISO3)", _options(store, df, "country", _KEYS["countries"]),
                       key=_KEYS["countries"], placeholder="All countries")
        st.multiselect("Place", _options(store, df, "location", _KEYS["places"]),
                       key=_KEYS["places"], placeholder="All places")
        st.multiselect("Source", _options(store, df, "source", _KEYS["sources"]),
                       key=_KEYS["sources"], placeholder="All sources")
        c1, c2 = st.columns(2)
        c1.date_input("Reported from", key=_KEYS["date_from"], format="YYYY-MM-DD")
        c2.date_input("to", key=_KEYS["date_to"], format="YYYY-MM-DD")
        st.multiselect("Review status", REVIEW_STATUSES, key=_KEYS["statuses"],
                       placeholder="Any status")
        st.text_input("Quote contains", key=_KEYS["search"], placeholder="e.g. shelter")
        st.toggle("Include combatants", key=_KEYS["include_combatants"],
                  help="Figures about fighters, soldiers, militants and security forces.")
        st.toggle("Show copies of the same story", key=_KEYS["copies"],
                  help="One wire story carried by several outlets is counted once, where it "
                       "was first stored. Turn on to see every copy with its outlet.")
        st.caption(f"Database: {md(store.path.name)} · {len(df):,} figures stored")
    sync_url()


def sync_url(**extra: str | None) -> None:
    """Write the filters (and page parameters such as doc=) into the address bar."""
    params = views.filters_to_params(current_filters())
    for k in _KEEP_PARAMS:
        if k in st.query_params and k not in extra:
            params[k] = st.query_params[k]
    for k, v in extra.items():
        if v is not None:
            params[k] = str(v)
    if dict(_as_lists(st.query_params.to_dict(), st.query_params)) != _as_lists(params):
        st.query_params.from_dict(params)


def _as_lists(d: dict, qp=None) -> dict:
    out = {}
    for k, v in d.items():
        if qp is not None:
            v = qp.get_all(k)
        out[k] = sorted(v) if isinstance(v, list) else [v]
    return out


def filtered(store: Store) -> tuple[pd.DataFrame, Filters]:
    f = current_filters()
    return views.apply_filters(all_figures(store), f), f


def selection(store: Store, whole: bool = False) -> tuple[views.Selection, Filters]:
    """Like ``filtered``, but the rows are copied out only when a page reads ``.rows``; of a
    narrow frame (``filter_frame``) unless ``whole`` or the quotes are searched (the narrow
    frame has none)."""
    f = current_filters()
    if whole or f.search.strip():
        return views.Selection(all_figures(store), f), f
    df, fetch = filter_frame(store)
    return views.Selection(df, f, fetch), f


def say_empty(f: Filters) -> None:
    st.info(f"No figures match these filters ({md(views.describe_filters(f))}). "
            "Widen the filters in the sidebar, or add documents.", icon=":material/search_off:")


# ---------------------------------------------------------------------------------------------
# Provenance: where a figure comes from


def highlight_html(text: str, start: int, end: int, colour: str) -> str:
    """A paragraph with one span marked; every character of the document is escaped."""
    return (f"<div style='line-height:1.6'>{html.escape(text[:start])}"
            f"<mark style='background:{colour}33;border-bottom:3px solid {colour};padding:0 2px'>"
            f"{html.escape(text[start:end])}</mark>{html.escape(text[end:])}</div>")


def provenance_panel(store: Store, figure_id: int) -> None:
    row = store.figure(int(figure_id))
    if row is None:
        st.warning(f"Figure {int(figure_id)} is no longer in the store.")
        return
    doc = store.document(row["document_id"])
    colour = charts.CATEGORY_COLOURS[row["category"]]
    with st.container(border=True, key="provenance"):
        st.markdown(f"**{md(views.number_words(row))} {md(row['category'])}** · "
                    f"{md(row['location'] or 'place not stated')} · {md(views.source_line(row))}")
        if doc["format"] == "archive":      # store.ARCHIVE_FORMAT: the text was not kept
            st.caption("From an archive: the document's text was not kept.")
        else:
            para, a, b = views.paragraph_around(doc["text"], row["start"], row["end"])
            st.html(highlight_html(para, a, b, colour))
        st.caption("The quote as recorded:")
        st.text(row["quote"])
        # plain text, shown in a dataframe; a part names its total, a total lists its parts
        facts = views.provenance_facts(row, store.total_of(row["figure_id"]),
                                       store.parts_of(row["figure_id"]),
                                       store.story_documents(row["document_id"]))
        st.dataframe(pd.DataFrame({"": list(facts), "value": [str(v) for v in facts.values()]}),
                     hide_index=True, width="stretch")
        if row["review_status"] in ("accepted", "corrected"):
            # an analyst's pin makes this figure its place's key figure (Overview, Excel)
            is_pinned = row["figure_id"] in store.pinned_ids()
            if st.toggle("Key figure of its place (pinned)", value=is_pinned,
                         key=f"pin_{row['figure_id']}") != is_pinned:
                store.pin(int(row["figure_id"]), not is_pinned)
                st.rerun()
        c1, c2 = st.columns(2)
        c1.page_link("app_pages/documents.py", label="Open the document",
                     icon=":material/article:", query_params={"doc": str(row["document_id"]),
                                                              "figure": str(row["figure_id"])})
        url = safe_url(row["document_url"])
        if url:
            c2.link_button("Original page", url, icon=":material/open_in_new:")


# ---------------------------------------------------------------------------------------------
# Downloads


def download_button(where, label: str, make, file_name: str, mime: str, key: str,
                    disabled: bool, icon: str = ":material/download:") -> None:
    """A button whose file ``make()`` writes when clicked. The click runs nothing else: a rerun
    started by the click would clear the server's outgoing queue, and with it, now and then, the
    file's address before it reached the browser (Streamlit 1.67), so the click did nothing."""
    where.download_button(label, make, file_name, mime, key=key, icon=icon, disabled=disabled,
                          on_click="ignore")


def table_downloads(df: pd.DataFrame, f: Filters, key: str) -> None:
    """CSV and HXL of exactly these rows, made when clicked."""
    stem = views.download_name(f)
    rows = lambda: views.records(df)  # noqa: E731
    c1, c2, c3 = st.columns(3)
    download_button(c1, "Download CSV", lambda: to_text(rows(), "csv"), f"{stem}.csv",
                    "text/csv", f"{key}_csv", df.empty)
    download_button(c2, "Download HXL CSV", lambda: to_text(rows(), "hxl"), f"{stem}-hxl.csv",
                    "text/csv", f"{key}_hxl", df.empty)
    download_button(c3, "Download Excel",
                    lambda: views.xlsx_bytes(rows(), f, store().pinned_ids()), f"{stem}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    f"{key}_xlsx", df.empty)


def chart(fig, name: str, empty: bool, key: str, config: dict | None = None):
    """A chart with click-to-select and a server-side PNG at briefing size; ``name`` is its file
    name (``charts.chart_filename``); ``empty`` when no figure is drawn (no PNG then); ``config``
    the Plotly config when not ``charts.chart_config(name)`` (the map's adds its base maps)."""
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", theme=None,
                            config=config or charts.chart_config(name))
    download_button(st, "PNG for a briefing", lambda: charts.to_png(fig), f"{name}.png",
                    "image/png", f"{key}_png", empty, icon=":material/image:")
    return selected_figure(event)


def selected_figure(event) -> int | None:
    try:
        points = event.selection.points
    except AttributeError:
        return None
    for p in points or []:
        data = p.get("customdata")
        if data:
            return int(data[0] if isinstance(data, (list, tuple)) else data)
    return None
