"""The store on real SQLite files in temporary folders: no mocks of the database."""
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT, UNICEF, unicef_figure
from figures import EXTRACTOR_VERSION, extract
from figures.export import to_text
from figures.formats import load_pasted
from figures.schema import EXPORT_FIELDS, FIELDS, HXL_COLUMNS, Figure
from figures.store import SCHEMA_VERSION, STORY_VERSION, Filters, Store, StoreError, migrate

RAQQA = ("Raqqa battle\n\nBEIRUT, Sept 20 (Reuters) - Up to 25,000 civilians are believed to be "
         "still trapped in Raqqa, the UN said on Wednesday. Air strikes killed 12 fighters near the "
         "stadium, the Syrian Observatory for Human Rights said.\n")
SINDH = "Floods have displaced 12,000 people in Sindh province, officials said on Monday.\n"
KHARKIV = "Shelling injured 40 people in Kharkiv on Monday, the regional governor said.\n"


def cli(*args, db=None, env=None, **kw):
    cmd = [sys.executable, "-m", "figures", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, **kw)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "f.db") as s:
        yield s


def test_new_store_is_wal_and_at_the_current_schema(tmp_path):
    with Store(tmp_path / "sub" / "f.db") as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (tmp_path / "sub" / "f.db").exists()


def test_same_content_twice_is_one_document(store):
    first = store.add(load_pasted(RAQQA, title="Raqqa"))
    again = store.add(load_pasted(RAQQA, title="another title, same text"))
    assert first.status == "added" and again.status == "present"
    assert first.document_id == again.document_id and first.figures == again.figures == 2
    assert store.stats()["documents"] == 1
    assert store.stats()["figures"] == 2


def test_stored_figures_carry_provenance_and_version(store):
    store.add(load_pasted(RAQQA, title="Raqqa battle", url="https://example.org/raqqa",
                          published="2017-09-20"))
    (fig,) = store.figures()            # the fighters are left out by default
    assert (fig["category"], fig["value"], fig["qualifier"]) == ("trapped", 25000, "at_most")
    assert fig["location"] == "Raqqa" and fig["source"] == "UN"
    assert fig["document_title"] == "Raqqa battle"
    assert fig["document_url"] == "https://example.org/raqqa"
    assert fig["extractor_version"] == EXTRACTOR_VERSION
    assert fig["review_status"] == "unreviewed"
    doc = store.document(fig["document_id"])
    assert doc["text"][fig["start"]:fig["end"]].startswith("Up to 25,000")
    both = store.figures(Filters(include_combatants=True))
    assert sorted(f["who"] for f in both) == ["civilians", "fighters"]


def test_reviews_accept_reject_correct_and_keep_the_extracted_values(store):
    store.add(load_pasted(RAQQA))
    store.add(load_pasted(SINDH))
    sindh = store.figures(Filters(categories=("displaced",)))[0]
    raqqa = store.figures(Filters(categories=("trapped",)))[0]
    fixed = store.review(sindh["figure_id"], value=15000, location="Sukkur", note="per OCHA",
                         reviewer="amal")
    assert fixed["review_status"] == "corrected"
    assert (fixed["value"], fixed["extracted_value"]) == (15000, 12000)
    assert (fixed["location"], fixed["extracted_location"]) == ("Sukkur", "Sindh province")
    store.review(raqqa["figure_id"], "rejected", note="duplicate")
    assert [f["figure_id"] for f in store.figures()] == [sindh["figure_id"]]   # rejected hidden
    rejected = store.figures(Filters(statuses=("rejected",)))
    assert [f["review_note"] for f in rejected] == ["duplicate"]
    store.review(raqqa["figure_id"], "accepted")      # a second verdict replaces the first
    assert store.figure(raqqa["figure_id"])["review_status"] == "accepted"
    assert store.conn.execute("SELECT count(*) FROM review_history").fetchone()[0] == 3
    with pytest.raises(ValueError, match="category"):
        store.review(sindh["figure_id"], category="evacuated")
    with pytest.raises(ValueError, match="no figure"):
        store.review(10_000, "accepted")


def test_correcting_a_bound_keeps_the_bound_side(store):
    store.add(load_pasted(RAQQA))
    fig = store.figures()[0]
    fixed = store.review(fig["figure_id"], value=50000)
    assert (fixed["qualifier"], fixed["value_low"], fixed["value_high"]) == ("at_most", None, 50000)


def test_reextract_keeps_reviews_and_reports_orphans(store):
    store.add(load_pasted(RAQQA))
    store.add(load_pasted(KHARKIV))
    trapped = store.figures(Filters(categories=("trapped",)))[0]
    injured = store.figures(Filters(categories=("injured",)))[0]
    store.review(trapped["figure_id"], "accepted", note="checked against OCHA")
    store.review(injured["figure_id"], "rejected")
    # As if an older version of the rules had read the Kharkiv number with a different span and
    # both documents were extracted by it:
    store.conn.execute('UPDATE figures SET "start" = "start" - 9 WHERE id = ?',
                       (injured["figure_id"],))
    store.conn.execute('UPDATE reviews SET span_start = span_start - 9 WHERE status = ?',
                       ("rejected",))
    store.conn.execute("UPDATE documents SET extractor_version = '0.0.1'")
    store.conn.execute("UPDATE figures SET extractor_version = '0.0.1'")
    assert store.stats()["outdated_documents"] == 2

    report = store.reextract()
    assert report.documents == 2 and report.figures_after == report.figures_before == 3
    now = store.figures(Filters(categories=("trapped",)))[0]
    assert now["figure_id"] != trapped["figure_id"]            # a new row ...
    assert now["review_status"] == "accepted"                   # ... and the review is still on it
    assert now["review_note"] == "checked against OCHA"
    assert [o["status"] for o in report.orphans] == ["rejected"]   # kept and reported
    assert store.stats()["orphan_reviews"] == 1
    assert store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2
    assert store.stats()["outdated_documents"] == 0
    assert store.figures(Filters(categories=("injured",)))[0]["review_status"] == "unreviewed"


def test_migrates_a_first_version_database(tmp_path):
    path = tmp_path / "old.db"
    (now,) = extract(SINDH)             # the span today's rules give, so the review stays on it
    conn = sqlite3.connect(path)
    assert migrate(conn, upto=1) == 1
    conn.execute("INSERT INTO documents (sha256, doc_id, added_at, format, text, extractor_version)"
                 " VALUES ('abc', 'old', '2017-01-01', 'txt', ?, '0.0.1')", (SINDH,))
    conn.execute(
        "INSERT INTO figures (document_id, doc_id, article, category, value, value_low, value_high,"
        " qualifier, number_text, unit, who, combatant, term, location, country, source,"
        ' reported_date, quote, "start", "end", extractor_version) VALUES (1, \'old\', 0,'
        " 'displaced', 12000, 12000, 12000, 'exact', '12,000', 'people', 'people', 0, 'displaced',"
         " 'Sindh', 'PAK', 'officials', '2017-01-01', ?, ?, ?, '0.0.1')",
        (SINDH.strip(), now.start, now.end))
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (fig,) = s.figures()
        assert (fig["value"], fig["location"], fig["page"], fig["review_status"]) == (
            12000, "Sindh", None, "unreviewed")
        s.review(fig["figure_id"], "accepted")
        assert s.reextract().documents == 1
        assert s.figures()[0]["review_status"] == "accepted"


@pytest.mark.parametrize("start_at", [0, 1, STORY_VERSION - 1])
def test_programs_opening_a_store_at_once_migrate_it_once(tmp_path, start_at):
    """The dashboard's first page and its server's watcher (or two commands) open a new or an
    older store at the same moment: each migration step is run once, by whichever takes the
    write lock first; the other finds it done, and neither fails."""
    import threading
    for attempt in range(10):
        path = tmp_path / f"new-{attempt}.db"
        if start_at:
            conn = sqlite3.connect(path)
            migrate(conn, upto=start_at)
            conn.close()
        go, errors, versions = threading.Barrier(3), [], []

        def open_store():
            go.wait()
            try:
                with Store(path) as s:
                    versions.append(s.conn.execute("PRAGMA user_version").fetchone()[0])
            except Exception as e:       # noqa: BLE001 - what the test reports
                errors.append(e)
        threads = [threading.Thread(target=open_store) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and versions == [SCHEMA_VERSION] * 3


def _old_database(path, version: int, docs, added_at: str, extractor_version: str,
                  later_fields: tuple[str, ...]) -> sqlite3.Connection:
    """A database made by the migrations up to schema ``version``, holding one document and one
    figure for each (text, figure) of ``docs``, stored as that version stored them: without
    ``later_fields``, the figure fields added after it."""
    conn = sqlite3.connect(path)
    assert migrate(conn, upto=version) == version
    columns = [c for c in FIELDS if c not in later_fields]
    quoted = ", ".join(f'"{c}"' for c in columns)
    for i, (text, fig) in enumerate(docs, 1):
        conn.execute("INSERT INTO documents (sha256, doc_id, title, added_at, format, text,"
                     " extractor_version, pages) VALUES (?, ?, ?, ?, 'txt', ?, ?, '[]')",
                     (f"sha{i}", f"doc{i}", f"Report {i}", added_at, text, extractor_version))
        conn.execute(f"INSERT INTO figures (document_id, {quoted}, extractor_version)"
                     f" VALUES (?, {', '.join('?' * len(columns))}, ?)",
                     (i, *(getattr(fig, c) for c in columns), extractor_version))
    return conn


def test_migrates_a_version_2_database_keeping_documents_figures_and_reviews(tmp_path):
    path = tmp_path / "v2.db"
    (sindh,) = extract(SINDH)           # today's spans, so re-extraction keeps the reviews on them
    (trapped,) = [f for f in extract(RAQQA) if f.category == "trapped"]
    conn = _old_database(path, 2, ((SINDH, sindh), (RAQQA, trapped)), "2017-09-20", "0.0.1",
                         ("location_level", "speaker", "figure_date", "figure_date_text",
                          "part_of", "lat", "lon"))
    review = ("INSERT INTO {} (document_id, span_start, span_end, status, source, note,"
              " reviewed_at) VALUES (?, ?, ?, ?, ?, ?, '2017-09-21')")
    verdicts = [(1, sindh.start, sindh.end, "accepted", None, "checked"),
                (2, trapped.start, trapped.end, "corrected", "OCHA", "OCHA's figure")]
    for table in ("reviews", "review_history"):
        conn.executemany(review.format(table), verdicts)
    conn.commit()
    conn.close()

    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [d["title"] for d in s.documents()] == ["Report 2", "Report 1"]
        rows = {r["category"]: r for r in s.figures()}
        assert set(rows) == {"displaced", "trapped"}
        assert (rows["displaced"]["value"], rows["displaced"]["location"]) == (
            sindh.value, sindh.location)
        for r in rows.values():      # the new columns exist, empty until re-extraction
            assert (r["location_level"], r["speaker"], r["figure_date"], r["figure_date_text"],
                    r["extracted_speaker"]) == ("", "", "", "", "")
        assert (rows["displaced"]["review_status"], rows["displaced"]["review_note"]) == (
            "accepted", "checked")
        assert (rows["trapped"]["review_status"], rows["trapped"]["source"],
                rows["trapped"]["extracted_source"]) == ("corrected", "OCHA", trapped.source)
        assert s.conn.execute("SELECT count(*) FROM review_history").fetchone()[0] == 2
        # a source corrected before speakers were read names no speaker: the one the engine
        # finds later is kept as extracted_speaker, not shown beside OCHA
        s.conn.execute("UPDATE figures SET speaker = 'Jens Laerke'")
        rows = {r["category"]: r for r in s.figures()}
        assert (rows["trapped"]["speaker"], rows["trapped"]["extracted_speaker"]) == (
            "", "Jens Laerke")
        assert rows["displaced"]["speaker"] == "Jens Laerke"      # accepted: as extracted
        assert s.reextract().documents == 2
        after = {r["category"]: r["review_status"] for r in s.figures()}
        assert after == {"displaced": "accepted", "trapped": "corrected"}
        assert s.orphan_reviews() == []


BOMBING = ("Bus station bombing\n\nAt least 23 people, including 4 police officers and 2 "
           "attackers, were killed in a bombing at a bus station in Maiduguri, police said.\n")


def test_migrates_a_version_3_database_keeping_everything_and_links_parts_on_reextraction(tmp_path):
    path = tmp_path / "v3.db"
    (sindh,) = extract(SINDH)
    total = next(f for f in extract(BOMBING) if f.part_of is None)
    conn = _old_database(path, 3, ((SINDH, sindh), (BOMBING, total)), "2023-06-18", "0.3.0",
                         ("part_of", "lat", "lon"))
    review = ("INSERT INTO {} (document_id, span_start, span_end, status, source, speaker, note,"
              " reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2023-06-19')")
    verdicts = [(1, sindh.start, sindh.end, "accepted", None, None, "checked"),
                (2, total.start, total.end, "corrected", "Borno police", "", "police figure")]
    for table in ("reviews", "review_history"):
        conn.executemany(review.format(table), verdicts)
    conn.commit()
    before = {r[0]: r[1:] for r in conn.execute(
        "SELECT figure_id, value, location, source, speaker, review_status, review_note,"
        " figure_date, location_level FROM figure_rows")}
    conn.close()

    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = s.figures()
        # every row and review as it was, the new columns empty until re-extraction
        assert {r["figure_id"]: (r["value"], r["location"], r["source"], r["speaker"],
                                 r["review_status"], r["review_note"], r["figure_date"],
                                 r["location_level"]) for r in rows} == before
        assert all(r["part_of"] is None and r["part_of_figure_id"] is None for r in rows)
        assert s.conn.execute("SELECT count(*) FROM review_history").fetchone()[0] == 2
        assert s.stats()["outdated_documents"] == 2
        assert s.reextract().documents == 2
        rows = s.figures(Filters(include_combatants=True))
        (bombing,) = [r for r in rows if r["value"] == 23]
        assert (bombing["review_status"], bombing["source"]) == ("corrected", "Borno police")
        parts = sorted((r for r in rows if r["part_of"] is not None), key=lambda r: r["start"])
        assert [(p["value"], p["who"], p["part_of_figure_id"], p["part_of"]) for p in parts] == [
            (4, "security forces", bombing["figure_id"], bombing["start"]),
            (2, "fighters", bombing["figure_id"], bombing["start"])]
        assert [p["figure_id"] for p in s.parts_of(bombing["figure_id"])] == [
            p["figure_id"] for p in parts]
        assert s.total_of(parts[0]["figure_id"])["figure_id"] == bombing["figure_id"]
        assert s.total_of(bombing["figure_id"]) is None and s.parts_of(parts[0]["figure_id"]) == []
        assert s.orphan_reviews() == []


def test_parts_are_exported_with_their_total(store):
    store.add(load_pasted(BOMBING, published="2023-06-18"))
    rows = store.figures(Filters(include_combatants=True))
    (total,) = [r for r in rows if r["part_of"] is None]
    header, *lines = list(csv.reader(io.StringIO(
        to_text(store.iter_figures(Filters(include_combatants=True)), "csv"))))
    assert "part_of" in header and "part_of_figure_id" in header
    recs = [dict(zip(header, line)) for line in lines]
    assert sorted((r["value"], r["part_of"], r["part_of_figure_id"]) for r in recs) == sorted([
        ("23", "", ""), ("4", str(total["start"]), str(total["figure_id"])),
        ("2", str(total["start"]), str(total["figure_id"]))])
    js = [json.loads(line) for line in to_text(
        store.iter_figures(Filters(include_combatants=True)), "jsonl").splitlines()]
    assert sorted((j["value"], j["part_of_figure_id"]) for j in js) == [
        (2, total["figure_id"]), (4, total["figure_id"]), (23, None)]
    names, tags, *values = list(csv.reader(io.StringIO(
        to_text(store.iter_figures(Filters(include_combatants=True)), "hxl"))))
    assert "#meta+part_of" in tags and "#meta+figure_id" in tags
    hxl = [dict(zip(tags, v)) for v in values]
    by_id = {r["#meta+figure_id"]: r for r in hxl}
    assert by_id[str(total["figure_id"])]["#meta+part_of"] == ""
    assert sorted(r["#affected+killed"] for r in hxl
                  if r["#meta+part_of"] == str(total["figure_id"])) == ["2", "4"]


def test_a_newer_or_foreign_file_is_refused_and_left_alone(tmp_path):
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(newer)
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"this is not a database, just some notes " * 100)
    before = junk.read_bytes()
    with pytest.raises(StoreError, match="not a Humanitarian Figures database"):
        Store(junk)
    assert junk.read_bytes() == before
    r = cli("stats", db=junk)
    assert r.returncode == 1 and "not a Humanitarian Figures database" in r.stderr
    assert "Traceback" not in r.stderr


def test_sample_corpus_is_added_once_on_first_start(tmp_path):
    with Store(tmp_path / "f.db") as s:
        assert s.seed_sample() == len(list((ROOT / "data").glob("*.txt")))
        n = s.stats()["figures"]
        assert n > 0
        assert s.seed_sample() == 0
    with Store(tmp_path / "other.db") as s:
        s.add(load_pasted(SINDH))
        assert s.seed_sample() == 0     # not empty: a user's own store gets no samples


def test_the_engine_reads_the_unicef_figure_as_the_tests_store_it():
    (fig,) = extract(UNICEF, doc_id="unicef", date="2017-09-20")
    assert fig == unicef_figure()


def add_unicef(store, **changes) -> int:
    """The UNICEF document stored with its hand-made figure; returns the figure's id."""
    store.add_many([load_pasted(UNICEF, title="Raqqa children", published="2017-09-20")],
                   figures=[[unicef_figure(**changes)]])
    (row,) = store.figures(Filters(search="Marixie"))
    return row["figure_id"]


def test_speaker_place_level_and_figure_date_are_stored_and_exported(store):
    fid = add_unicef(store)
    row = store.figure(fid)
    assert (row["source"], row["speaker"], row["extracted_speaker"]) == (
        "UNICEF", "Marixie Mercado", "Marixie Mercado")
    assert (row["location"], row["location_level"]) == ("Raqqa", "town")
    assert (row["figure_date"], row["figure_date_text"]) == ("2017-03-01", "since 1 March")

    header, *rows = list(csv.reader(io.StringIO(to_text(store.iter_figures(), "csv"))))
    assert header == list(EXPORT_FIELDS)
    assert "extracted_speaker" in header and header.index("speaker") < header.index("quote")
    (rec,) = [dict(zip(header, r)) for r in rows]
    assert (rec["speaker"], rec["location_level"], rec["figure_date"], rec["figure_date_text"],
            rec["extracted_speaker"]) == ("Marixie Mercado", "town", "2017-03-01",
                                          "since 1 March", "Marixie Mercado")

    (js,) = [json.loads(line) for line in to_text(store.iter_figures(), "jsonl").splitlines()]
    assert list(js) == list(EXPORT_FIELDS)
    assert (js["speaker"], js["location_level"], js["figure_date"], js["figure_date_text"]) == (
        "Marixie Mercado", "town", "2017-03-01", "since 1 March")

    names, tags, values = list(csv.reader(io.StringIO(to_text(store.iter_figures(), "hxl"))))
    assert tags == [tag for _, tag in HXL_COLUMNS]
    # each new tag beside its own: the place's level after the place, the speaker after the
    # source, the figure's date after the reported date, the date as written after that
    for before, tag in (("#loc+name", "#loc+level"), ("#meta+source", "#meta+speaker"),
                        ("#date+reported", "#date+figure"), ("#date+figure", "#meta+date_text")):
        assert tags.index(tag) == tags.index(before) + 1
    by_tag = dict(zip(tags, values))
    assert (by_tag["#meta+speaker"], by_tag["#loc+level"], by_tag["#date+figure"],
            by_tag["#meta+date_text"]) == ("Marixie Mercado", "town", "2017-03-01",
                                           "since 1 March")
    assert dict(zip(names, values))["speaker"] == "Marixie Mercado"


def test_partial_figure_dates_and_hostile_speakers_are_guarded_in_spreadsheets(store):
    add_unicef(store, speaker="=HYPERLINK(\"http://evil\")", figure_date="--03-01",
               figure_date_text="+since 1 March")
    (row,) = csv.DictReader(io.StringIO(to_text(store.iter_figures(), "csv")))
    assert row["speaker"] == "'=HYPERLINK(\"http://evil\")"
    assert row["figure_date"] == "'--03-01"          # "--03-01" would be read as a formula
    assert row["figure_date_text"] == "'+since 1 March"
    names, tags, values = list(csv.reader(io.StringIO(to_text(store.iter_figures(), "hxl"))))
    by_tag = dict(zip(tags, values))
    assert by_tag["#meta+speaker"] == "'=HYPERLINK(\"http://evil\")"
    assert by_tag["#date+figure"] == "'--03-01"
    (js,) = [json.loads(line) for line in to_text(store.iter_figures(), "jsonl").splitlines()]
    assert (js["speaker"], js["figure_date"]) == ("=HYPERLINK(\"http://evil\")", "--03-01")


def test_a_review_corrects_the_speaker_and_keeps_the_extracted_one(store):
    fid = add_unicef(store)
    fixed = store.review(fid, speaker="James Elder", note="the Geneva briefing")
    assert (fixed["review_status"], fixed["source"], fixed["speaker"],
            fixed["extracted_speaker"]) == ("corrected", "UNICEF", "James Elder", "Marixie Mercado")
    (rec,) = csv.DictReader(io.StringIO(to_text(store.iter_figures(), "csv")))
    assert (rec["speaker"], rec["extracted_speaker"], rec["review_status"]) == (
        "James Elder", "Marixie Mercado", "corrected")
    (js,) = [json.loads(line) for line in to_text(store.iter_figures(), "jsonl").splitlines()]
    assert (js["speaker"], js["extracted_speaker"]) == ("James Elder", "Marixie Mercado")
    history = store.conn.execute("SELECT speaker FROM review_history").fetchall()
    assert [h[0] for h in history] == ["James Elder"]

    # the source alone: the extracted person spoke for UNICEF, not for OCHA, so no speaker
    fixed = store.review(fid, source="OCHA")
    assert (fixed["source"], fixed["speaker"], fixed["extracted_speaker"]) == (
        "OCHA", "", "Marixie Mercado")
    # both at once
    fixed = store.review(fid, source="OCHA", speaker="Jens Laerke")
    assert (fixed["source"], fixed["speaker"]) == ("OCHA", "Jens Laerke")
    # a figure that names no person: speaker "" is a correction of its own
    fixed = store.review(fid, speaker="")
    assert (fixed["review_status"], fixed["source"], fixed["speaker"]) == (
        "corrected", "UNICEF", "")
    # a new verdict replaces the old: accepting shows the extracted speaker again
    assert store.review(fid, "accepted")["speaker"] == "Marixie Mercado"
    # a corrected place has no known level; the extracted one stays beside it
    fixed = store.review(fid, location="Syria")
    assert (fixed["location"], fixed["location_level"], fixed["extracted_location_level"]) == (
        "Syria", "", "town")
    with pytest.raises(ValueError, match="speaker"):
        store.review(fid, "corrected")


def test_cli_review_sets_the_speaker_beside_the_source(tmp_path):
    db = tmp_path / "f.db"
    with Store(db) as s:
        fid = add_unicef(s)
    r = cli("review", str(fid), "--speaker", "James Elder", db=db)
    assert r.returncode == 0, r.stderr
    assert "corrected" in r.stdout and "UNICEF, speaker James Elder" in r.stdout
    r = cli("review", str(fid), "--source", "OCHA", db=db)
    assert r.returncode == 0 and "(OCHA)" in r.stdout, r.stdout + r.stderr
    r = cli("review", str(fid), "--source", "OCHA", "--speaker", "Jens Laerke", db=db)
    assert "(OCHA, speaker Jens Laerke)" in r.stdout
    (row,) = csv.DictReader(io.StringIO(cli("export", "--source", "OCHA", db=db).stdout))
    assert (row["source"], row["speaker"], row["extracted_source"], row["extracted_speaker"]) == (
        "OCHA", "Jens Laerke", "UNICEF", "Marixie Mercado")
    assert cli("export", "--source", "UNICEF", db=db).stdout.count("\n") == 1   # header only
    assert "--speaker NAME" in cli("review", "--help").stdout


# ---------------------------------------------------------------------------------------------
# The command line


def write_corpus(folder, n=3):
    folder.mkdir(exist_ok=True)
    texts = [RAQQA, SINDH, KHARKIV]
    for i in range(n):
        (folder / f"doc{i}.txt").write_text(texts[i % 3] + f"\nItem {i}.\n", encoding="utf-8")
    return folder


def test_cli_ingest_is_idempotent_and_summarises(tmp_path):
    corpus = write_corpus(tmp_path / "in")
    db = tmp_path / "f.db"
    r = cli("ingest", str(corpus), db=db)
    assert r.returncode == 0, r.stderr
    assert "added 3, already present 0, failed 0" in r.stderr
    r = cli("ingest", str(corpus), db=db)
    assert "added 0, already present 3, failed 0" in r.stderr
    r = cli("stats", "--json", db=db)
    stats = json.loads(r.stdout)
    assert stats["documents"] == 3 and stats["figures"] == 4


def test_db_from_environment(tmp_path):
    corpus = write_corpus(tmp_path / "in", 1)
    env = {**os.environ, "FIGURES_DB": str(tmp_path / "env.db")}
    assert cli("ingest", str(corpus), env=env).returncode == 0
    assert json.loads(cli("stats", "--json", env=env).stdout)["documents"] == 1


BAD_INPUTS = {
    "empty.txt": (b"", "empty"),
    "blank.md": (b"   \n\n\t ", "empty"),
    "image.txt": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary"),
    "table.xlsx": (b"PK\x03\x04" + b"\x00" * 200, "binary"),
    "notes.odt": (b"plain words " * 20, "unsupported format"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "damaged"),
    "nothing.pdf": (b"", "empty"),
    "script.html": (b"<html><head><script>var a = 1;</script></head></html>", "no readable text"),
    "big.txt": (b"Floods displaced 3,000 people in Sindh. " * 60_000, "limit"),
}


def test_bad_files_give_their_message_and_change_nothing(tmp_path):
    db = tmp_path / "f.db"
    good = write_corpus(tmp_path / "good", 1)
    assert cli("ingest", str(good), db=db).returncode == 0
    with Store(db) as s:
        before = (s.stats()["documents"], s.stats()["figures"], s.figures())
    bad = tmp_path / "bad"
    bad.mkdir()
    paths = []
    for name, (data, _) in BAD_INPUTS.items():
        (bad / name).write_bytes(data)
        paths.append(str(bad / name))
    extra = tmp_path / "later.txt"      # a good file after the bad ones still goes in
    extra.write_text(KHARKIV, encoding="utf-8")
    r = cli("ingest", *paths, str(extra), "--max-size", "2", db=db)
    assert r.returncode == 1
    assert "added 1, already present 0, failed 9" in r.stderr
    failures = [line for line in r.stderr.splitlines() if line.startswith("  failed:")]
    for name, (_, message) in BAD_INPUTS.items():
        (line,) = [f for f in failures if name in f]
        assert message in line, line
    assert "Traceback" not in r.stderr
    with Store(db) as s:
        after = s.stats()
        assert (after["documents"], after["figures"]) == (before[0] + 1, before[1] + 1)
        assert [f for f in s.figures() if f["category"] != "injured"] == before[2]


def test_missing_path_is_reported_and_the_rest_goes_on(tmp_path):
    good = write_corpus(tmp_path / "good", 2)
    r = cli("ingest", str(tmp_path / "nope.txt"), str(good), db=tmp_path / "f.db")
    assert r.returncode == 1 and "added 2, already present 0, failed 1" in r.stderr
    assert "no such file" in r.stderr


def test_cli_review_and_export_with_filters(tmp_path):
    db = tmp_path / "f.db"
    cli("ingest", str(write_corpus(tmp_path / "in")), db=db)
    rows = list(csv.DictReader(io.StringIO(cli("export", db=db).stdout)))
    assert sorted(r["category"] for r in rows) == ["displaced", "injured", "trapped"]
    assert list(rows[0]) == list(EXPORT_FIELDS)
    sindh = next(r for r in rows if r["category"] == "displaced")
    with Store(db) as s:
        fid = next(f["figure_id"] for f in s.figures() if f["category"] == "displaced")
    r = cli("review", str(fid), "--value", "15000", "--note", "OCHA figure", db=db)
    assert r.returncode == 0, r.stderr
    assert "corrected" in r.stdout

    def export(*args):
        out = cli("export", *args, db=db)
        assert out.returncode == 0, out.stderr
        return list(csv.DictReader(io.StringIO(out.stdout)))

    (row,) = export("--category", "displaced")
    assert (row["value"], row["extracted_value"], row["review_status"]) == (
        "15000", sindh["value"], "corrected")
    assert row["review_note"] == "OCHA figure"
    assert [r["location"] for r in export("--country", "UKR")] == ["Kharkiv"]
    assert [r["category"] for r in export("--place", "Raqqa")] == ["trapped"]
    assert [r["category"] for r in export("--source", "UN")] == ["trapped"]
    assert len(export("--include-combatants")) == 4
    assert [r["who"] for r in export("--include-combatants", "--place", "Raqqa",
                                     "--search", "FIGHTERS")] == ["fighters"]
    assert [r["category"] for r in export("--status", "corrected")] == ["displaced"]
    bad = cli("export", "--since", "20-09-2017", db=db)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_date_range_filter(store):
    store.add(load_pasted(SINDH, published="2017-06-01"))
    store.add(load_pasted(KHARKIV, published="2022-03-07"))
    cats = lambda **kw: [f["category"] for f in store.figures(Filters(**kw))]  # noqa: E731
    assert cats(date_from="2020-01-01") == ["injured"]
    assert cats(date_to="2020-01-01") == ["displaced"]
    assert cats(date_from="2017-06-01", date_to="2022-03-07") == ["injured", "displaced"]


def test_hxl_export_has_the_hashtag_row_and_one_column_per_category(store):
    store.add(load_pasted(RAQQA))
    store.add(load_pasted(SINDH))
    lines = list(csv.reader(io.StringIO(to_text(store.iter_figures(), "hxl"))))
    header, tags, *rows = lines
    assert tags == [tag for _, tag in HXL_COLUMNS]
    for tag in ("#affected+killed", "#affected+trapped", "#affected+displaced", "#loc+name",
                "#country+code", "#date+reported", "#meta+source", "#meta+url", "#description",
                "#status"):
        assert tag in tags
    by_tag = [dict(zip(tags, r)) for r in rows]
    trapped = next(r for r in by_tag if r["#affected+trapped"])
    assert trapped["#affected+trapped"] == "25000" and trapped["#affected+displaced"] == ""
    assert trapped["#loc+name"] == "Raqqa" and trapped["#country+code"] == "SYR"
    assert trapped["#status"] == "unreviewed"


def test_jsonl_export_and_spreadsheet_formula_guard(store):
    hostile = "=HYPERLINK(\"http://evil\")\n\nFloods displaced 3,000 people in Sindh, officials said.\n"
    store.add(load_pasted(hostile, title="=cmd|' /C calc'!A0"))
    (rec,) = [json.loads(line) for line in to_text(store.iter_figures(), "jsonl").splitlines()]
    assert rec["value"] == 3000 and rec["combatant"] is False
    assert rec["document_title"] == "=cmd|' /C calc'!A0"      # JSON keeps the text as it is
    (row,) = csv.DictReader(io.StringIO(to_text(store.iter_figures(), "csv")))
    assert row["document_title"] == "'=cmd|' /C calc'!A0"     # a spreadsheet will not run it


def test_pdf_figures_carry_their_page(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Situation report. Aid convoys reached the city on Monday.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Floods have displaced 12,000 people in Sindh province, officials said.")
    path = tmp_path / "sitrep.pdf"
    pdf.output(str(path))
    db = tmp_path / "f.db"
    r = cli("ingest", str(path), db=db)
    assert r.returncode == 0, r.stderr
    (row,) = csv.DictReader(io.StringIO(cli("export", db=db).stdout))
    assert (row["category"], row["value"], row["page"]) == ("displaced", "12000", "2")


# ---------------------------------------------------------------------------------------------
# Faults and concurrency

KILLABLE_INGEST = textwrap.dedent("""
    import sys
    from figures.formats import load_pasted
    from figures.store import Store
    s = Store(sys.argv[1])
    for i in range(10_000):
        body = " ".join(f"Shelling killed {k + 2} people in Aleppo on day {k}, medics said."
                        for k in range(40))
        r = s.add(load_pasted(f"Report {i}\\n\\n{body}\\n"))
        print(r.document_id, r.figures, flush=True)
""")


def test_killed_mid_ingest_leaves_every_earlier_document_intact(tmp_path):
    db = tmp_path / "f.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_INGEST, str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    committed = {}
    try:
        for line in proc.stdout:
            doc, n = map(int, line.split())
            committed[doc] = n
            if len(committed) == 8:
                time.sleep(0.05)      # let it get into the next document's transaction
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(db) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(s.conn.execute(
            "SELECT d.id, count(f.id) FROM documents d LEFT JOIN figures f ON f.document_id = d.id"
            " GROUP BY d.id"))
        for doc, n in committed.items():
            assert counts[doc] == n == 40
        # anything committed after the last line we read is complete too, never half a document
        assert set(counts.values()) == {40}


def test_a_cli_ingest_and_a_review_at_the_same_time_both_succeed(tmp_path):
    db = tmp_path / "f.db"
    with Store(db) as s:
        s.add(load_pasted(SINDH))
        fid = s.figures()[0]["figure_id"]
    corpus = tmp_path / "many"
    corpus.mkdir()
    for i in range(60):
        (corpus / f"r{i:03}.txt").write_text(
            " ".join(f"Shelling killed {k + 2} people in Aleppo on day {k} of report {i}."
                     for k in range(30)), encoding="utf-8")
    ingest = subprocess.Popen([sys.executable, "-m", "figures", "ingest", str(corpus), "--db",
                               str(db)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    reviews = []
    while ingest.poll() is None or not reviews:
        verdict = "--accept" if len(reviews) % 2 else "--reject"
        reviews.append(cli("review", str(fid), verdict, "--note", f"pass {len(reviews)}", db=db))
    _, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert "added 60" in err
    assert all(r.returncode == 0 for r in reviews), [r.stderr for r in reviews]
    with Store(db) as s:
        assert s.stats()["documents"] == 61
        assert s.conn.execute("SELECT count(*) FROM review_history").fetchone()[0] == len(reviews)


def test_pasted_text_from_standard_input_with_its_metadata(tmp_path):
    db = tmp_path / "f.db"
    r = cli("ingest", "-", "--title", "Sindh floods", "--url", "https://example.org/sindh",
            "--date", "2022-08-30", db=db, input=SINDH)
    assert r.returncode == 0 and "added 1" in r.stderr, r.stderr
    (row,) = csv.DictReader(io.StringIO(cli("export", db=db).stdout))
    assert (row["document_title"], row["document_url"], row["reported_date"]) == (
        "Sindh floods", "https://example.org/sindh", "2022-08-30")
    r = cli("ingest", "-", db=db, input="   \n")
    assert r.returncode == 1 and "empty" in r.stderr


def _pinned_through_the_view(store) -> set[int]:
    """What ``pinned_ids`` meant when it read ``figure_rows``: it must still give the same."""
    return {r[0] for r in store.conn.execute(
        "SELECT fr.figure_id FROM figure_rows fr JOIN pins p ON p.document_id = fr.document_id"
        ' AND p.span_start = fr."start" AND p.span_end = fr."end"'
        " WHERE fr.review_status IN ('accepted', 'corrected')")}


def test_a_pin_needs_an_accepted_figure_and_survives_reextraction(store, monkeypatch):
    real = Store.pinned_ids

    def checked(self):
        got = real(self)
        assert got == _pinned_through_the_view(self)
        return got
    monkeypatch.setattr(Store, "pinned_ids", checked)
    store.add(load_pasted(SINDH, title="t"))
    fid = store.figures()[0]["figure_id"]
    with pytest.raises(ValueError, match="accept it before pinning"):
        store.pin(fid)
    store.review(fid, "accepted")
    store.pin(fid)
    assert store.pinned_ids() == {fid}
    store.reextract(everything=True)
    [row] = store.figures()
    assert store.pinned_ids() == {row["figure_id"]}
    # a pin on a figure later rejected does not count; unpinning removes it
    store.review(row["figure_id"], "rejected")
    assert store.pinned_ids() == set()
    store.review(row["figure_id"], "accepted")
    assert store.pinned_ids() == {row["figure_id"]}
    store.pin(row["figure_id"], False)
    assert store.pinned_ids() == set()


def test_migrates_a_version_4_database_keeping_everything_and_maps_on_reextraction(tmp_path):
    """Version 5 adds each figure's map point (lat, lon): empty for the rows stored before, filled
    when they are re-extracted; reviews kept; a corrected place has no stored point."""
    path = tmp_path / "v4.db"
    (sindh,) = extract(SINDH)
    (trapped,) = [f for f in extract(RAQQA) if f.category == "trapped"]
    conn = _old_database(path, 4, ((SINDH, sindh), (RAQQA, trapped)), "2017-09-20", "0.4.0",
                         ("lat", "lon"))
    conn.execute("INSERT INTO reviews (document_id, span_start, span_end, status, note,"
                 " reviewed_at) VALUES (1, ?, ?, 'accepted', 'checked', '2017-09-21')",
                 (sindh.start, sindh.end))
    conn.commit()
    cols = ("figure_id, value, category, location, location_level, country, source, speaker,"
            " quote, review_status, review_note, part_of")
    before = sorted(conn.execute(f"SELECT {cols} FROM figure_rows").fetchall())
    conn.close()

    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 5
        assert sorted(tuple(r) for r in s.conn.execute(
            f"SELECT {cols} FROM figure_rows").fetchall()) == before
        assert all(r["lat"] is None and r["lon"] is None for r in s.figures())
        assert s.stats()["outdated_documents"] == 2
        assert s.reextract().documents == 2
        rows = s.figures()
        assert next(r for r in rows if "Sindh" in r["location"])["review_status"] == "accepted"
        raqqa = next(r for r in rows if "Raqqa" in r["location"])
        assert raqqa["lat"] == pytest.approx(35.95, abs=0.2)
        assert raqqa["lon"] == pytest.approx(39.01, abs=0.2)
        s.review(raqqa["figure_id"], "corrected", location="Tabqa")
        fixed = next(r for r in s.figures() if r["figure_id"] == raqqa["figure_id"])
        assert (fixed["location"], fixed["lat"], fixed["lon"]) == ("Tabqa", None, None)


def test_the_data_version_changes_with_every_commit_to_what_the_dashboard_shows(tmp_path):
    """The dashboard's cache key: new after an ingest, a review, a verdict taken back, a title
    changed, a document removed; the same when nothing was committed. The log of changed stories
    (schema 10) names each story once, whatever the number of its changes."""
    with Store(tmp_path / "f.db") as s:
        seen = [s.data_version()]

        def changed():
            v = s.data_version()
            assert v not in seen
            seen.append(v)
        first = s.add(load_pasted("Floods displaced 3,000 people in the valley, officials said.",
                                  title="a")).document_id
        changed()
        s.add(load_pasted("Shelling killed 12 civilians in the old town, the mayor said.",
                          title="b"))
        changed()
        assert s.data_version() == seen[-1]                       # nothing committed
        fid = s.figures()[0]["figure_id"]
        s.review(fid, "rejected")
        changed()
        s.review(fid, "rejected", note="same verdict, a note")
        changed()
        s.clear_review(fid)
        changed()
        with s.conn:
            s.conn.execute("UPDATE documents SET title = 'renamed' WHERE id = ?", (first,))
        changed()
        with s.conn:
            s.conn.execute("DELETE FROM documents WHERE id = ?", (first,))
        changed()
        stories = s.stories_changed_since(0)
        assert sorted(stories) == sorted(set(stories)) and first in stories
        assert s.stories_changed_since(s.frame_log()[1]) == []
