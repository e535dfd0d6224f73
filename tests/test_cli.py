"""The command line on real files in temporary folders, run as a user would run it."""
import csv
import io
import json
import subprocess
import sys

from conftest import ROOT
from figures import FIELDS
from figures.reading import UnreadableDocument, decode

SENTENCE = "Floods have displaced 12,000 people in Sindh province, officials said.\n"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "figures", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT)


def test_csv_has_the_schema_columns_and_one_row_per_figure(tmp_path):
    (tmp_path / "sindh.txt").write_text(SENTENCE, encoding="utf-8")
    r = run("extract", str(tmp_path), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert tuple(csv.reader(io.StringIO(r.stdout)).__next__()) == FIELDS
    assert len(rows) == 1
    assert rows[0]["doc_id"] == "sindh"
    assert rows[0]["category"] == "displaced" and rows[0]["value"] == "12000"
    assert rows[0]["source"] == "officials" and rows[0]["combatant"] == "false"
    # the columns the engine fills since schema v3, each beside the one it qualifies
    header = list(rows[0])
    for before, column in (("location", "location_level"), ("source", "speaker"),
                           ("reported_date", "figure_date"), ("figure_date", "figure_date_text")):
        assert header.index(column) == header.index(before) + 1
    assert rows[0]["speaker"] == ""            # "officials": nobody named


def test_jsonl_to_a_file(tmp_path):
    (tmp_path / "a.txt").write_text(SENTENCE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run("extract", str(tmp_path / "a.txt"), "--format", "jsonl", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [rec["value_low"] for rec in records] == [12000]
    assert set(records[0]) == set(FIELDS)


def test_bad_files_are_named_on_stderr_and_the_rest_still_processed(tmp_path):
    (tmp_path / "good.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    r = run("extract", str(tmp_path), str(tmp_path / "nowhere.txt"))
    assert r.returncode == 1
    assert "empty.txt: the file is empty" in r.stderr
    assert "binary.txt: this is a binary file" in r.stderr
    assert "nowhere.txt: no such file" in r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["doc_id"] for row in rows] == ["good"]


def test_shipped_sample_runs():
    r = run("extract", "data")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    trapped = [row for row in rows if row["category"] == "trapped" and row["value_high"] == "25000"]
    assert trapped and trapped[0]["location"] == "Raqqa" and trapped[0]["source"] == "UN"


def test_windows_1252_and_utf16_text_decode():
    assert decode("Cote d’Ivoire".encode("cp1252")) == "Cote d’Ivoire"
    assert decode("Daraa – 12 killed".encode("utf-16")) == "Daraa – 12 killed"
    assert decode("\ufeffok".encode("utf-8")) == "ok"


def test_binary_and_empty_input_are_refused_with_a_reason():
    for data, reason in ((b"   \n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "binary")):
        try:
            decode(data, "x")
        except UnreadableDocument as e:
            assert reason in str(e)
        else:
            raise AssertionError(f"{data!r} was accepted")


def test_review_pins_an_accepted_figure(tmp_path):
    (tmp_path / "sindh.txt").write_text(SENTENCE, encoding="utf-8")
    db = str(tmp_path / "s.db")
    assert run("ingest", str(tmp_path / "sindh.txt"), "--db", db).returncode == 0
    from figures.store import Store
    with Store(db) as s:
        fid = s.figures()[0]["figure_id"]
    r = run("review", str(fid), "--pin", "--db", db)
    assert r.returncode == 2 and "accept it before pinning" in r.stderr
    r = run("review", str(fid), "--accept", "--pin", "--db", db)
    assert r.returncode == 0 and "pinned as the key figure" in r.stdout
    with Store(db) as s:
        assert s.pinned_ids() == {fid}
    assert run("review", str(fid), "--unpin", "--db", db).returncode == 0
    with Store(db) as s:
        assert s.pinned_ids() == set() and s.figure(fid)["review_status"] == "accepted"
