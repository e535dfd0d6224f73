"""One story, counted once: near copies of a stored text are linked to its story at ingest, and
the exports and views count each figure once per story unless every copy is asked for."""
import csv
import io
import json
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from figures import dedup, views
from figures.cli import main
from figures.formats import load_pasted
from figures.store import (MIGRATIONS, SCHEMA_VERSION, STORY_VERSION, Filters, Store,
                           figures_for, migrate)

BODY = """BEIRA, Mozambique, 3 March 2026 - At least 14 people were killed when the Pungwe river \
burst its banks overnight, the provincial disaster agency said on Tuesday, and rescuers were \
still searching flooded villages north of Beira.

The agency said 2,300 people had been displaced and were sheltering in schools and churches on \
higher ground. Many had left their homes in the dark with nothing but the clothes they wore.

Local radio reported that the water rose more than two metres in a few hours after three days \
of heavy rain in the highlands upstream. Several bridges on the main road to Chimoio were under \
water, and lorries carrying food were stuck on both sides.

A spokeswoman for the national relief institute said boats and a helicopter had been sent to \
the district. She said teams were also checking wells, since floods of this kind often bring \
cholera in the weeks that follow.

Farmers said the maize harvest, which was due to start this month, had been lost in the lowest \
fields. One woman in the village of Mafambisse said she had planted twice this season and now \
had nothing left to plant.

Forecasters warned that more rain was expected over the weekend and asked families near the \
river to move before the next flood arrives."""

HEADLINE = "Floodwaters cut off villages along the Pungwe river"

# the story as the first outlet ran it, with its own page furniture
ORIGINAL = (f"{HEADLINE}\n\n{BODY}\n\nShare this story. Sign up for our morning briefing.\n"
            "(c) 2026 Coastal Daily. All rights reserved.")
# 1. the same story inside another site's boilerplate
OTHER_BOILERPLATE = (
    "Skip to content | News | Region | Business | Sport | Weather\nAdvertisement\n\n"
    f"{HEADLINE}\n\nBy our correspondent\n\n{BODY}\n\nRelated: Cyclone season outlook for the "
    "Mozambique Channel\nMost read this week\nFollow us on social media for updates.")
# 2. the same story under a headline of the second site's own
NEW_HEADLINE = (f"Mozambique floods: rescuers search villages as rivers keep rising\n\n{BODY}\n\n"
                "(c) 2026 Coastal Daily. All rights reserved.")
# 3. the same story with its last paragraph cut for space
TRIMMED = f"{HEADLINE}\n\n" + BODY.rsplit("\n\n", 1)[0]

# A different report of the same floods that gives the same figure (14 killed, Beira): two
# sources, never one story.
OTHER_REPORT = """Aid reaches flooded lowlands as toll stands at 14

BEIRA, Mozambique, 4 March 2026 - Volunteers of the Red Cross reached the flooded lowlands on \
Wednesday by canoe, handing out blankets, plastic sheeting and tablets to make water safe to \
drink.

At least 14 people were killed in Beira province, a Red Cross coordinator said, repeating the \
figure released by the authorities a day earlier. He said the real number would only be known \
once the water had gone down.

In Dondo, a nurse at the health centre said she had treated children for cuts and fever and \
was running short of antibiotics. The centre's own generator had been flooded, she said, so \
vaccines were being kept in a cool box borrowed from a shop.

Engineers from the roads authority were inspecting the damaged bridges, and a temporary \
crossing for trucks was expected to open by the end of the week."""


def doc(text, outlet, url="", title=""):
    d = load_pasted(text, title=title, url=url)
    d.outlet = outlet
    return d


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "figures.db") as s:
        yield s


def add_story(s):
    """The original and its three shapes, then the other report: their document ids."""
    ids = {}
    for key, text, outlet in (("original", ORIGINAL, "Coastal Daily"),
                              ("boilerplate", OTHER_BOILERPLATE, "Channel News"),
                              ("headline", NEW_HEADLINE, "Highland Post"),
                              ("trimmed", TRIMMED, "Wire Digest"),
                              ("other", OTHER_REPORT, "Relief Bulletin")):
        r = s.add(doc(text, outlet, url=f"https://{outlet.replace(' ', '').lower()}.example/a"))
        assert r.status == "added"
        ids[key] = r
    return ids


def test_the_shapes_are_near_copies_and_the_other_report_is_not():
    base = dedup.Fingerprinted.of(ORIGINAL)
    for text in (OTHER_BOILERPLATE, NEW_HEADLINE, TRIMMED):
        j = dedup.jaccard(base.shingles, dedup.shingles(text))
        assert j >= dedup.MIN_JACCARD
        assert dedup.hamming([base.simhash], dedup.fingerprint(text))[0] <= dedup.MAX_HAMMING
    assert dedup.jaccard(base.shingles, dedup.shingles(OTHER_REPORT)) < 0.05


def test_the_same_story_in_three_shapes_is_one_story(store):
    ids = add_story(store)
    head = ids["original"].document_id
    assert ids["original"].copy_of is None
    for key in ("boilerplate", "headline", "trimmed"):
        assert ids[key].copy_of == head, key
    docs = {d["id"]: d for d in store.documents()}
    assert docs[head]["copy_of"] is None
    assert {docs[ids[k].document_id]["copy_of"] for k in ("boilerplate", "headline",
                                                          "trimmed")} == {head}
    # every copy keeps its figures: stored, marked as copies of the head's
    for key in ("boilerplate", "headline", "trimmed"):
        rows = store.figures(Filters(document_id=ids[key].document_id))
        assert {(r["category"], r["value"]) for r in rows} == {("killed", 14), ("displaced", 2300)}
        assert all(r["story_id"] == head and r["copy_of_document"] == head for r in rows)
        assert all(store.figure(r["copy_of_figure"])["document_id"] == head for r in rows)


def test_two_reports_with_the_same_figure_are_two_sources(store):
    ids = add_story(store)
    other = ids["other"]
    assert other.copy_of is None
    killed = store.figures(Filters(categories=("killed",)))
    # counted once per story: the head's 14 and the other report's 14, never the copies'
    assert sorted(r["document_id"] for r in killed) == sorted(
        [ids["original"].document_id, other.document_id])
    assert {r["value"] for r in killed} == {14}


def test_a_report_quoting_one_paragraph_of_the_story_is_another_story(store):
    head = store.add(doc(ORIGINAL, "Coastal Daily"))
    quoted = BODY.split("\n\n")[1]
    r = store.add(doc(OTHER_REPORT.replace("Engineers from", quoted + "\n\nEngineers from"),
                      "Relief Bulletin"))
    assert r.copy_of is None and head.copy_of is None


def test_the_same_text_twice_is_still_one_document(store):
    first = store.add(doc(ORIGINAL, "Coastal Daily"))
    again = store.add(doc(ORIGINAL, "Coastal Daily"))
    assert again.status == "present" and again.document_id == first.document_id


def test_short_texts_are_never_linked(store):
    a = store.add(doc("Floods displaced 300 families in Buzi, officials said.", "A"))
    b = store.add(doc("Floods displaced 300 families in Buzi, officials said on Friday.", "B"))
    assert a.copy_of is None and b.copy_of is None
    assert len(store.figures(Filters(categories=("displaced",)))) == 2


def test_a_new_figure_in_an_updated_copy_counts(store):
    head = store.add(doc(ORIGINAL, "Coastal Daily"))
    updated = store.add(doc(ORIGINAL.replace("At least 14 people", "At least 19 people"),
                            "Channel News"))
    assert updated.copy_of == head.document_id
    rows = {(r["category"], r["value"]): r for r in store.figures(
        Filters(document_id=updated.document_id))}
    assert rows["displaced", 2300]["copy_of_figure"] is not None
    assert rows["killed", 19]["copy_of_figure"] is None      # only this version gives it
    counted = {(r["category"], r["value"], r["document_id"]) for r in store.figures()}
    assert counted == {("killed", 14, head.document_id), ("displaced", 2300, head.document_id),
                       ("killed", 19, updated.document_id)}


def test_add_many_links_copies_within_one_batch(store):
    results = store.add_many([doc(ORIGINAL, "A"), doc(TRIMMED, "B"), doc(OTHER_REPORT, "C")])
    assert [r.copy_of for r in results] == [None, results[0].document_id, None]


def export(db, *args) -> list[dict]:
    out = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(out):
        assert main(["export", "--db", str(db), *args]) == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_counts_each_figure_once_and_copies_on_request(store):
    ids = add_story(store)
    default = export(store.path)
    assert sorted((r["category"], r["value"], r["document_outlet"]) for r in default) == [
        ("displaced", "2300", "Coastal Daily"), ("killed", "14", "Coastal Daily"),
        ("killed", "14", "Relief Bulletin")]
    every = export(store.path, "--copies")
    assert len(every) == 2 * 4 + 1
    assert {r["document_outlet"] for r in every} == {
        "Coastal Daily", "Channel News", "Highland Post", "Wire Digest", "Relief Bulletin"}
    head = str(ids["original"].document_id)
    assert [r["copy_of_document"] for r in every].count(head) == 6
    assert all(r["copy_of_figure"] for r in every if r["copy_of_document"])
    assert {r["story_id"] for r in every if r["document_outlet"] == "Wire Digest"} == {
        str(ids["original"].document_id)}


def test_stats_say_how_many_documents_are_copies(store, capsys):
    add_story(store)
    s = store.stats()
    assert (s["documents"], s["copies"], s["stories"], s["copied_figures"]) == (5, 3, 2, 6)
    assert main(["stats", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "3 near copies" in out and "2 stories" in out


def test_views_count_once_unless_copies_are_asked_for(store):
    ids = add_story(store)
    df = views.all_figures_frame(store)
    assert len(df) == 9                                  # the dashboard loads every copy ...
    import pandas as pd        # built in chunks through Arrow: the same frame, copies and all
    pd.testing.assert_frame_equal(views.all_figures_table(store, chunk_rows=2).to_pandas(), df)
    once = views.apply_filters(df, Filters())
    assert len(once) == 3 == len(views.figures_frame(store, Filters()))
    assert len(views.Selection(df, Filters()).rows) == 3
    every = views.apply_filters(df, Filters(copies=True))
    assert len(every) == 9 == len(views.figures_frame(store, Filters(copies=True)))
    # ... one document's page shows all its figures, copy or not
    trimmed = Filters(document_id=ids["trimmed"].document_id)
    assert len(views.apply_filters(df, trimmed)) == 2 == len(store.figures(trimmed))
    cards = views.latest_cards(once)
    assert cards["killed"].document_id in (ids["original"].document_id, ids["other"].document_id)
    # a link keeps the toggle
    params = views.filters_to_params(Filters(copies=True))
    assert params == {"copies": "1"} and views.filters_from_params(params).copies
    assert not views.filters_from_params({}).copies
    assert "every copy" in views.describe_filters(Filters(copies=True))


def test_provenance_names_the_other_outlets_as_plain_text(store):
    ids = add_story(store)
    store.add(doc(TRIMMED + "\n\nMore at our site.", "<b>Bold & Co</b>"))
    head = store.figures(Filters(document_id=ids["original"].document_id))[0]
    facts = views.provenance_facts(head, story=store.story_documents(head["document_id"]))
    assert facts["also carried by"] == ("Channel News; Highland Post; Wire Digest; "
                                        "<b>Bold & Co</b>")
    assert "copy of" not in facts
    copy = store.figures(Filters(document_id=ids["headline"].document_id))[0]
    facts = views.provenance_facts(copy, story=store.story_documents(copy["document_id"]))
    assert facts["story first carried by"] == "Coastal Daily"
    carried = facts["also carried by"]
    assert "Coastal Daily" in carried and "Highland" not in carried
    assert facts["copy of"].startswith(f"figure {copy['copy_of_figure']},")
    # an outlet not given: the site's name, then the title
    assert views.outlet_name({"outlet": "", "url": "https://www.example.org/x", "id": 3}) == \
        "example.org"
    assert views.outlet_name({"outlet": "", "url": "javascript:x", "title": "T", "id": 3}) == "T"


def _v4_store(path):
    """A store as version 4 left it: the original, two copies, the other report, a review."""
    conn = sqlite3.connect(path)
    migrate(conn, upto=STORY_VERSION - 1)
    for n, (text, outlet) in enumerate(((ORIGINAL, "Coastal Daily"), (TRIMMED, "Wire Digest"),
                                        (OTHER_REPORT, "Relief Bulletin"),
                                        (NEW_HEADLINE, "Highland Post")), start=1):
        d = doc(text, outlet)
        conn.execute(
            "INSERT INTO documents (id, sha256, doc_id, title, outlet, added_at, format, text,"
            " extractor_version) VALUES (?, ?, ?, ?, ?, '2026-03-05T00:00:00+00:00', 'txt', ?,"
            " 'old')", (n, d.sha256, f"d{n}", f"doc {n}", outlet, text))
        for f in figures_for(d, f"d{n}"):
            conn.execute(
                'INSERT INTO figures (document_id, doc_id, article, category, value, qualifier,'
                ' number_text, unit, who, combatant, term, location, country, source,'
                ' reported_date, quote, "start", "end", extractor_version) VALUES'
                " (?, ?, 0, ?, ?, ?, ?, '', '', 0, '', ?, '', '', '', '', ?, ?, 'old')",
                (n, f"d{n}", f.category, f.value, f.qualifier, f.number_text, f.location,
                 f.start, f.end))
    conn.execute("INSERT INTO reviews (document_id, span_start, span_end, status, note,"
                 " reviewed_at) SELECT document_id, \"start\", \"end\", 'accepted', 'checked',"
                 " '2026-03-05' FROM figures WHERE document_id = 2 LIMIT 1")
    conn.commit()
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("documents", "figures", "reviews")}
    conn.close()
    return counts


def test_an_old_store_opens_keeps_everything_and_gets_its_stories(tmp_path):
    path = tmp_path / "old.db"
    before = _v4_store(path)
    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table, n in before.items():
            assert s.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n
        assert s.conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 4
        copy_of = dict(s.conn.execute("SELECT id, copy_of FROM documents").fetchall())
        assert copy_of == {1: None, 2: 1, 3: None, 4: 1}
        reviewed = s.figures(Filters(document_id=2, statuses=("accepted",)))
        assert len(reviewed) == 1 and reviewed[0]["review_note"] == "checked"
        assert len(s.figures()) == 3 and len(s.figures(Filters(copies=True))) == 7
        # a copy arriving later finds the old documents
        r = s.add(doc(OTHER_BOILERPLATE, "Channel News"))
        assert r.copy_of == 1
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_documents_written_without_a_fingerprint_are_linked_at_the_next_add(store):
    head = store.add(doc(ORIGINAL, "A"))
    store.conn.execute("DELETE FROM fingerprints")       # as a tool writing rows directly would
    r = store.add(doc(TRIMMED, "B"))
    assert r.copy_of == head.document_id
    assert store.conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 2


def test_ingest_says_how_many_are_copies(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in (("a.txt", ORIGINAL), ("b.txt", TRIMMED), ("c.txt", OTHER_REPORT)):
        (folder / name).write_text(text, encoding="utf-8")
    assert main(["ingest", str(folder), "--db", str(tmp_path / "f.db")]) == 0
    err = capsys.readouterr().err
    assert "added 3, already present 0, failed 0" in err
    assert "1 of those added are near copies" in err


def test_jsonl_export_with_copies_names_the_story(store):
    add_story(store)
    out = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(out):
        main(["export", "--db", str(store.path), "--format", "jsonl", "--copies"])
    recs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(recs) == 9 and all("story_id" in r and "copy_of_figure" in r for r in recs)


# ---------------------------------------------------------------------------------------------
# The dashboard's toggle


from test_app import db  # noqa: E402,F401 - the dashboard's store fixture, shared


def test_the_dashboard_toggle_shows_every_copy(db):
    with Store(db) as s:
        s.seed_sample()
        ids = add_story(s)
        n_once = len(s.figures())
        n_all = len(s.figures(Filters(copies=True)))
    assert n_all == n_once + 6
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/figures_table.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.toggle(key="f_copies").value is False
    assert len(at.dataframe[0].value) == n_once
    at.sidebar.toggle(key="f_copies").set_value(True).run()
    assert len(at.dataframe[0].value) == n_all
    assert at.query_params["copies"] in ("1", ["1"])
    # the provenance of a copy's figure names the outlet that carried the story first
    copy = ids["headline"].document_id
    with Store(db) as s:
        fid = s.figures(Filters(document_id=copy))[0]["figure_id"]
    table = at.dataframe[0].value
    row = int(table.index.get_loc(table.index[table["figure_id"] == fid][0]))
    at.session_state["figures_table"] = {"selection": {"rows": [row], "columns": [],
                                                       "cells": []}}
    at.run()
    facts = at.dataframe[1].value
    shown = dict(zip(facts[""], facts["value"]))
    assert shown["story first carried by"] == "Coastal Daily"
    assert "Channel News" in shown["also carried by"]
    # the copy's own page says whose story it is
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["doc"] = str(copy)
    at.run()
    at.switch_page("app_pages/documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("near copy of a story first stored from Coastal Daily" in c.value
               for c in at.caption), [c.value for c in at.caption]



def test_key_figures_count_the_copies_of_a_story_as_one_source(store):
    # the story's figures credit "the provincial disaster agency"; with the credit taken away, a
    # figure is its story's: four copies are still one source
    from figures import views
    from figures.keyfigures import reconcile
    add_story(store)
    df = views.figures_frame(store, Filters(copies=True))
    story = df[df["story_id"] == df["story_id"].min()].copy()
    assert story["document_id"].nunique() == 4
    story["source"] = ""
    killed = [k for k in reconcile(story) if k.category == "killed"]
    assert killed and killed[0].sources == 1
