"""Every dashboard page through Streamlit's AppTest, on a real store in a temporary folder."""
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, UNICEF, unicef_figure
from figures.formats import load_pasted
from figures.store import Filters, Store

APP = str(ROOT / "app.py")
TIMEOUT = 60


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "figures.db"
    monkeypatch.setenv("FIGURES_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def app(page=None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_traces(at) -> list[dict]:
    out = []
    for el in at.get("plotly_chart"):
        out.extend(json.loads(el.proto.spec)["data"])
    return out


def figure_ids_in_charts(at) -> set[int]:
    ids = set()
    for trace in chart_traces(at):
        for item in trace.get("customdata") or []:
            ids.add(int(item[0]))
    return ids


def test_first_start_fills_an_empty_store_with_the_samples(db):
    at = app()
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Killed", "Injured", "Missing", "Trapped", "Displaced"}
    with Store(db) as s:
        assert s.stats()["documents"] == len(list((ROOT / "data").glob("*.txt")))
        civilian = s.figures()
    assert metrics["Trapped"] != "—" and metrics["Injured"] == "—"
    # the charts show civilian figures only, and every place and category has its mark
    shown = figure_ids_in_charts(at)
    assert shown <= {f["figure_id"] for f in civilian}
    marked = {(f["location"], f["category"]) for f in civilian if f["figure_id"] in shown}
    assert marked == {(f["location"], f["category"]) for f in civilian}


def test_filters_change_cards_table_and_charts(db):
    at = app()
    with Store(db) as s:
        displaced = {f["figure_id"] for f in s.figures(Filters(categories=("displaced",)))}
    at.sidebar.multiselect(key="f_cat").set_value(["displaced"]).run()
    assert {m.label: m.value for m in at.metric}["Trapped"] == "—"
    by_place = figure_ids_in_charts(at)
    assert by_place and by_place <= displaced
    at.segmented_control(key="chart_view").set_value("Over time").run()
    assert figure_ids_in_charts(at) <= displaced
    assert at.query_params["category"] in ("displaced", ["displaced"])
    at.switch_page("app_pages/figures_table.py").run()
    (table,) = at.dataframe
    assert set(table.value["category"]) == {"displaced"}
    assert set(table.value["figure_id"]) == displaced


def test_a_link_restores_the_view(db):
    at = app("figures_table", category="trapped", place="Raqqa")
    assert at.sidebar.multiselect(key="f_cat").value == ["trapped"]
    assert at.sidebar.multiselect(key="f_place").value == ["Raqqa"]
    (table,) = at.dataframe
    assert set(table.value["location"]) == {"Raqqa"} and set(table.value["category"]) == {"trapped"}


def test_empty_result_says_so(db):
    at = app(q="no quote says this")
    assert any("No figures match" in i.value for i in at.info)
    at.switch_page("app_pages/figures_table.py").run()
    assert any("No figures match" in i.value for i in at.info)


def test_combatants_are_off_by_default(db):
    at = app("figures_table")
    assert not any(at.dataframe[0].value["who"].isin(["fighters", "soldiers", "militants"]))
    at.sidebar.toggle(key="f_combatants").set_value(True).run()
    with Store(db) as s:
        n_all = len(s.figures(Filters(include_combatants=True)))
    assert len(at.dataframe[0].value) == n_all


def test_paste_and_upload_add_documents(db):
    at = app("add_documents")
    at.text_area[0].set_value("Floods have displaced 12,000 people in Sindh province, "
                              "officials said.")
    at.text_input[0].set_value("Sindh floods")   # the paste form's title (sidebar search is apart)
    at.button(key="FormSubmitter:paste-Add").click().run()
    assert any("added, 1 figure" in s.value for s in at.success), [s.value for s in at.success]
    at.file_uploader[0].set_value([
        ("kharkiv.txt", b"Shelling injured 40 people in Kharkiv, the governor said.",
         "text/plain"),
        ("picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(300), "text/plain")])
    at.button(key="FormSubmitter:upload-Add").click().run()
    assert any("kharkiv" in s.value and "added" in s.value for s in at.success)
    assert any("binary" in e.value for e in at.error)
    with Store(db) as s:
        titles = {d["title"] for d in s.documents()}
        assert "Sindh floods" in titles
        assert {f["location"] for f in s.figures(Filters(categories=("injured",)))} == {"Kharkiv"}


def test_reviews_persist(db):
    with Store(db) as s:
        s.seed_sample()
        s.add(load_pasted("Floods have displaced 12,000 people in Sindh province, officials said."))
    at = app("review")
    first = at.selectbox(key="review_pick").value
    at.button(key=f"reject_{first}").click().run()
    with Store(db) as s:
        assert s.figure(first)["review_status"] == "rejected"
    at.switch_page("app_pages/review.py").run()
    assert at.selectbox(key="review_pick").value != first   # gone from the queue
    second = at.selectbox(key="review_pick").value
    at.number_input[0].set_value(99.0)
    at.button(key=f"FormSubmitter:correct_{second}-Save correction").click().run()
    with Store(db) as s:
        fig = s.figure(second)
    assert (fig["review_status"], fig["value"]) == ("corrected", 99)
    assert fig["extracted_value"] != 99


def test_documents_page_marks_every_figure(db):
    with Store(db) as s:
        s.seed_sample()
        doc = max(s.documents(), key=lambda d: d["figures"])
        n = doc["figures"]
    at = app("documents", doc=str(doc["id"]))
    html = "".join(h.proto.body for h in at.get("html"))
    assert html.count("<mark id='figure-") == n
    assert "article 2" in html        # this page holds several articles


def test_selecting_a_table_row_opens_its_provenance(db):
    at = app("figures_table")
    assert not at.get("html")
    table = at.dataframe[0]
    at.dataframe[0].proto  # the table is there
    # AppTest cannot click a row; the selection state is set as the browser would
    at.session_state["figures_table"] = {"selection": {"rows": [0], "columns": [],
                                                       "cells": []}}
    at.run()
    html = "".join(h.proto.body for h in at.get("html"))
    assert "<mark" in html and table.value.iloc[0]["number_text"] in html


def test_no_full_garbage_collection_after_each_run():
    # Streamlit's runner.postScriptGC holds the GIL for a gc.collect(2) after queueing "script
    # finished", so every filter change in the browser waited for it (tens of ms at 100,000
    # figures). ./run and the benchmarks start in the project folder and read this file.
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def store_unicef(db) -> int:
    """A store holding the UNICEF document, its figure dated without a year; returns its id."""
    fig = unicef_figure(reported_date="--07-30")
    with Store(db) as s:      # not empty: the samples are not added
        s.add_many([load_pasted(UNICEF, title="Raqqa children")], figures=[[fig]])
        return s.figures()[0]["figure_id"]


def test_cards_table_and_provenance_credit_the_speaker(db):
    fid = store_unicef(db)
    at = app()
    assert {m.label: m.value for m in at.metric}["Displaced"] == "about 1,500"
    # the displaced card's caption (Markdown, its text escaped): the credit in one line and the
    # date without a year in words
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert "Raqqa  \nUNICEF (Marixie Mercado) · 30 Jul (year not stated)" in captions, captions
    assert not any("--07-30" in c for c in captions)
    at.switch_page("app_pages/figures_table.py").run()
    (table,) = at.dataframe
    row = table.value.iloc[0]
    assert (row["source"], row["reported_date"], row["figure_date"]) == (
        "UNICEF (Marixie Mercado)", "30 Jul (year not stated)", "1 Mar 2017")
    at.session_state["figures_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    facts = dict(zip(at.dataframe[1].value[""], at.dataframe[1].value["value"]))
    assert facts["place"] == "Raqqa (town), SYR"
    assert (facts["source"], facts["speaker"]) == ("UNICEF", "Marixie Mercado")
    assert facts["figure dated"] == '1 Mar 2017 ("since 1 March")'
    assert facts["reported"] == "30 Jul (year not stated)"
    assert fid == int(row["figure_id"])


def test_review_form_corrects_the_speaker_beside_the_source(db):
    fid = store_unicef(db)
    at = app("review")
    assert at.selectbox(key="review_pick").value == fid
    speaker = next(t for t in at.text_input if t.label == "Speaker")
    assert speaker.value == "Marixie Mercado"
    speaker.set_value("James Elder")
    at.button(key=f"FormSubmitter:correct_{fid}-Save correction").click().run()
    with Store(db) as s:
        fig = s.figure(fid)
    assert (fig["review_status"], fig["source"], fig["speaker"], fig["extracted_speaker"]) == (
        "corrected", "UNICEF", "James Elder", "Marixie Mercado")


def test_review_form_keeps_the_speaker_shown_when_the_source_changes(db):
    fid = store_unicef(db)
    at = app("review")
    next(t for t in at.text_input if t.label == "Source").set_value("UN Children's Fund")
    at.button(key=f"FormSubmitter:correct_{fid}-Save correction").click().run()
    with Store(db) as s:
        fig = s.figure(fid)
    # the form showed both fields: the speaker left in it is the one meant
    assert (fig["source"], fig["speaker"]) == ("UN Children's Fund", "Marixie Mercado")


CAMP = ("At least 23 people, including 11 women and 5 children, were killed in a suicide attack on "
        "a camp outside Maiduguri, the emergency agency said.")


def test_a_total_and_its_parts_card_table_and_provenance(db):
    with Store(db) as s:      # not empty: the samples are not added
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        rows = s.figures()
    (total,) = [r for r in rows if r["part_of"] is None]
    parts = [r for r in rows if r["part_of"] is not None]
    at = app()
    # the card and the charts count the total once, never a part
    assert {m.label: m.value for m in at.metric}["Killed"] == "at least 23"
    assert figure_ids_in_charts(at) == {total["figure_id"]}
    at.switch_page("app_pages/figures_table.py").run()
    (table,) = at.dataframe
    shown = table.value.set_index("figure_id")
    assert len(shown) == 3 and shown.loc[total["figure_id"], "part_of"] == ""
    assert shown.loc[parts[0]["figure_id"], "part_of"] == (
        f"part of at least 23 killed (ID {total['figure_id']})")
    for fid, fact, words in ((parts[0]["figure_id"], "part of", "at least 23 killed"),
                             (total["figure_id"], "parts", "11 women")):
        at.session_state["figures_table"] = {
            "selection": {"rows": [list(shown.index).index(fid)], "columns": [], "cells": []}}
        at.run()
        facts = dict(zip(at.dataframe[1].value[""], at.dataframe[1].value["value"]))
        assert words in facts[fact], facts


def open_key_figures(at: AppTest) -> AppTest:
    """The Key figures panel is reconciled only when opened."""
    assert not any("Key figure" in df.value.columns for df in at.dataframe)
    at.session_state["key_figures_open"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_key_figures_reconcile_the_sources_of_a_place(db):
    at = open_key_figures(app(category="trapped"))
    # the sample's trapped figures for Raqqa come from three sources that disagree
    captions = [c.value for c in at.caption]
    assert any("sources disagree" in c for c in captions), captions
    table = next(df.value for df in at.dataframe if "Key figure" in df.value.columns)
    raqqa = table[table["Place"] == "Raqqa"].iloc[0]
    assert raqqa["Sources"] >= 2 and bool(raqqa["Sources disagree"])
    assert "trapped" in raqqa["Key figure"] and "disagree" in raqqa["Key figure"]
    # every figure compared is a stored trapped figure of Raqqa
    with Store(db) as s:
        for fid in map(int, raqqa["Figures compared (IDs)"].split(", ")):
            row = s.figure(fid)
            assert (row["category"], row["location"]) == ("trapped", "Raqqa")


def test_a_pinned_figure_is_the_key_figure(db):
    at = app(category="trapped")       # fills the store with the samples
    with Store(db) as s:
        rows = [r for r in s.figures(Filters(categories=("trapped",)))
                if r["location"] == "Raqqa"]
        oldest = min(rows, key=lambda r: (r["reported_date"], r["figure_id"]))
        s.review(oldest["figure_id"], "accepted")
    at = app(category="trapped")
    # the provenance panel of an accepted figure pins it
    at.session_state["figure"] = oldest["figure_id"]
    at.run()
    toggle = next(t for t in at.toggle if t.key == f"pin_{oldest['figure_id']}")
    toggle.set_value(True).run()
    with Store(db) as s:
        assert s.pinned_ids() == {oldest["figure_id"]}
    at = open_key_figures(app(category="trapped"))
    table = next(df.value for df in at.dataframe if "Key figure" in df.value.columns)
    raqqa = table[table["Place"] == "Raqqa"].iloc[0]
    assert raqqa["figure_id"] == oldest["figure_id"] and "pinned" in raqqa["Key figure"]


def test_a_change_from_the_command_line_leaves_the_overview_ready(db, monkeypatch):
    """After ``review`` from the command line, the next dashboard start finds the Overview's cards
    and chart of the new state computed (by the command, since the dashboard had shown this
    store); a change made otherwise is computed at the next start."""
    from figures import views
    from figures.cli import main
    app()                                             # the samples, shown once: a frame cached
    views.frames_written()
    def cards(s):                                     # the Overview's, computed here
        return real(views.Selection(views.load_all_figures(s), Filters()), s.pinned_ids())
    real = views.overview_cards
    with Store(db) as s:
        fid = cards(s)["displaced"].figure_id
    assert main(["review", str(fid), "--reject", "--db", str(db)]) == 0
    computed = []
    monkeypatch.setattr(views, "overview_cards",
                        lambda *a, **k: computed.append(1) or real(*a, **k))

    def start():
        st.cache_resource.clear()                     # a new server: only the disk is left
        return app()
    at = start()
    assert computed == []                             # found, not computed
    with Store(db) as s:                              # the new state's cards, not the old
        new = cards(s)["displaced"]
    assert new.figure_id != fid and new.number in [m.value for m in at.metric]
    with Store(db) as s:                              # a change not made by a command
        s.clear_review(fid)
    start()
    assert computed == [1]


def test_the_server_prepares_the_overview_after_a_change_made_by_another_program(db, monkeypatch):
    """The server's watcher (``common.prepare_first_page``, in a thread of its own, outside any
    page run) computes the Overview's frame, cards and chart of the store's new state into the
    server's caches: the next visitor's page computes nothing. A visitor who comes while they
    are being computed waits for them: they are computed once, not twice. The frame of the
    earlier state is let go before the new one is made."""
    import threading
    import time
    import weakref
    from app_pages import common
    from figures import views
    app()                                             # the samples, shown once
    with Store(db) as s:                              # a change made by another program
        fid = next(f["figure_id"] for f in s.figures() if f["category"] == "displaced")
        s.review(fid, "rejected", note="another program")
    real = views.overview_cards
    computed = []

    def slow(*a, **k):                                # slow enough for a page to come meanwhile
        computed.append(1)
        time.sleep(1.0)
        return real(*a, **k)
    monkeypatch.setattr(views, "overview_cards", slow)
    watcher = threading.Thread(target=common.prepare_first_page, args=(db,))
    watcher.start()
    time.sleep(0.2)
    at = app()                                        # comes while the watcher computes
    watcher.join()
    assert computed == [1]                            # once, by one of the two
    with Store(db) as s:
        old = weakref.ref(common._all_figures(str(s.path), s.data_version()))
        s.clear_review(fid)
    common.prepare_first_page(db)                     # the watcher, before anyone asks
    assert computed == [1, 1]
    assert old() is None                  # the earlier state's frame let go, not held beside it
    at = app()
    assert computed == [1, 1]                         # found, not computed
    with Store(db) as s:                              # the cards of the store as it is now
        cards = real(views.Selection(views.all_figures_frame(s), Filters()), s.pinned_ids())
    assert [m.value for m in at.metric] == [
        c.number if c else "—" for c in cards.values()]


def test_a_big_store_shown_for_the_first_time_draws_its_overview_from_a_narrow_frame(
        db, tmp_path, monkeypatch):
    """Nothing cached and a store big enough (here: any) that reading every figure takes
    seconds: the Overview's count, cards, chart by place and the sidebar come from a narrow frame
    and the few whole rows they show, the same as from every figure's frame; a filter change
    too. The map reads the whole frame; once the server has read it (its watcher), pages use it."""
    from app_pages import common
    from figures import frames, views
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(frames, "DRIVER_MIN_ROWS", 0)
    with Store(db) as s:
        s.seed_sample()
        whole = views.all_figures_frame(s)
        pinned = s.pinned_ids()
    read_whole = []
    real = views.load_all_figures
    monkeypatch.setattr(views, "load_all_figures", lambda s: read_whole.append(1) or real(s))
    notices = []                 # whether each run showed "Reading the figures of this store…"
    monkeypatch.setattr(common, "reading_notice",
                        lambda s, real=common.reading_notice: notices.append(
                            (slot := real(s)) is not None) or slot)

    def notice_left(at) -> bool:
        return any("Reading the figures" in json.dumps(json.loads(el.proto.spec)["layout"])
                   for el in at.get("plotly_chart"))

    at = app()
    assert read_whole == []                      # the first page without the whole frame
    # the notice while the figures were read (the browser loads Plotly.js meanwhile), then gone
    assert notices == [True] and not notice_left(at) and chart_traces(at)
    cards = views.overview_cards(views.Selection(whole, Filters()), pinned)
    assert [m.value for m in at.metric] == [c.number if c else "—" for c in cards.values()]
    by_place = json.loads(views.overview_by_place(views.Selection(whole, Filters()))[0].to_json())
    assert figure_ids_in_charts(at) == {int(c[0]) for t in by_place["data"]
                                        for c in t.get("customdata") or []} != set()
    assert f"{len(whole):,} figures stored" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.multiselect[0].set_value(["killed"]).run()    # a filter change: still narrow
    assert not at.exception and read_whole == [] and notices == [True, False]
    killed = views.overview_cards(views.Selection(whole, Filters(categories=("killed",))),
                                  pinned)
    assert [m.value for m in at.metric] == [c.number if c else "—" for c in killed.values()]
    at.segmented_control(key="chart_view").set_value("Map").run()
    assert not at.exception and read_whole == [1]    # the map reads every figure's frame
    # a new server, nothing on disk: its watcher computes the first page from a narrow frame,
    # then reads every figure; the next visitor finds both
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "another cache"))
    st.cache_resource.clear()
    common._frames_done.clear()
    common._drawn.clear()
    computed = []
    monkeypatch.setattr(views, "overview_cards",
                        lambda *a, real=views.overview_cards, **k: computed.append(a[0].narrow)
                        or real(*a, **k))
    common.prepare_first_page(db)
    assert computed == [True] and read_whole == [1, 1]
    frames.frames_written()
    notices.clear()
    at = app()
    assert computed == [True] and read_whole == [1, 1] and notices == [False]
    assert [m.value for m in at.metric] == [c.number if c else "—" for c in cards.values()]
